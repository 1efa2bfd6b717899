package io.hypernetes.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.keystone.IssuedToken;
import io.hypernetes.client.keystone.KeystoneClient;
import io.hypernetes.client.keystone.KeystoneException;
import io.hypernetes.client.keystone.PasswordAuth;
import io.hypernetes.client.keystone.ProjectScope;
import io.hypernetes.http.pki.ClusterPki;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import io.hypernetes.identity.http.IdentityServer;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KeystoneClient, login and credential against the real built-in identity service over HTTPS. */
class KeystoneIntegrationTest {
    static final URI KUBERNETES = URI.create("https://127.0.0.1:6443");

    @TempDir
    static Path dir;

    static EmbeddedStore store;
    static IdentityServer server;
    static String adminPassword;
    static Path ca;
    static String demoId;

    @BeforeAll
    static void start() throws Exception {
        store = EmbeddedStore.open(dir.resolve("store"));
        ClusterPki pki = ClusterPki.loadOrCreate(dir.resolve("pki"), ClusterPki.defaultServerNames());
        server = IdentityServer.start(Identity.open(store, dir, Clock.systemUTC()), pki, new IdentityServer.Config(dir, "127.0.0.1", 0, KUBERNETES));
        adminPassword = server.bootstrap().adminPassword().orElseThrow();
        ca = dir.resolve("pki/ca.crt");
        var directory = server.identity().directory();
        demoId = directory.createProject(Project.of("demo", "default", "a tenant")).id();
        String alice = directory.createUser(User.of("alice", "default", server.identity().passwords().hash("alice-pw"))).id();
        String member = directory.roleByName("member").orElseThrow().id();
        String adminUser = directory.userByName("default", "admin").orElseThrow().id();
        directory.grant(new RoleAssignment(member, alice, new Scope.OnProject(demoId)));
        directory.grant(new RoleAssignment(member, adminUser, new Scope.OnProject(demoId)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
        if (store != null) store.close();
    }

    private String authUrl() {
        return server.url().toString();
    }

    @Test
    void issuesAProjectScopedTokenWithTheCatalogsKubernetesEndpoint() {
        try (KeystoneClient keystone = KeystoneClient.connect(authUrl(), ca)) {
            IssuedToken t = keystone.issueToken(new PasswordAuth("alice", "Default", "alice-pw", new ProjectScope.ByName("demo", "Default")));
            assertThat(t.token()).isNotBlank();
            assertThat(t.projectId()).isEqualTo(demoId);
            assertThat(t.projectName()).isEqualTo("demo");
            assertThat(t.userName()).isEqualTo("alice");
            assertThat(t.kubernetesUrl()).contains(KUBERNETES);
            assertThat(Duration.between(Instant.now(), t.expiresAt())).isBetween(Duration.ofMinutes(55), Duration.ofMinutes(61));

            IssuedToken byId = keystone.issueToken(new PasswordAuth("alice", "Default", "alice-pw", new ProjectScope.ById(demoId)));
            assertThat(byId.projectName()).isEqualTo("demo");
        }
    }

    @Test
    void rescopesByTheTokenMethodKeepingTheExpiry() {
        try (KeystoneClient keystone = KeystoneClient.connect(authUrl(), ca)) {
            IssuedToken admin = keystone.issueToken(new PasswordAuth("admin", "Default", adminPassword, new ProjectScope.ByName("admin", "Default")));
            IssuedToken demo = keystone.issueToken(admin.token(), new ProjectScope.ById(demoId));
            assertThat(demo.projectName()).isEqualTo("demo");
            assertThat(demo.token()).isNotEqualTo(admin.token());
            assertThat(demo.expiresAt()).isEqualTo(admin.expiresAt());
        }
    }

    @Test
    void refusalsAndTlsFailuresAreOneLine() {
        try (KeystoneClient keystone = KeystoneClient.connect(authUrl(), ca)) {
            assertThatThrownBy(() -> keystone.issueToken(new PasswordAuth("alice", "Default", "wrong", new ProjectScope.ByName("demo", "Default"))))
                    .isInstanceOf(KeystoneException.class)
                    .hasMessage("Keystone refused: The request you have made requires authentication. (401)")
                    .satisfies(e -> assertThat(((KeystoneException) e).status()).isEqualTo(401));
            assertThatThrownBy(() -> keystone.issueToken(new PasswordAuth("alice", "Default", "alice-pw", new ProjectScope.ByName("admin", "Default"))))
                    .isInstanceOf(KeystoneException.class).hasMessageStartingWith("Keystone refused: ").hasMessageEndingWith("(401)");
        }
        try (KeystoneClient systemTrust = KeystoneClient.connect(authUrl(), null)) {
            assertThatThrownBy(() -> systemTrust.issueToken(new PasswordAuth("alice", "Default", "alice-pw", new ProjectScope.ById(demoId))))
                    .isInstanceOf(KeystoneException.class)
                    .hasMessageStartingWith("TLS with Keystone at " + authUrl() + " failed: ")
                    .hasMessageEndingWith("(is OS_CACERT / --os-cacert the CA that signed its certificate?)");
        }
    }

    @Test
    void loginThenTheCredentialPluginAsKubectlWouldRunIt() throws IOException {
        Path kubeconfig = dir.resolve("alice/kubeconfig");
        Path cache = dir.resolve("alice/cache");
        Map<String, String> env = new HashMap<>(Map.of("OS_AUTH_URL", authUrl(), "OS_USERNAME", "alice", "OS_PASSWORD", "alice-pw",
                "OS_PROJECT_NAME", "demo", "OS_USER_DOMAIN_NAME", "Default", "OS_PROJECT_DOMAIN_NAME", "Default", "OS_CACERT", ca.toString()));
        Cli.Result login = Cli.run(Login.class, l -> l.env = env, "--kubeconfig", kubeconfig.toString(), "--cache-dir", cache.toString());
        assertThat(login.err()).isEmpty();
        assertThat(login.out()).isEqualTo("Logged in to project demo as alice; context demo@hypernetes in " + kubeconfig + "\n");

        JsonNode config = Json.YAML.readTree(Files.readAllBytes(kubeconfig));
        assertThat(config.path("clusters").get(0).path("cluster").path("server").asText()).isEqualTo(KUBERNETES.toString());
        List<String> args = new ArrayList<>();
        config.path("users").get(0).path("user").path("exec").path("args").forEach(a -> args.add(a.asText()));
        args.removeFirst();
        assertThat(Files.readString(kubeconfig)).doesNotContain("alice-pw");

        // kubectl, right after login and with no password around: the cached token
        Cli.Result first = Cli.run(Credential.class, c -> c.env = Map.of(), args.toArray(String[]::new));
        assertThat(first.err()).isEmpty();
        String token = Json.parse(first.out().getBytes(UTF_8)).path("status").path("token").asText();
        assertThat(token).isNotBlank();

        // 56 minutes on, with OS_PASSWORD in kubectl's environment: a new token from Keystone
        Cli.Result later = Cli.run(Credential.class, c -> {
            c.env = Map.of("OS_PASSWORD", "alice-pw");
            c.clock = Clock.fixed(Instant.now().plus(Duration.ofMinutes(56)), ZoneOffset.UTC);
        }, args.toArray(String[]::new));
        assertThat(later.err()).isEmpty();
        assertThat(Json.parse(later.out().getBytes(UTF_8)).path("status").path("token").asText()).isNotBlank().isNotEqualTo(token);

        // and without it: the one-line message
        Cli.Result expired = Cli.run(Credential.class, c -> {
            c.env = Map.of();
            c.clock = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
        }, args.toArray(String[]::new));
        assertThat(expired.exitCode()).isEqualTo(1);
        assertThat(expired.out()).isEmpty();
        assertThat(expired.err()).isEqualTo("hypernetes credential: the Keystone token for alice in project demo has expired; "
                + "run `hypernetes login` again or set OS_PASSWORD\n");
    }
}
