package io.hypernetes.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.keystone.ProjectScope;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginTest {
    static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    static final String PASSWORD = "pa55-w0rd-never-written";

    @TempDir
    Path dir;

    final FakeKeystone keystone = new FakeKeystone(PASSWORD, NOW);
    final Map<String, String> env = new HashMap<>();
    final List<String> prompts = new ArrayList<>();
    Optional<String> typed = Optional.empty();
    Path kubeconfig;
    Path cacheDir;
    Path ca;
    String previousRoot;

    @BeforeEach
    void setUp() throws IOException {
        kubeconfig = dir.resolve("kube/config");
        cacheDir = dir.resolve("cache");
        ca = Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        previousRoot = System.setProperty("hypernetes.root", "/opt/hypernetes");
    }

    @AfterEach
    void tearDown() {
        if (previousRoot == null) System.clearProperty("hypernetes.root");
        else System.setProperty("hypernetes.root", previousRoot);
    }

    private Cli.Result login(String... args) {
        List<String> all = new ArrayList<>(List.of("--kubeconfig", kubeconfig.toString(), "--cache-dir", cacheDir.toString()));
        all.addAll(List.of(args));
        return Cli.run(Login.class, l -> {
            l.env = env;
            l.issuer = keystone;
            l.terminal = prompt -> {
                prompts.add(prompt);
                return typed.map(String::toCharArray);
            };
        }, all.toArray(String[]::new));
    }

    private void openrc() {
        env.put("OS_AUTH_URL", "https://127.0.0.1:5000/v3");
        env.put("OS_USERNAME", "alice");
        env.put("OS_PASSWORD", PASSWORD);
        env.put("OS_PROJECT_NAME", "demo");
        env.put("OS_USER_DOMAIN_NAME", "Default");
        env.put("OS_PROJECT_DOMAIN_NAME", "Default");
        env.put("OS_CACERT", ca.toString());
    }

    private JsonNode config() throws IOException {
        return Json.YAML.readTree(Files.readAllBytes(kubeconfig));
    }

    @Test
    void fromTheOpenStackEnvironmentWritesAContextWhoseUserRunsTheCredentialPlugin() throws IOException {
        openrc();
        Cli.Result r = login();
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("Logged in to project demo as alice; context demo@hypernetes in " + kubeconfig + "\n");

        assertThat(keystone.calls).singleElement().satisfies(c -> {
            assertThat(c.password()).isEqualTo(PASSWORD);
            assertThat(c.target().project()).isEqualTo(new ProjectScope.ByName("demo", "Default"));
            assertThat(c.target().caCert()).isEqualTo(ca);
        });
        JsonNode root = config();
        assertThat(root.path("current-context").asText()).isEqualTo("demo@hypernetes");
        JsonNode cluster = root.path("clusters").get(0);
        assertThat(cluster.path("name").asText()).isEqualTo("hypernetes");
        assertThat(cluster.path("cluster").path("server").asText()).isEqualTo("https://127.0.0.1:6443");
        assertThat(new String(java.util.Base64.getDecoder().decode(cluster.path("cluster").path("certificate-authority-data").asText()), UTF_8))
                .isEqualTo(Files.readString(ca));
        JsonNode user = root.path("users").get(0);
        assertThat(user.path("name").asText()).isEqualTo("alice@demo@hypernetes");
        JsonNode exec = user.path("user").path("exec");
        assertThat(exec.path("command").asText()).isEqualTo("/opt/hypernetes/hypernetes");
        assertThat(exec.path("args")).extracting(JsonNode::asText).containsExactly("credential",
                "--os-auth-url", "https://127.0.0.1:5000/v3", "--os-username", "alice", "--os-user-domain-name", "Default",
                "--os-project-id", "p1", "--os-cacert", ca.toString(), "--cache-dir", cacheDir.toString());
        assertThat(exec.path("interactiveMode").asText()).isEqualTo("IfAvailable");
        assertThat(exec.path("provideClusterInfo").asBoolean(true)).isFalse();
        assertThat(Files.getPosixFilePermissions(kubeconfig)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void theCredentialPluginAsWrittenReusesTheTokenLoginCached() throws IOException {
        openrc();
        assertThat(login().exitCode()).isZero();
        List<String> args = new ArrayList<>();
        config().path("users").get(0).path("user").path("exec").path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.removeFirst()).isEqualTo("credential");
        Cli.Result r = Cli.run(Credential.class, c -> {
            c.env = Map.of(); // no password: only the cache can answer
            c.issuer = keystone;
            c.clock = Clock.fixed(NOW.plusSeconds(60), ZoneOffset.UTC);
        }, args.toArray(String[]::new));
        assertThat(r.err()).isEmpty();
        assertThat(Json.parse(r.out().getBytes(UTF_8)).path("status").path("token").asText()).isEqualTo("token-1");
        assertThat(keystone.calls).hasSize(1);
    }

    @Test
    void thePasswordIsWrittenNowhere() throws IOException {
        openrc();
        env.remove("OS_PASSWORD");
        Cli.Result r = login("--os-password", PASSWORD);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) assertThat(Files.readString(f)).as(f.toString()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void flagsOverrideTheEnvironmentAndANamedProjectBeatsTheEnvironmentsId() {
        openrc();
        env.put("OS_PROJECT_ID", "env-project");
        env.put("OS_USERNAME", "admin");
        Cli.Result r = login("--os-username", "alice", "--os-project-name", "demo", "--os-project-domain-name", "Tenants",
                "--os-user-domain-name", "Users", "--os-auth-url", "https://keystone.example:5000");
        assertThat(r.exitCode()).isZero();
        KeystoneOptions.Target t = keystone.calls.getFirst().target();
        assertThat(t.username()).isEqualTo("alice");
        assertThat(t.userDomainName()).isEqualTo("Users");
        assertThat(t.project()).isEqualTo(new ProjectScope.ByName("demo", "Tenants"));
        assertThat(t.authUrl()).isEqualTo(URI.create("https://keystone.example:5000/v3"));
    }

    @Test
    void asksForAPasswordOnTheTerminalWhenNoneIsGiven() {
        openrc();
        env.remove("OS_PASSWORD");
        typed = Optional.of(PASSWORD);
        assertThat(login().exitCode()).isZero();
        assertThat(prompts).containsExactly("Password for alice at https://127.0.0.1:5000/v3: ");

        typed = Optional.empty();
        Cli.Result r = login();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hypernetes login: no password: set OS_PASSWORD or --os-password, or run in a terminal to be asked\n");
    }

    @Test
    void serverFlagOverridesTheCatalogAndWithoutEitherLoginFails() throws IOException {
        openrc();
        assertThat(login("--server", "https://api.example:6443").exitCode()).isZero();
        assertThat(config().path("clusters").get(0).path("cluster").path("server").asText()).isEqualTo("https://api.example:6443");

        keystone.kubernetesUrl = Optional.empty();
        Files.delete(kubeconfig);
        Cli.Result r = login();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hypernetes login: Keystone's catalog has no kubernetes endpoint for project demo; give the API URL with --server\n");
        assertThat(kubeconfig).doesNotExist();
    }

    @Test
    void reLoginReplacesItsEntriesAndNoSwitchKeepsTheCurrentContext() throws IOException {
        openrc();
        Files.createDirectories(kubeconfig.getParent());
        Files.writeString(kubeconfig, KubeconfigFileTest.EXISTING);
        assertThat(login("--no-switch").out()).contains("kubectl config use-context demo@hypernetes");
        assertThat(config().path("current-context").asText()).isEqualTo("kind");
        assertThat(login().exitCode()).isZero();
        JsonNode root = config();
        assertThat(root.path("current-context").asText()).isEqualTo("demo@hypernetes");
        assertThat(root.path("contexts")).extracting(n -> n.path("name").asText()).containsExactly("kind", "demo@hypernetes");
        assertThat(root.path("users")).extracting(n -> n.path("name").asText()).containsExactly("kind-admin", "alice@demo@hypernetes");
    }

    @Test
    void namesAndTheDefaultCacheDirectoryFollowTheFlags() throws IOException {
        openrc();
        env.remove("OS_CACERT");
        String home = System.setProperty("user.home", dir.resolve("home").toString()); // the default cache is under it
        Cli.Result r;
        try {
            r = Cli.run(Login.class, l -> {
                l.env = env;
                l.issuer = keystone;
            }, "--kubeconfig", kubeconfig.toString(), "--context", "mine", "--cluster-name", "lab");
        } finally {
            System.setProperty("user.home", home);
        }
        try (Stream<Path> cached = Files.list(dir.resolve("home/.cache/hypernetes/tokens"))) {
            assertThat(cached).hasSize(1);
        }
        assertThat(r.exitCode()).isZero();
        JsonNode root = config();
        assertThat(root.path("contexts").get(0).path("name").asText()).isEqualTo("mine");
        assertThat(root.path("contexts").get(0).path("context").path("cluster").asText()).isEqualTo("lab");
        assertThat(root.path("clusters").get(0).path("cluster").has("certificate-authority-data")).isFalse();
        // the default cache directory is left to the plugin to find; no --os-cacert without a CA
        assertThat(root.path("users").get(0).path("user").path("exec").path("args")).extracting(JsonNode::asText)
                .doesNotContain("--cache-dir", "--os-cacert");
    }

    @Test
    void missingInputsAreNamed() {
        Cli.Result r = login();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("hypernetes login: no Keystone URL (set OS_AUTH_URL or --os-auth-url)\n");
        env.put("OS_AUTH_URL", "https://h:5000");
        assertThat(login().err()).isEqualTo("hypernetes login: no user name (set OS_USERNAME or --os-username)\n");
        env.put("OS_USERNAME", "alice");
        assertThat(login().err()).isEqualTo("hypernetes login: no project (set OS_PROJECT_NAME or OS_PROJECT_ID, "
                + "or --os-project-name or --os-project-id)\n");
        env.put("OS_PROJECT_NAME", "demo");
        env.put("OS_CACERT", dir.resolve("missing.crt").toString());
        assertThat(login().err()).isEqualTo("hypernetes login: CA file " + dir.resolve("missing.crt") + " does not exist (OS_CACERT / --os-cacert)\n");
        env.remove("OS_CACERT");
        env.put("OS_PASSWORD", "wrong");
        assertThat(login().err()).isEqualTo("hypernetes login: Keystone refused: The request you have made requires authentication. (401)\n");
        assertThat(kubeconfig).doesNotExist();
    }
}
