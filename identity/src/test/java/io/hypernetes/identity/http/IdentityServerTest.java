package io.hypernetes.identity.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.identity.http.TestServer.Response;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's life: first start, restart on another port, what close() leaves behind. */
class IdentityServerTest {
    @TempDir
    Path dir;

    @Test
    void firstStartBootstrapsAndARestartOnAnotherPortRepointsTheRcFile() throws Exception {
        String token;
        String password;
        int firstPort;
        try (TestServer s = TestServer.start(dir)) {
            assertThat(s.adminPassword()).isPresent();
            password = s.adminPassword;
            firstPort = s.server.port();
            assertThat(s.server.url().toString()).isEqualTo("https://127.0.0.1:" + firstPort + "/v3");
            Path rc = s.server.bootstrap().openrc();
            assertThat(rc).isEqualTo(dir.resolve("admin-openrc"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rc))).isEqualTo("rw-------");
            assertThat(Files.readString(rc)).contains("export OS_AUTH_URL='" + s.server.url() + "'")
                    .contains("export OS_CACERT='" + dir.resolve("pki/ca.crt").toAbsolutePath() + "'");
            token = s.adminToken();
            assertThat(s.server.identity().directory().userByName("default", "admin")).isPresent();
        }
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (TestServer s = TestServer.start(dir, null, port)) {
            assertThat(s.server.port()).isEqualTo(port).isNotEqualTo(firstPort);
            assertThat(s.adminPassword()).isEmpty();
            String rc = Files.readString(dir.resolve("admin-openrc"));
            assertThat(rc).contains("export OS_AUTH_URL='https://127.0.0.1:" + port + "/v3'")
                    .doesNotContain(":" + firstPort + "/")
                    .contains("export OS_PASSWORD='" + password + "'");
            // the keys are on disk, so a token from before the restart still holds
            Response validated = s.call("GET", "/v3/auth/tokens", token, null, "X-Subject-Token", token);
            assertThat(validated.status()).isEqualTo(200);
            // without a kubernetes URL the catalog lists identity only
            assertThat(validated.json().path("token").path("catalog").findValuesAsText("type")).containsExactly("identity");
            assertThat(s.token("admin", password, "admin")).isNotBlank();
        }
    }

    @Test
    void closeStopsServingButLeavesTheStoreOpen() throws Exception {
        TestServer s = TestServer.start(dir);
        int port = s.server.port();
        s.server.close();
        assertThat(s.store.get("/identity/domains/default")).isPresent();
        try (var socket = new java.net.Socket()) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(
                    () -> socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000))).isNotNull();
        }
        s.store.close();
    }
}
