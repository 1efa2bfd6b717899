package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.pki.ClusterPki;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.MutableClock;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real {@link IdentityServer} on a free port over a temporary directory and the embedded store, with an HTTPS
 * client that trusts only the cluster CA (as {@code OS_CACERT} makes the CLI do), and a clock the test moves.
 */
final class TestServer implements AutoCloseable {
    final Path dir;
    final MutableClock clock = new MutableClock(Instant.now());
    final Store store;
    final IdentityServer server;
    final String adminPassword;
    private final HttpClient client;

    private TestServer(Path dir, URI kubernetesUrl, int port) throws Exception {
        this.dir = dir;
        this.store = EmbeddedStore.open(dir.resolve("store"));
        ClusterPki pki = ClusterPki.loadOrCreate(dir.resolve("pki"), ClusterPki.defaultServerNames());
        this.server = IdentityServer.start(Identity.open(store, dir, clock), pki, new IdentityServer.Config(dir, "127.0.0.1", port, kubernetesUrl));
        this.adminPassword = server.bootstrap().adminPassword().orElse(null);
        this.client = HttpClient.newBuilder().sslContext(trusting(dir.resolve("pki/ca.crt"))).version(HttpClient.Version.HTTP_1_1).build();
    }

    static TestServer start(Path dir) throws Exception {
        return new TestServer(dir, URI.create("https://127.0.0.1:6443"), 0);
    }

    static TestServer start(Path dir, URI kubernetesUrl, int port) throws Exception {
        return new TestServer(dir, kubernetesUrl, port);
    }

    static SSLContext trusting(Path caCert) throws IOException, java.security.GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caCert)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** The root URL, {@code https://127.0.0.1:<port>}. */
    String root() {
        return "https://127.0.0.1:" + server.port();
    }

    record Response(int status, java.net.http.HttpHeaders headers, String body) {
        JsonNode json() {
            try {
                return Json.parse(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String token() {
            return header("X-Subject-Token");
        }

        /** The Keystone error message, for assertions that the refusal names its cause. */
        String message() {
            return json().path("error").path("message").asText();
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /**
     * @param path with the query, relative to the root ({@code /v3/projects?name=x}); sent as is
     * @param headers name, value pairs
     */
    Response call(String method, String path, String authToken, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (authToken != null) b.header("X-Auth-Token", authToken);
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Response get(String path, String token) {
        return call("GET", path, token, null);
    }

    Response post(String path, String token, String body) {
        return call("POST", path, token, body);
    }

    /** Sends bytes as they are over TLS (for requests no HTTP client would form) and returns the whole answer. */
    String raw(String request) throws IOException {
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trusting(dir.resolve("pki/ca.crt")).getSocketFactory()
                .createSocket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Password authentication by user and project name in the default domain (project null: unscoped). */
    Response login(String user, String password, String project) {
        String scope = project == null ? "" : ", \"scope\": {\"project\": {\"name\": " + quote(project) + ", \"domain\": {\"id\": \"default\"}}}";
        return post("/v3/auth/tokens", null, "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": "
                + "{\"name\": " + quote(user) + ", \"domain\": {\"name\": \"Default\"}, \"password\": " + quote(password) + "}}}" + scope + "}}");
    }

    String token(String user, String password, String project) {
        Response r = login(user, password, project);
        if (r.status() != 201) throw new AssertionError("login of " + user + " failed: " + r);
        return r.token();
    }

    String adminToken() {
        return token("admin", adminPassword, "admin");
    }

    /** Creates what a tenant needs (project, user with a password, role on the project) through the API; returns ids. */
    record Tenant(String projectId, String userId, String password) {}

    Tenant tenant(String adminToken, String project, String user, String role) {
        String projectId = created(post("/v3/projects", adminToken, "{\"project\": {\"name\": " + quote(project) + "}}"), "project");
        String password = user + "-secret";
        String userId = created(post("/v3/users", adminToken, "{\"user\": {\"name\": " + quote(user) + ", \"password\": "
                + quote(password) + "}}"), "user");
        String roleId = roleId(adminToken, role);
        Response grant = call("PUT", "/v3/projects/" + projectId + "/users/" + userId + "/roles/" + roleId, adminToken, null);
        if (grant.status() != 204) throw new AssertionError("grant failed: " + grant);
        return new Tenant(projectId, userId, password);
    }

    String roleId(String adminToken, String name) {
        Response roles = get("/v3/roles?name=" + name, adminToken);
        return roles.json().path("roles").path(0).path("id").asText();
    }

    private static String created(Response r, String kind) {
        if (r.status() != 201) throw new AssertionError("creating a " + kind + " failed: " + r);
        return r.json().path(kind).path("id").asText();
    }

    static String quote(String s) {
        return Json.MAPPER.getNodeFactory().textNode(s).toString();
    }

    /** Every key under {@code /identity/} with its value, to show a refused request changed nothing at all. */
    List<String> snapshot() {
        List<String> out = new ArrayList<>();
        for (var kv : store.range("/identity/", Store.prefixEnd("/identity/"), 0, 0).kvs()) {
            out.add(kv.key() + "=" + new String(kv.value(), java.nio.charset.StandardCharsets.UTF_8) + "@" + kv.modRevision());
        }
        return out;
    }

    Optional<String> adminPassword() {
        return Optional.ofNullable(adminPassword);
    }

    @Override
    public void close() {
        server.close();
        store.close();
    }
}
