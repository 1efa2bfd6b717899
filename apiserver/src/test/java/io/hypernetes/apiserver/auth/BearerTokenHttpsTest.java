package io.hypernetes.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.http.pki.ClusterPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bearer tokens end to end: the API server with the built-in identity core in the same JVM over the server's own
 * store (as {@code hypernetes up} runs them), called over real HTTPS by a client that trusts the cluster CA and
 * presents no certificate. Authorization is not this test's business; listing namespaces is what any
 * authenticated user may do today.
 */
class BearerTokenHttpsTest {
    static Path dir;
    static ApiServer server;
    static Keystone keystone;
    static SSLContext trustCa;
    static HttpClient https;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("hypernetes-bearer");
        AtomicReference<Keystone> made = new AtomicReference<>();
        server = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5),
                store -> {
                    made.set(new Keystone(store, dir, Clock.systemUTC()));
                    return new InProcessTokenValidator(made.get().identity);
                }));
        keystone = made.get();
        trustCa = KeystoneTokenValidator.trusting(dir.resolve("pki/ca.crt"));
        https = HttpClient.newBuilder().sslContext(trustCa).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws IOException {
        https.close();
        server.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json");
        if (authorization != null) b.header("Authorization", authorization);
        return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertUnauthorizedStatus(int code, String body) throws IOException {
        assertThat(code).as(body).isEqualTo(401);
        JsonNode status = Json.parse(body.getBytes(StandardCharsets.UTF_8));
        assertThat(status.path("kind").asText()).isEqualTo("Status");
        assertThat(status.path("code").asInt()).isEqualTo(401);
        assertThat(status.path("reason").asText()).isEqualTo("Unauthorized");
    }

    @Test
    void aBearerTokenIsServed() throws Exception {
        HttpResponse<String> r = get("/api/v1/namespaces", "Bearer " + keystone.scoped().token());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(r.body().getBytes(StandardCharsets.UTF_8)).path("kind").asText()).isEqualTo("NamespaceList");
    }

    @Test
    void aForgedTokenGetsAKubernetes401() throws Exception {
        String token = keystone.scoped().token();
        char flipped = token.charAt(50) == 'A' ? 'B' : 'A';
        HttpResponse<String> r = get("/api/v1/namespaces", "Bearer " + token.substring(0, 50) + flipped + token.substring(51));
        assertUnauthorizedStatus(r.statusCode(), r.body());
    }

    @Test
    void aRevokedTokenIsRefusedOnceTheCacheLetsGo() throws Exception {
        String token = keystone.scoped().token();
        keystone.authenticator().revoke(token); // never used, so never cached
        HttpResponse<String> r = get("/api/v1/namespaces", "Bearer " + token);
        assertUnauthorizedStatus(r.statusCode(), r.body());
    }

    @Test
    void garbageEmptyAndOversizedTokensGet401() throws Exception {
        for (String header : new String[] {"Bearer garbage", "Bearer", "bearer ~~~", "Bearer " + "x".repeat(9 * 1024)}) {
            HttpResponse<String> r = get("/api/v1/namespaces", header);
            assertUnauthorizedStatus(r.statusCode(), r.body());
        }
    }

    @Test
    void nonAsciiBytesOnTheWireGet401() throws Exception {
        byte[][] tokens = {
            "t\u00f6k\u00e9n".getBytes(StandardCharsets.UTF_8),
            "\u65e5\u672c".getBytes(StandardCharsets.UTF_8),
            {'a', (byte) 0xff, (byte) 0xfe, 'b'},
        };
        for (byte[] token : tokens) {
            String[] answer = raw(token);
            assertUnauthorizedStatus(Integer.parseInt(answer[0]), answer[1]);
        }
    }

    /** A control byte makes the header itself invalid HTTP: refused before authentication, as Go's server does. */
    @Test
    void controlBytesInTheHeaderAreAMalformedRequest() throws Exception {
        String[] answer = raw(new byte[] {'a', 0x01, 'b'});
        assertThat(Integer.parseInt(answer[0])).isEqualTo(400);
        assertThat(Json.parse(answer[1].getBytes(StandardCharsets.UTF_8)).path("message").asText()).contains("malformed HTTP request");
    }

    @Test
    void clientCertificatesStillWork() {
        try (KubeClient admin = KubeClient.fromKubeconfig(server.kubeconfig())) {
            assertThat(admin.get("/api/v1/namespaces").code()).isEqualTo(200);
        }
    }

    @Test
    void theRemoteValidatorTrustsExactlyTheGivenCa() throws Exception {
        // The API server is no Keystone, but it is a real TLS peer: with its CA the exchange completes (and its
        // refusal reads as "not a valid token"); with another CA the handshake fails, which is no verdict.
        URI v3 = URI.create(server.url() + "/v3");
        try (var trusting = new KeystoneTokenValidator(v3, dir.resolve("pki/ca.crt"))) {
            assertThat(trusting.validate("anything")).isEmpty();
        }
        Path otherPki = dir.resolve("other-pki");
        ClusterPki.loadOrCreate(otherPki, ClusterPki.defaultServerNames());
        try (var stranger = new KeystoneTokenValidator(v3, otherPki.resolve("ca.crt"))) {
            assertThatThrownBy(() -> stranger.validate("anything")).isInstanceOf(IdentityUnavailableException.class);
        }
    }

    /** One GET with raw header bytes (the JDK client refuses to send them): status code and body. */
    static String[] raw(byte[] token) throws IOException {
        try (SSLSocket s = (SSLSocket) trustCa.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer "
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(token);
            out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.UTF_8);
            String code = response.substring(9, 12);
            return new String[] {code, response.substring(response.indexOf("\r\n\r\n") + 4)};
        }
    }
}
