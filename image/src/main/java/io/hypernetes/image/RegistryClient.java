package io.hypernetes.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Registry HTTP API v2 (the OCI distribution spec) that pulls: manifests by tag or digest and blobs
 * by digest, from a registry's mirrors first and then from the registry itself.
 *
 * <p>Authentication follows the registry's lead: a request goes out anonymously (or with a token this client already
 * holds for that scope); a {@code 401} with {@code WWW-Authenticate: Bearer realm=…,service=…,scope=…} sends this
 * client to the token endpoint (with the basic credentials, if any) and the request is retried once with the token;
 * a {@code Basic} challenge is answered with the credentials. Redirects are followed by hand so that credentials never
 * go to another origin (blob storage behind a registry is typically a CDN or object store).
 *
 * <p>Nothing a server says is trusted: a manifest fetched by digest must have that digest, the caller checks blobs
 * against their descriptors while streaming, and bodies are read only up to a limit.
 */
public final class RegistryClient {
    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** A manifest or index larger than this is refused (the registry's own limit for pushes). */
    public static final int MAX_MANIFEST = 4 << 20;
    private static final int MAX_ERROR_BODY = 64 << 10;
    private static final int MAX_REDIRECTS = 5;
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("([a-zA-Z_]+)=\"([^\"]*)\"");

    private final RegistryConfig config;
    private final HttpClient verifying;
    private final HttpClient trusting;
    private final Map<String, Authorization> authorizations = new ConcurrentHashMap<>();
    /** For insecure registries: the endpoint (HTTPS or HTTP) that last answered, tried first from then on. */
    private final Map<String, URI> answering = new ConcurrentHashMap<>();

    /** Where a registry's API is served: a mirror or the registry itself, over HTTPS (verified or not) or HTTP. */
    record Endpoint(URI base, boolean mirror, boolean verifyTls) {
        String origin() {
            return base.getScheme() + "://" + base.getAuthority();
        }
    }

    /** A manifest or index as fetched: its bytes, its media type and the digest of those bytes (computed here). */
    record FetchedManifest(byte[] body, String mediaType, String digest) {}

    private record Authorization(String header, Instant expires) {
        boolean valid() {
            return Instant.now().isBefore(expires);
        }
    }

    /** What reads a blob's body; it must read to the end (the store checks digest and size). */
    @FunctionalInterface
    interface BodyReader<T> {
        T read(InputStream body) throws IOException;
    }

    public RegistryClient(RegistryConfig config) {
        this.config = config;
        this.verifying = client(null);
        this.trusting = client(trustAll());
    }

    private static HttpClient client(SSLContext ssl) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10));
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        return builder.build();
    }

    /**
     * An SSL context that accepts any certificate for any host name, for registries the node's configuration lists as
     * insecure. The JDK checks host names inside the trust manager, so this one skips both.
     */
    private static SSLContext trustAll() {
        TrustManager trustEverything = new X509ExtendedTrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
            @Override public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustEverything}, new SecureRandom());
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("TLS is missing from this JVM", e);
        }
    }

    /** The endpoints to try for a registry, in order: its mirrors, then the registry (HTTPS, then HTTP if insecure). */
    List<Endpoint> endpoints(String registry) {
        List<Endpoint> out = new ArrayList<>();
        Set<String> insecure = Set.copyOf(config.insecure());
        for (String url : config.mirrors().getOrDefault(registry, List.of())) {
            URI base = RegistryConfig.mirrorUri(registry, url, insecure);
            out.add(new Endpoint(base, true, !insecure.contains(base.getAuthority())));
        }
        String host = registry.equals(ImageReference.DOCKER_HUB) ? ImageReference.DOCKER_HUB_API : registry;
        if (config.isInsecure(registry)) {
            Endpoint https = new Endpoint(URI.create("https://" + host), false, false);
            Endpoint http = new Endpoint(URI.create("http://" + host), false, false);
            boolean httpAnswered = http.base().equals(answering.get(registry));
            out.add(httpAnswered ? http : https);
            out.add(httpAnswered ? https : http);
        } else {
            out.add(new Endpoint(URI.create("https://" + host), false, true));
        }
        return out;
    }

    /**
     * Fetches the manifest or index {@code reference} (a tag or digest) of {@code image}'s repository, checking it
     * against the digest when fetched by one.
     */
    public FetchedManifest manifest(ImageReference image, String reference, Credentials credentials) {
        try {
            return fetchManifest(image, reference, credentials);
        } catch (ImageException e) {
            if (e.reason() == ImageException.Reason.NOT_FOUND && e.getMessage().startsWith("manifest unknown") && !repositoryExists(image, credentials)) {
                throw new ImageException(ImageException.Reason.NOT_FOUND, "repository " + image.repository()
                        + " does not exist (pull access denied / repository does not exist)", e);
            }
            throw e;
        }
    }

    /**
     * Whether the repository exists, told by its tag list; registries answer a missing repository's manifest with
     * {@code MANIFEST_UNKNOWN}, which cannot tell the user whether the tag or the whole repository is wrong.
     */
    private boolean repositoryExists(ImageReference image, Credentials credentials) {
        try {
            return acrossEndpoints(image, "/tags/list", "application/json", credentials, "tags", (endpoint, response) -> {
                discard(response);
                return true;
            });
        } catch (ImageException e) {
            return !(e.reason() == ImageException.Reason.NOT_FOUND && e.getMessage().contains("does not exist"));
        }
    }

    private FetchedManifest fetchManifest(ImageReference image, String reference, Credentials credentials) {
        String what = reference.startsWith("sha256:") ? "digest " + reference : "tag " + reference;
        return acrossEndpoints(image, "/manifests/" + reference, MediaTypes.ACCEPT, credentials, what, (endpoint, response) -> {
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length > MAX_MANIFEST) {
                throw new ImageException(ImageException.Reason.CORRUPT, "the manifest of " + image.repository() + " " + what
                        + " has " + length + " bytes, more than the " + MAX_MANIFEST + " allowed");
            }
            byte[] body = readLimited(response.body(), MAX_MANIFEST, "the manifest of " + image.repository() + " " + what);
            String digest = Digests.of(body);
            if (reference.startsWith("sha256:") && !digest.equals(reference)) {
                throw new ImageException(ImageException.Reason.CORRUPT, "digest mismatch for the manifest of " + image.repository()
                        + ": asked for " + reference + ", got content with digest " + digest + " from " + endpoint.origin());
            }
            String mediaType = response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
            return new FetchedManifest(body, mediaType, digest);
        });
    }

    /** Streams blob {@code blob} of {@code image}'s repository to {@code reader}. */
    <T> T blob(ImageReference image, Descriptor blob, Credentials credentials, BodyReader<T> reader) {
        return acrossEndpoints(image, "/blobs/" + blob.digest(), "*/*", credentials, "blob " + blob.digest(),
                (endpoint, response) -> {
                    try (InputStream body = response.body()) {
                        return reader.read(body);
                    }
                });
    }

    @FunctionalInterface
    private interface Answer<T> {
        T accept(Endpoint endpoint, HttpResponse<InputStream> response) throws IOException;
    }

    /**
     * Tries each endpoint until one answers; a mirror that fails in any way hands over to the next, the registry's
     * own answer is final. When every endpoint fails, the registry's own failure is the one reported.
     */
    private <T> T acrossEndpoints(ImageReference image, String suffix, String accept, Credentials credentials, String what,
                                  Answer<T> answer) {
        ImageException failure = null;
        for (Endpoint endpoint : endpoints(image.registry())) {
            try {
                T result = fetch(endpoint, image, suffix, accept, credentials, what, answer);
                if (!endpoint.mirror()) {
                    answering.put(image.registry(), endpoint.base());
                }
                return result;
            } catch (ImageException e) {
                boolean tryNext = endpoint.mirror() || e.reason() == ImageException.Reason.UNAVAILABLE;
                if (failure == null || !endpoint.mirror()) {
                    failure = e;
                }
                log.debug("{} {}: {}", endpoint.origin(), what, e.getMessage());
                if (!tryNext) {
                    throw e;
                }
                if (endpoint.mirror()) {
                    log.info("mirror {} failed for {} {} ({}); trying the next endpoint", endpoint.origin(), image.repository(),
                            what, e.getMessage());
                }
            }
        }
        throw failure;
    }

    private <T> T fetch(Endpoint endpoint, ImageReference image, String suffix, String accept, Credentials credentials,
                        String what, Answer<T> answer) {
        URI uri = URI.create(endpoint.base() + "/v2/" + image.path() + suffix);
        String scope = "repository:" + image.path() + ":pull";
        String key = endpoint.origin() + " " + scope + " " + credentials.username();
        HttpClient client = endpoint.verifyTls() ? verifying : trusting;
        try {
            Authorization held = authorizations.get(key);
            HttpResponse<InputStream> response = send(client, uri, accept, held != null && held.valid() ? held.header() : null);
            if (response.statusCode() == 401) {
                String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
                discard(response);
                Authorization authorization = authorize(client, endpoint, image, challenge, scope, credentials);
                authorizations.put(key, authorization);
                response = send(client, uri, accept, authorization.header());
                if (response.statusCode() == 401) {
                    String message = errorMessage(response);
                    throw new ImageException(ImageException.Reason.UNAUTHORIZED, "pull access denied for " + image.repository()
                            + ", repository does not exist or may require authorization" + (credentials.anonymous() ? "" :
                            " (the registry refused the credentials of \"" + credentials.username() + "\")") + message);
                }
            }
            int status = response.statusCode();
            if (status == 200) {
                return answer.accept(endpoint, response);
            }
            String message = errorMessage(response);
            if (status == 404) {
                throw notFound(image, what, message);
            }
            if (status == 403) {
                throw new ImageException(ImageException.Reason.UNAUTHORIZED, "pull access denied for " + image.repository()
                        + ", repository does not exist or may require authorization" + message);
            }
            if (status == 429) {
                throw new ImageException(ImageException.Reason.UNAVAILABLE, "registry " + endpoint.origin()
                        + " limits the rate of pulls (429 Too Many Requests)" + message);
            }
            throw new ImageException(status >= 500 ? ImageException.Reason.UNAVAILABLE : ImageException.Reason.INVALID,
                    "registry " + endpoint.origin() + " answered " + status + " for " + image.repository() + " " + what + message);
        } catch (IOException e) {
            throw unreachable(endpoint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException(ImageException.Reason.UNAVAILABLE, "pull of " + image + " was interrupted", e);
        }
    }

    private static ImageException notFound(ImageReference image, String what, String message) {
        if (message.contains("NAME_UNKNOWN")) {
            return new ImageException(ImageException.Reason.NOT_FOUND, "repository " + image.repository()
                    + " does not exist (pull access denied / repository does not exist)" + message);
        }
        if (what.startsWith("blob")) {
            return new ImageException(ImageException.Reason.NOT_FOUND, "blob unknown: " + what.substring(5) + " not found in "
                    + image.repository() + message);
        }
        return new ImageException(ImageException.Reason.NOT_FOUND, "manifest unknown: " + what + " not found in "
                + image.repository() + message);
    }

    private static ImageException unreachable(Endpoint endpoint, IOException e) {
        String cause = e instanceof ConnectException ? "connection refused"
                : e instanceof HttpTimeoutException ? "timed out"
                : e instanceof SSLException ? "TLS failed: " + e.getMessage()
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new ImageException(ImageException.Reason.UNAVAILABLE, "cannot reach registry " + endpoint.base().getAuthority()
                + " (" + endpoint.origin() + "): " + cause, e);
    }

    /** Sends a GET, following redirects by hand; the authorization goes only to the first request's origin. */
    private HttpResponse<InputStream> send(HttpClient client, URI uri, String accept, String authorization)
            throws IOException, InterruptedException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(HEADERS_TIMEOUT)
                    .header("Accept", accept).header("User-Agent", "hypernetes-image");
            if (authorization != null && sameOrigin(uri, current)) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308) || location.isEmpty()) {
                return response;
            }
            discard(response);
            if (hop == MAX_REDIRECTS) {
                throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri);
            }
            URI next = current.resolve(location.get());
            if (!(next.getScheme().equals("https") || next.getScheme().equals("http"))) {
                throw new IOException("redirect to " + next.getScheme() + " is not followed");
            }
            if (current.getScheme().equals("https") && next.getScheme().equals("http")) {
                throw new IOException("redirect from HTTPS to plain HTTP (" + next.getAuthority() + ") is not followed");
            }
            log.debug("{} redirects to {}", current, next);
            current = next;
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equals(b.getScheme()) && a.getAuthority().equals(b.getAuthority());
    }

    /** Answers a challenge: a bearer token from the realm, or the basic credentials. */
    private Authorization authorize(HttpClient client, Endpoint endpoint, ImageReference image, String challenge, String scope,
                                    Credentials credentials) throws IOException, InterruptedException {
        String scheme = challenge.split(" ", 2)[0].toLowerCase(Locale.ROOT);
        Map<String, String> params = new LinkedHashMap<>();
        Matcher matcher = CHALLENGE_PARAM.matcher(challenge);
        while (matcher.find()) {
            params.put(matcher.group(1).toLowerCase(Locale.ROOT), matcher.group(2));
        }
        if (scheme.equals("basic")) {
            if (credentials.anonymous()) {
                throw new ImageException(ImageException.Reason.UNAUTHORIZED, "pull access denied for " + image.repository()
                        + ": registry " + endpoint.base().getAuthority() + " requires credentials (an imagePullSecret)");
            }
            return new Authorization(credentials.basicAuthorization(), Instant.now().plus(Duration.ofHours(1)));
        }
        if (!scheme.equals("bearer") || !params.containsKey("realm")) {
            throw new ImageException(ImageException.Reason.UNAUTHORIZED, "registry " + endpoint.base().getAuthority()
                    + " asked for authentication this client does not speak: \"" + challenge + "\"");
        }
        StringBuilder query = new StringBuilder();
        if (params.containsKey("service")) {
            query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        for (String s : (params.getOrDefault("scope", scope)).split(" ")) {
            query.append(query.isEmpty() ? "" : "&").append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
        }
        URI realm;
        try {
            URI base = URI.create(params.get("realm"));
            realm = URI.create(base + (base.getRawQuery() == null ? "?" : "&") + query);
        } catch (IllegalArgumentException e) {
            throw new ImageException(ImageException.Reason.UNAUTHORIZED, "registry " + endpoint.base().getAuthority()
                    + " names an invalid token realm \"" + params.get("realm") + "\"");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(realm).GET().timeout(HEADERS_TIMEOUT).header("Accept", "application/json");
        if (!credentials.anonymous()) {
            request.header("Authorization", credentials.basicAuthorization());
        }
        HttpClient tokenClient = realm.getScheme().equals("https") && !config.isInsecure(realm.getAuthority()) ? verifying : client;
        HttpResponse<InputStream> response;
        try {
            response = tokenClient.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.UNAVAILABLE, "cannot reach the token service " + realm.getAuthority()
                    + " of registry " + endpoint.base().getAuthority() + ": " + e.getMessage(), e);
        }
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            String message = errorMessage(response);
            throw new ImageException(ImageException.Reason.UNAUTHORIZED, "pull access denied for " + image.repository()
                    + ": the token service " + realm.getAuthority() + " refused " + (credentials.anonymous() ? "an anonymous pull"
                    : "the credentials of \"" + credentials.username() + "\"") + message);
        }
        if (response.statusCode() != 200) {
            String message = errorMessage(response);
            throw new ImageException(ImageException.Reason.UNAVAILABLE, "the token service " + realm.getAuthority()
                    + " answered " + response.statusCode() + message);
        }
        JsonNode body = JSON.readTree(readLimited(response.body(), MAX_ERROR_BODY, "the token service's answer"));
        String token = body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new ImageException(ImageException.Reason.UNAUTHORIZED, "the token service " + realm.getAuthority()
                    + " answered without a token");
        }
        long expiresIn = Math.max(body.path("expires_in").asLong(60), 10);
        return new Authorization("Bearer " + token, Instant.now().plusSeconds(expiresIn - 5));
    }

    /** The registry's error codes and messages, e.g. {@code ": MANIFEST_UNKNOWN manifest unknown"}, or empty. */
    private static String errorMessage(HttpResponse<InputStream> response) {
        try (InputStream body = response.body()) {
            byte[] bytes = body.readNBytes(MAX_ERROR_BODY);
            JsonNode errors = JSON.readTree(bytes).path("errors");
            List<String> parts = new ArrayList<>();
            for (JsonNode error : errors) {
                parts.add((error.path("code").asText("") + " " + error.path("message").asText("")).trim());
            }
            return parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static void discard(HttpResponse<InputStream> response) {
        try (InputStream body = response.body()) {
            body.readNBytes(MAX_ERROR_BODY);
        } catch (IOException ignored) {
            // the connection is not reused
        }
    }

    static byte[] readLimited(InputStream in, int limit, String what) throws IOException {
        try (in) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new ImageException(ImageException.Reason.CORRUPT, what + " is larger than the " + limit + " bytes allowed");
            }
            return bytes;
        }
    }
}
