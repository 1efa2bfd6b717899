package io.hypernetes.client.keystone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * A small Keystone v3 client: issues project-scoped tokens by password or by an existing token (re-scoping), over
 * the JDK's {@link HttpClient}, trusting either one CA file (OS_CACERT) or the system trust store.
 *
 * <p>Every failure is a {@link KeystoneException} whose message is one line for a user:
 * {@code Keystone refused: The request you have made requires authentication. (401)}.
 */
public final class KeystoneClient implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final int MAX_BODY = 4 << 20;

    private final URI v3;
    private final HttpClient http;
    private final Duration connectTimeout;
    private final Duration requestTimeout;

    private KeystoneClient(URI v3, HttpClient http, Duration connectTimeout, Duration requestTimeout) {
        this.v3 = v3;
        this.http = http;
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
    }

    /**
     * @param authUrl OS_AUTH_URL: {@code https://host:5000/v3} or {@code https://host:5000} ({@code /v3} is added)
     * @param caFile  a PEM file of the CA(s) to trust instead of the system trust store, or null
     */
    public static KeystoneClient connect(String authUrl, Path caFile) {
        return connect(authUrl, caFile, CONNECT_TIMEOUT, REQUEST_TIMEOUT);
    }

    static KeystoneClient connect(String authUrl, Path caFile, Duration connectTimeout, Duration requestTimeout) {
        URI v3 = v3(authUrl);
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout);
        if (caFile != null) builder.sslContext(trusting(caFile));
        return new KeystoneClient(v3, builder.build(), connectTimeout, requestTimeout);
    }

    /** The identity API's base, ending in {@code /v3}. */
    public URI authUrl() {
        return v3;
    }

    /**
     * The canonical form of an OS_AUTH_URL, as tokens are cached and kubeconfigs written under it: an absolute
     * http(s) URL without trailing slashes, ending in {@code /v3}.
     */
    public static URI v3(String authUrl) {
        if (authUrl == null || authUrl.isBlank()) throw new KeystoneException(0, "no Keystone URL (set OS_AUTH_URL or --os-auth-url)");
        URI uri;
        try {
            uri = new URI(authUrl.strip());
        } catch (URISyntaxException e) {
            throw new KeystoneException(0, "not a URL: " + authUrl.strip());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
            throw new KeystoneException(0, "the Keystone URL must be an http(s) URL with a host, got " + authUrl.strip());
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new KeystoneException(0, "the Keystone URL must not have a query or fragment: " + authUrl.strip());
        }
        String s = uri.toString();
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        if (!s.endsWith("/v3")) s += "/v3";
        return URI.create(s);
    }

    /** {@code POST /v3/auth/tokens} with the {@code password} method, scoped to a project. */
    public IssuedToken issueToken(PasswordAuth auth) {
        return issue(passwordRequest(auth), auth.scope());
    }

    /** {@code POST /v3/auth/tokens} with the {@code token} method: a token for another project (keeps the expiry). */
    public IssuedToken issueToken(String token, ProjectScope scope) {
        Objects.requireNonNull(token, "token");
        return issue(tokenRequest(token, scope), scope);
    }

    private IssuedToken issue(ObjectNode body, ProjectScope scope) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(v3 + "/auth/tokens"))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("User-Agent", "hypernetes")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
                .build();
        Answer answer = send(request);
        if (answer.status() != 201 && answer.status() != 200) throw refusal(answer.status(), answer.body());
        return parseToken(answer.subjectToken(), answer.body(), scope);
    }

    private Answer send(HttpRequest request) {
        String where = "Keystone at " + v3;
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] body = in.readNBytes(MAX_BODY + 1);
                if (body.length > MAX_BODY) throw new KeystoneException(response.statusCode(), where + " answered more than 4 MiB");
                return new Answer(response.statusCode(), response.headers().firstValue("X-Subject-Token").orElse(null), body);
            }
        } catch (HttpConnectTimeoutException e) {
            throw new KeystoneException("cannot reach " + where + ": no connection within " + human(connectTimeout), e);
        } catch (HttpTimeoutException e) {
            throw new KeystoneException(where + " did not answer within " + human(requestTimeout), e);
        } catch (ConnectException e) {
            throw new KeystoneException("cannot reach " + where + ": " + (e.getMessage() == null ? "connection refused" : e.getMessage()), e);
        } catch (SSLException e) {
            throw new KeystoneException("TLS with " + where + " failed: " + e.getMessage()
                    + " (is OS_CACERT / --os-cacert the CA that signed its certificate?)", e);
        } catch (IOException e) {
            throw new KeystoneException("cannot talk to " + where + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeystoneException("interrupted while waiting for " + where, e);
        }
    }

    @Override
    public void close() {
        http.close();
    }

    // ---- the wire format, package-private so tests can check it on JSON strings ----

    static ObjectNode passwordRequest(PasswordAuth auth) {
        ObjectNode root = Json.object();
        ObjectNode a = root.putObject("auth");
        ObjectNode identity = a.putObject("identity");
        identity.putArray("methods").add("password");
        ObjectNode user = identity.putObject("password").putObject("user");
        user.put("name", auth.userName());
        user.putObject("domain").put("name", auth.userDomainName());
        user.put("password", auth.password());
        scope(a, auth.scope());
        return root;
    }

    static ObjectNode tokenRequest(String token, ProjectScope scope) {
        ObjectNode root = Json.object();
        ObjectNode a = root.putObject("auth");
        ObjectNode identity = a.putObject("identity");
        identity.putArray("methods").add("token");
        identity.putObject("token").put("id", token);
        scope(a, scope);
        return root;
    }

    private static void scope(ObjectNode auth, ProjectScope scope) {
        ObjectNode project = auth.putObject("scope").putObject("project");
        switch (scope) {
            case ProjectScope.ByName n -> {
                project.put("name", n.name());
                project.putObject("domain").put("name", n.domainName());
            }
            case ProjectScope.ById i -> project.put("id", i.id());
        }
    }

    /** The token from a 201's {@code X-Subject-Token} and body; refuses an unscoped or malformed answer. */
    static IssuedToken parseToken(String subjectToken, byte[] body, ProjectScope asked) {
        if (subjectToken == null || subjectToken.isBlank()) {
            throw new KeystoneException(201, "Keystone issued no token (no X-Subject-Token header)");
        }
        JsonNode root;
        try {
            root = Json.parse(body);
        } catch (IOException e) {
            throw new KeystoneException(201, "Keystone's token answer is not JSON");
        }
        JsonNode t = root.path("token");
        if (!t.isObject()) throw new KeystoneException(201, "Keystone's token answer has no \"token\" object");
        String expires = t.path("expires_at").asText("");
        Instant expiresAt;
        try {
            expiresAt = Instant.parse(expires);
        } catch (DateTimeParseException e) {
            throw new KeystoneException(201, "Keystone's token has no valid expires_at: \"" + expires + "\"");
        }
        JsonNode project = t.path("project");
        if (!project.isObject() || project.path("id").asText("").isEmpty()) {
            throw new KeystoneException(201, "Keystone issued a token not scoped to project " + asked.describe());
        }
        return new IssuedToken(subjectToken.strip(), expiresAt,
                t.path("user").path("id").asText(null), t.path("user").path("name").asText(null),
                project.path("id").asText(), project.path("name").asText(null),
                kubernetesEndpoint(t.path("catalog")));
    }

    /** The catalog's {@code kubernetes} service, its {@code public} endpoint (the first, if regions offer several). */
    static Optional<URI> kubernetesEndpoint(JsonNode catalog) {
        for (JsonNode service : catalog) {
            if (!service.path("type").asText().equals("kubernetes")) continue;
            for (JsonNode endpoint : service.path("endpoints")) {
                if (!endpoint.path("interface").asText().equals("public")) continue;
                String url = endpoint.path("url").asText("");
                if (url.isEmpty()) continue;
                try {
                    return Optional.of(new URI(url));
                } catch (URISyntaxException e) {
                    throw new KeystoneException(201, "Keystone's catalog has a malformed kubernetes URL: " + url);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * A non-2xx answer as one line: Keystone's {@code {"error": {"code", "message", "title"}}} becomes
     * {@code Keystone refused: <message> (<code>)}; anything else names the status.
     */
    static KeystoneException refusal(int status, byte[] body) {
        String message = null;
        try {
            JsonNode error = Json.parse(body).path("error");
            message = error.path("message").asText(null);
            if (message == null || message.isBlank()) message = error.path("title").asText(null);
        } catch (IOException | RuntimeException e) {
            // not Keystone's error body (a proxy's HTML page, say): fall through to the status
        }
        if (message == null || message.isBlank()) {
            return new KeystoneException(status, "Keystone answered HTTP " + status + reason(status));
        }
        return new KeystoneException(status, "Keystone refused: " + oneLine(message) + " (" + status + ")");
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> " Bad Request";
            case 401 -> " Unauthorized";
            case 403 -> " Forbidden";
            case 404 -> " Not Found (is the Keystone URL right?)";
            case 429 -> " Too Many Requests";
            case 500 -> " Internal Server Error";
            case 502 -> " Bad Gateway";
            case 503 -> " Service Unavailable";
            default -> "";
        };
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String oneLine(String s) {
        String line = s.strip().replaceAll("\\s+", " ");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    static SSLContext trusting(Path caFile) {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(caFile)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (NoSuchFileException e) {
            throw new KeystoneException(0, "CA file " + caFile + " does not exist");
        } catch (IOException e) {
            throw new KeystoneException(0, "cannot read CA file " + caFile + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new KeystoneException(0, "CA file " + caFile + " holds no PEM certificate: " + e.getMessage());
        }
        if (certs.isEmpty()) throw new KeystoneException(0, "CA file " + caFile + " holds no PEM certificate");
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) trust.setCertificateEntry("ca" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new KeystoneException("cannot trust CA file " + caFile + ": " + e.getMessage(), e);
        }
    }

    private record Answer(int status, String subjectToken, byte[] body) {}
}
