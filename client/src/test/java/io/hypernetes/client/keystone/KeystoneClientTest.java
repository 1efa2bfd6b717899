package io.hypernetes.client.keystone;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeystoneClientTest {
    private static final ProjectScope DEMO = new ProjectScope.ByName("demo", "Default");

    /** A token body as Keystone (and Hypernetes' identity service) answers POST /v3/auth/tokens. */
    static final String BODY = """
            {"token": {"methods": ["password"],
              "user": {"id": "u1", "name": "alice", "domain": {"id": "default", "name": "Default"}, "password_expires_at": null},
              "audit_ids": ["abc"], "expires_at": "2030-01-02T03:04:05.123456Z", "issued_at": "2030-01-02T02:04:05.123456Z",
              "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}}, "is_domain": false,
              "roles": [{"id": "r1", "name": "member"}],
              "catalog": [
                {"type": "identity", "name": "keystone", "id": "s1",
                 "endpoints": [{"interface": "public", "region": "RegionOne", "url": "https://127.0.0.1:5000/v3"}]},
                {"type": "kubernetes", "name": "hypernetes", "id": "s2",
                 "endpoints": [{"interface": "internal", "region": "RegionOne", "url": "https://10.0.0.1:6443"},
                               {"interface": "public", "region": "RegionOne", "url": "https://127.0.0.1:6443"}]}]}}
            """;

    @Test
    void parsesTheTokenItsExpiryProjectUserAndKubernetesEndpoint() {
        IssuedToken t = KeystoneClient.parseToken("gAAAA-token", BODY.getBytes(UTF_8), DEMO);
        assertThat(t.token()).isEqualTo("gAAAA-token");
        assertThat(t.expiresAt()).isEqualTo(Instant.parse("2030-01-02T03:04:05.123456Z"));
        assertThat(t.userId()).isEqualTo("u1");
        assertThat(t.userName()).isEqualTo("alice");
        assertThat(t.projectId()).isEqualTo("p1");
        assertThat(t.projectName()).isEqualTo("demo");
        assertThat(t.kubernetesUrl()).contains(URI.create("https://127.0.0.1:6443"));
        assertThat(t.toString()).doesNotContain("gAAAA-token");
    }

    @Test
    void noKubernetesServiceOrNoPublicEndpointMeansNoUrl() throws IOException {
        assertThat(KeystoneClient.kubernetesEndpoint(Json.parse("[]".getBytes(UTF_8)))).isEmpty();
        assertThat(KeystoneClient.kubernetesEndpoint(Json.parse("""
                [{"type": "kubernetes", "endpoints": [{"interface": "admin", "url": "https://x:6443"}]}]""".getBytes(UTF_8))))
                .isEmpty();
        String noCatalog = BODY.replaceAll("(?s),\\s*\"catalog\": \\[.*\\]\\}\\}\\s*$", "}}");
        assertThat(noCatalog).doesNotContain("catalog");
        assertThat(KeystoneClient.parseToken("t", noCatalog.getBytes(UTF_8), DEMO).kubernetesUrl()).isEmpty();
    }

    @Test
    void expiryWithAnOffsetOrWithoutFractionParses() {
        String plain = BODY.replace("2030-01-02T03:04:05.123456Z", "2030-01-02T03:04:05Z");
        assertThat(KeystoneClient.parseToken("t", plain.getBytes(UTF_8), DEMO).expiresAt()).isEqualTo(Instant.parse("2030-01-02T03:04:05Z"));
        String offset = BODY.replace("2030-01-02T03:04:05.123456Z", "2030-01-02T04:04:05+01:00");
        assertThat(KeystoneClient.parseToken("t", offset.getBytes(UTF_8), DEMO).expiresAt()).isEqualTo(Instant.parse("2030-01-02T03:04:05Z"));
    }

    @Test
    void refusesAnswersItCannotUse() {
        assertThatThrownBy(() -> KeystoneClient.parseToken(null, BODY.getBytes(UTF_8), DEMO))
                .isInstanceOf(KeystoneException.class).hasMessage("Keystone issued no token (no X-Subject-Token header)");
        assertThatThrownBy(() -> KeystoneClient.parseToken("t", "<html>".getBytes(UTF_8), DEMO))
                .hasMessage("Keystone's token answer is not JSON");
        assertThatThrownBy(() -> KeystoneClient.parseToken("t", BODY.replace("\"expires_at\"", "\"expires\"").getBytes(UTF_8), DEMO))
                .hasMessage("Keystone's token has no valid expires_at: \"\"");
        String unscoped = BODY.replace("\"project\": {\"id\": \"p1\", \"name\": \"demo\", \"domain\": {\"id\": \"default\", \"name\": \"Default\"}}, ", "");
        assertThatThrownBy(() -> KeystoneClient.parseToken("t", unscoped.getBytes(UTF_8), DEMO))
                .hasMessage("Keystone issued a token not scoped to project demo");
        assertThatThrownBy(() -> KeystoneClient.parseToken("t", unscoped.getBytes(UTF_8), new ProjectScope.ById("p9")))
                .hasMessage("Keystone issued a token not scoped to project id p9");
    }

    @Test
    void keystoneErrorsBecomeOneLine() {
        KeystoneException e = KeystoneClient.refusal(401, """
                {"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}"""
                .getBytes(UTF_8));
        assertThat(e).hasMessage("Keystone refused: The request you have made requires authentication. (401)");
        assertThat(e.status()).isEqualTo(401);
        assertThat(KeystoneClient.refusal(429, """
                {"error": {"code": 429, "title": "Too Many Requests"}}""".getBytes(UTF_8)))
                .hasMessage("Keystone refused: Too Many Requests (429)");
        assertThat(KeystoneClient.refusal(400, """
                {"error": {"code": 400, "message": "Expecting to find\\n  domain in project", "title": "Bad Request"}}""".getBytes(UTF_8)))
                .hasMessage("Keystone refused: Expecting to find domain in project (400)");
        assertThat(KeystoneClient.refusal(502, "<html><body>Bad Gateway</body></html>".getBytes(UTF_8)))
                .hasMessage("Keystone answered HTTP 502 Bad Gateway");
        assertThat(KeystoneClient.refusal(404, new byte[0])).hasMessage("Keystone answered HTTP 404 Not Found (is the Keystone URL right?)");
    }

    @Test
    void passwordRequestIsKeystonesShape() throws IOException {
        JsonNode byName = Json.parse(Json.bytes(KeystoneClient.passwordRequest(new PasswordAuth("alice", "Default", "s3cret", DEMO))));
        assertThat(byName).isEqualTo(Json.parse("""
                {"auth": {"identity": {"methods": ["password"],
                   "password": {"user": {"name": "alice", "domain": {"name": "Default"}, "password": "s3cret"}}},
                 "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}""".getBytes(UTF_8)));
        JsonNode byId = Json.parse(Json.bytes(KeystoneClient.passwordRequest(
                new PasswordAuth("alice", "Users", "s3cret", new ProjectScope.ById("p1")))));
        assertThat(byId.path("auth").path("scope")).isEqualTo(Json.parse("{\"project\": {\"id\": \"p1\"}}".getBytes(UTF_8)));
        assertThat(byId.path("auth").path("identity").path("password").path("user").path("domain").path("name").asText()).isEqualTo("Users");
        assertThat(new PasswordAuth("alice", "Default", "s3cret", DEMO).toString()).doesNotContain("s3cret");
    }

    @Test
    void tokenRequestRescopes() throws IOException {
        assertThat(Json.parse(Json.bytes(KeystoneClient.tokenRequest("tok", new ProjectScope.ById("p2"))))).isEqualTo(Json.parse("""
                {"auth": {"identity": {"methods": ["token"], "token": {"id": "tok"}}, "scope": {"project": {"id": "p2"}}}}"""
                .getBytes(UTF_8)));
    }

    @Test
    void authUrlsAreCanonicalisedToV3() {
        assertThat(KeystoneClient.v3("https://h:5000")).hasToString("https://h:5000/v3");
        assertThat(KeystoneClient.v3("https://h:5000/")).hasToString("https://h:5000/v3");
        assertThat(KeystoneClient.v3(" https://h:5000/v3/ ")).hasToString("https://h:5000/v3");
        assertThat(KeystoneClient.v3("http://h/identity")).hasToString("http://h/identity/v3");
        assertThatThrownBy(() -> KeystoneClient.v3(null)).hasMessage("no Keystone URL (set OS_AUTH_URL or --os-auth-url)");
        assertThatThrownBy(() -> KeystoneClient.v3("h:5000")).hasMessage("the Keystone URL must be an http(s) URL with a host, got h:5000");
        assertThatThrownBy(() -> KeystoneClient.v3("https://h:5000/v3?x=1")).hasMessageContaining("must not have a query");
        assertThatThrownBy(() -> KeystoneClient.v3("https://h :5000")).hasMessage("not a URL: https://h :5000");
    }

    @Test
    void badCaFilesAreNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.crt");
        assertThatThrownBy(() -> KeystoneClient.connect("https://h:5000", missing)).hasMessage("CA file " + missing + " does not exist");
        Path garbage = Files.writeString(dir.resolve("garbage.crt"), "not a certificate");
        assertThatThrownBy(() -> KeystoneClient.connect("https://h:5000", garbage)).hasMessageStartingWith("CA file " + garbage + " holds no PEM certificate");
    }

    @Test
    void anUnreachableKeystoneIsNamed() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (KeystoneClient client = KeystoneClient.connect("https://127.0.0.1:" + port, null)) {
            assertThatThrownBy(() -> client.issueToken(new PasswordAuth("alice", "Default", "s3cret", DEMO)))
                    .isInstanceOf(KeystoneException.class)
                    .hasMessageStartingWith("cannot reach Keystone at https://127.0.0.1:" + port + "/v3")
                    .hasMessageNotContaining("s3cret");
        }
    }

    @Test
    void aSilentKeystoneTimesOut() throws IOException {
        // a listening socket that accepts and never answers (not a Keystone fake: it speaks no HTTP at all)
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) held.add(silent.accept());
                } catch (IOException closed) {
                    // test over
                }
            });
            try (KeystoneClient client = KeystoneClient.connect("http://127.0.0.1:" + silent.getLocalPort(), null,
                    Duration.ofSeconds(5), Duration.ofMillis(300))) {
                assertThatThrownBy(() -> client.issueToken(new PasswordAuth("alice", "Default", "s3cret", DEMO)))
                        .isInstanceOf(KeystoneException.class)
                        .hasMessage("Keystone at http://127.0.0.1:" + silent.getLocalPort() + "/v3 did not answer within 300 ms");
            }
        }
    }
}
