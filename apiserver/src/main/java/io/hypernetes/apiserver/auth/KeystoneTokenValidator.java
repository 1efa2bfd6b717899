package io.hypernetes.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Validates tokens with a Keystone v3 service over HTTPS ({@code --keystone-url}): {@code GET /v3/auth/tokens}
 * with the token both as {@code X-Auth-Token} and {@code X-Subject-Token}. Keystone's default policy lets a token
 * validate itself, which is how k8s-keystone-auth avoids holding a service account's password: the API server
 * needs no credentials of its own, only the CA that signed Keystone's certificate.
 *
 * <p>200 is a valid token (its body says who and until when); 401 and 404 are Keystone saying the token is not
 * valid; everything else (403 from a stricter policy, 5xx, a timeout, a refused connection, a body that is not a
 * token) is {@link IdentityUnavailableException}, so an outage refuses requests but is never remembered as a
 * verdict. Timeouts are short because a request waits for the answer: a hung Keystone must cost seconds, not the
 * client's patience. Redirects are not followed: the token must go only where the operator pointed.
 */
public final class KeystoneTokenValidator implements TokenValidator {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** A token body without catalog is ~1 KiB; the bound only stops a broken or hostile server from filling the heap. */
    static final int MAX_BODY = 1 << 20;

    private final URI tokens;
    private final HttpClient http;

    /**
     * @param keystone the v3 endpoint, e.g. {@code https://keystone:5000/v3}
     * @param caCert PEM file of the CA(s) to trust for it, or null for the JDK's default trust store
     */
    public KeystoneTokenValidator(URI keystone, Path caCert) {
        Objects.requireNonNull(keystone);
        if (keystone.getScheme() == null || keystone.getHost() == null) {
            throw new IllegalArgumentException("keystone URL must be absolute, e.g. https://keystone:5000/v3: " + keystone);
        }
        String base = keystone.toString().replaceAll("/+$", "");
        // nocatalog: the catalog is all we would throw away, and it is most of the body.
        this.tokens = URI.create(base + "/auth/tokens?nocatalog");
        this.http = client(caCert);
    }

    private static HttpClient client(Path caCert) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1);
        if (caCert != null) b.sslContext(trusting(caCert));
        return b.build();
    }

    /** An SSL context that trusts exactly the certificates in a PEM file. */
    static SSLContext trusting(Path caCert) {
        try (InputStream in = Files.newInputStream(caCert)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) throw new IllegalArgumentException("no certificate in " + caCert);
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) trust.setCertificateEntry("ca-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the Keystone CA certificate " + caCert + ": " + e.getMessage(), e);
        }
    }

    /** Where tokens are validated (for logs and tests). */
    public URI endpoint() {
        return tokens;
    }

    @Override
    public Optional<Validated> validate(String token) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(tokens)
                    .timeout(REQUEST_TIMEOUT)
                    .header("X-Auth-Token", token)
                    .header("X-Subject-Token", token)
                    .header("Accept", "application/json")
                    .GET()
                    .build();
        } catch (IllegalArgumentException e) {
            // Not a legal header value (control characters, non-ASCII): no Keystone would accept it.
            return Optional.empty();
        }
        HttpResponse<InputStream> response;
        byte[] body;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) return verdict(response.statusCode());
                body = in.readNBytes(MAX_BODY + 1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityUnavailableException("interrupted while asking Keystone at " + tokens, e);
        } catch (IOException e) {
            throw new IdentityUnavailableException("Keystone at " + tokens + " unreachable: " + e, e);
        }
        if (body.length > MAX_BODY) throw new IdentityUnavailableException("Keystone's token body exceeds " + MAX_BODY + " bytes");
        return Optional.of(parse(body));
    }

    private Optional<Validated> verdict(int status) {
        if (status == 401 || status == 404) return Optional.empty();
        throw new IdentityUnavailableException("Keystone at " + tokens + " answered " + status + " to a token validation");
    }

    /**
     * Keystone's {@code {"token": {...}}} (as {@code GET /v3/auth/tokens} answers it) to the user and expiry.
     *
     * @throws IdentityUnavailableException if the body is not a token: a 200 we cannot read is no verdict
     */
    static Validated parse(byte[] body) {
        JsonNode root;
        try {
            root = Json.parse(body);
        } catch (IOException e) {
            throw new IdentityUnavailableException("Keystone's token body is not JSON: " + e.getMessage(), e);
        }
        if (root == null) throw new IdentityUnavailableException("Keystone answered 200 with an empty body");
        JsonNode t = root.path("token");
        JsonNode user = t.path("user");
        String userId = required(user, "id", "token.user.id");
        String userName = required(user, "name", "token.user.name");
        JsonNode domain = user.path("domain");
        Instant expires = instant(required(t, "expires_at", "token.expires_at"));
        JsonNode project = t.path("project");
        String projectId = null;
        String projectName = null;
        List<String> roles = new ArrayList<>();
        if (project.isObject()) {
            projectId = required(project, "id", "token.project.id");
            projectName = optional(project, "name");
            for (JsonNode r : t.path("roles")) {
                String name = optional(r, "name");
                if (name != null) roles.add(name);
            }
        }
        return new Validated(KeystoneUsers.of(userId, userName, optional(domain, "id"), optional(domain, "name"),
                projectId, projectName, roles), expires);
    }

    private static String required(JsonNode node, String field, String path) {
        String v = optional(node, field);
        if (v == null) throw new IdentityUnavailableException("Keystone's token body lacks " + path);
        return v;
    }

    private static String optional(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
    }

    /** Keystone writes {@code 2026-01-01T00:00:00.000000Z}; older releases left the zone out (meaning UTC). */
    static Instant instant(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new IdentityUnavailableException("Keystone's token.expires_at is not a time: " + text, e2);
            }
        }
    }

    @Override
    public void close() {
        http.shutdownNow(); // close() would wait out a hung validation

    }
}
