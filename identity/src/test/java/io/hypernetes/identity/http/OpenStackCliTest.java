package io.hypernetes.identity.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenStack CLI ({@code /usr/bin/openstack}, Debian's python3-openstackclient 6.0.0, which CI installs)
 * against an in-process server, configured only by sourcing the {@code admin-openrc} bootstrap wrote. The steps
 * build on each other (one server for the class) and make about twenty CLI calls, each a second or two of Python
 * start-up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenStackCliTest {
    static final Path OPENSTACK = Path.of("/usr/bin/openstack");

    Path dir;

    TestServer s;
    String tenantId;
    String aliceToken;

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Json.parse(out.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
            }
        }

        Run ok() {
            assertThat(exit).as("exit status; stdout: %s\nstderr: %s", out, err).isZero();
            return this;
        }
    }

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        dir = tmp;
        assertThat(OPENSTACK).as("the OpenStack CLI: apt-get install python3-openstackclient").isExecutable();
        s = TestServer.start(dir);
    }

    @AfterAll
    void stop() {
        if (s != null) s.close();
    }

    /** Runs {@code openstack args} as the administrator, after {@code source admin-openrc}. */
    Run admin(String... args) throws Exception {
        return cli(Map.of(), args);
    }

    Run alice(String... args) throws Exception {
        return cli(Map.of("OS_USERNAME", "alice", "OS_PASSWORD", "alice's pass", "OS_PROJECT_NAME", "tenant1"), args);
    }

    /**
     * The shell sources the rc file as an operator would; {@code overrides} are passed through the environment
     * and exported after it, so no value is ever spliced into the script.
     */
    Run cli(Map<String, String> overrides, String... args) throws Exception {
        StringBuilder script = new StringBuilder("set -e; source \"$HN_OPENRC\"; ");
        for (String name : overrides.keySet()) script.append("export ").append(name).append("=\"$HN_").append(name).append("\"; ");
        script.append("exec openstack \"$@\"");
        List<String> command = new ArrayList<>(List.of("bash", "-c", script.toString(), "openstack"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("OS_"));
        pb.environment().put("HOME", dir.toString()); // no clouds.yaml or cache from the machine's user
        pb.environment().put("HN_OPENRC", s.server.bootstrap().openrc().toString());
        overrides.forEach((k, v) -> pb.environment().put("HN_" + k, v));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openstack " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    @Order(1)
    void tokenIssue() throws Exception {
        JsonNode token = admin("token", "issue", "-f", "json").ok().json();
        assertThat(token.path("id").asText()).isNotBlank();
        String adminProject = s.server.identity().directory().projectByName("default", "admin").orElseThrow().id();
        assertThat(token.path("project_id").asText()).isEqualTo(adminProject);
        assertThat(s.call("GET", "/v3/auth/tokens", token.path("id").asText(), null, "X-Subject-Token", token.path("id").asText()).status())
                .isEqualTo(200);
    }

    @Test
    @Order(2)
    void projectCreateListShow() throws Exception {
        JsonNode created = admin("project", "create", "tenant1", "--description", "first tenant", "-f", "json").ok().json();
        tenantId = created.path("id").asText();
        assertThat(created.path("name").asText()).isEqualTo("tenant1");
        assertThat(created.path("domain_id").asText()).isEqualTo("default");
        JsonNode list = admin("project", "list", "-f", "json").ok().json();
        assertThat(list.findValuesAsText("Name")).containsExactlyInAnyOrder("admin", "tenant1");
        JsonNode shown = admin("project", "show", "tenant1", "-f", "json").ok().json();
        assertThat(shown.path("id").asText()).isEqualTo(tenantId);
        assertThat(shown.path("description").asText()).isEqualTo("first tenant");
    }

    @Test
    @Order(3)
    void userCreateAndRoleAdd() throws Exception {
        JsonNode user = admin("user", "create", "--password", "alice's pass", "--domain", "default", "alice", "-f", "json").ok().json();
        assertThat(user.path("name").asText()).isEqualTo("alice");
        assertThat(user.toString()).doesNotContain("alice's pass").doesNotContain("argon2");
        admin("role", "add", "--project", "tenant1", "--user", "alice", "member").ok();
        JsonNode assignments = admin("role", "assignment", "list", "--project", "tenant1", "--names", "-f", "json").ok().json();
        assertThat(assignments).hasSize(1);
        assertThat(assignments.path(0).path("Role").asText()).isEqualTo("member");
        assertThat(assignments.path(0).path("User").asText()).isEqualTo("alice@Default");
        assertThat(assignments.path(0).path("Project").asText()).isEqualTo("tenant1@Default");
        assertThat(admin("role", "list", "-f", "json").ok().json().findValuesAsText("Name"))
                .containsExactlyInAnyOrder("admin", "member", "reader");
    }

    @Test
    @Order(4)
    void aMemberGetsATokenButCannotAdminister() throws Exception {
        JsonNode token = alice("token", "issue", "-f", "json").ok().json();
        assertThat(token.path("project_id").asText()).isEqualTo(tenantId);
        aliceToken = token.path("id").asText();
        Run refused = alice("project", "create", "nope");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("identity:create_project").contains("HTTP 403");
        assertThat(s.server.identity().directory().projectByName("default", "nope")).isEmpty();
        Run wrongPassword = cli(Map.of("OS_USERNAME", "alice", "OS_PASSWORD", "wrong", "OS_PROJECT_NAME", "tenant1"), "token", "issue");
        assertThat(wrongPassword.exit()).isNotZero();
        assertThat(wrongPassword.err()).contains("HTTP 401");
    }

    @Test
    @Order(5)
    void tokenRevoke() throws Exception {
        admin("token", "revoke", aliceToken).ok();
        String admin = s.adminToken();
        assertThat(s.call("GET", "/v3/auth/tokens", admin, null, "X-Subject-Token", aliceToken).status()).isEqualTo(404);
        // a fresh login still works: only that token was revoked
        alice("token", "issue", "-f", "json").ok();
    }

    @Test
    @Order(6)
    void deleteUserAndProject() throws Exception {
        admin("user", "delete", "alice").ok();
        admin("project", "delete", "tenant1").ok();
        Run gone = admin("project", "show", "tenant1");
        assertThat(gone.exit()).isNotZero();
        assertThat(gone.err()).contains("tenant1");
        assertThat(admin("role", "assignment", "list", "--names", "-f", "json").ok().json().findValuesAsText("User"))
                .containsExactly("admin@Default");
    }
}
