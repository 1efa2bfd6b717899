package io.hypernetes.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeconfigFileTest {
    @TempDir
    Path dir;

    static final String EXISTING = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kind
              cluster:
                server: https://127.0.0.1:40000
                insecure-skip-tls-verify: true
            users:
            - name: kind-admin
              user:
                token: abc
            contexts:
            - name: kind
              context:
                cluster: kind
                user: kind-admin
            current-context: kind
            preferences:
              colors: true
            extensions:
            - name: x
              extension: {a: 1}
            """;

    private static KubeconfigFile.Entries entries(String server, byte[] ca, List<String> args) {
        return new KubeconfigFile.Entries("hypernetes", server, ca, "alice@demo@hypernetes",
                new KubeconfigFile.Exec("/opt/hypernetes/hypernetes", args, "run `hypernetes login`"), "demo@hypernetes");
    }

    private static JsonNode read(Path file) throws IOException {
        return Json.YAML.readTree(Files.readAllBytes(file));
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode n : list) if (n.path("name").asText().equals(name)) return n;
        throw new AssertionError("no " + name + " in " + list);
    }

    @Test
    void mergesIntoAnExistingFileKeepingEverythingElse() throws IOException {
        Path file = Files.writeString(dir.resolve("config"), EXISTING);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".getBytes(UTF_8);
        KubeconfigFile.merge(file, entries("https://127.0.0.1:6443", ca, List.of("credential", "--os-project-id", "p1")), true);

        JsonNode root = read(file);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(root.path("current-context").asText()).isEqualTo("demo@hypernetes");
        assertThat(root.path("clusters")).hasSize(2);
        assertThat(named(root.path("clusters"), "kind").path("cluster").path("insecure-skip-tls-verify").asBoolean()).isTrue();
        assertThat(named(root.path("users"), "kind-admin").path("user").path("token").asText()).isEqualTo("abc");
        assertThat(named(root.path("contexts"), "kind").path("context").path("user").asText()).isEqualTo("kind-admin");
        assertThat(root.path("preferences").path("colors").asBoolean()).isTrue();
        assertThat(root.path("extensions").get(0).path("name").asText()).isEqualTo("x");

        JsonNode cluster = named(root.path("clusters"), "hypernetes").path("cluster");
        assertThat(cluster.path("server").asText()).isEqualTo("https://127.0.0.1:6443");
        assertThat(Base64.getDecoder().decode(cluster.path("certificate-authority-data").asText())).isEqualTo(ca);
        JsonNode exec = named(root.path("users"), "alice@demo@hypernetes").path("user").path("exec");
        assertThat(exec.path("apiVersion").asText()).isEqualTo("client.authentication.k8s.io/v1");
        assertThat(exec.path("command").asText()).isEqualTo("/opt/hypernetes/hypernetes");
        assertThat(exec.path("args")).extracting(JsonNode::asText).containsExactly("credential", "--os-project-id", "p1");
        assertThat(exec.path("interactiveMode").asText()).isEqualTo("IfAvailable");
        assertThat(exec.path("provideClusterInfo").isBoolean()).isTrue();
        assertThat(exec.path("provideClusterInfo").asBoolean()).isFalse();
        JsonNode context = named(root.path("contexts"), "demo@hypernetes").path("context");
        assertThat(context.path("cluster").asText()).isEqualTo("hypernetes");
        assertThat(context.path("user").asText()).isEqualTo("alice@demo@hypernetes");
    }

    @Test
    void reLoginReplacesTheSameEntriesInPlaceAndKeepsTheContextsNamespace() throws IOException {
        Path file = Files.writeString(dir.resolve("config"), EXISTING);
        KubeconfigFile.merge(file, entries("https://old:6443", null, List.of("credential")), true);
        // the user picks a namespace: kubectl config set-context --current --namespace=team
        String withNamespace = Files.readString(file).replace("    user: alice@demo@hypernetes", "    user: alice@demo@hypernetes\n    namespace: team");
        assertThat(withNamespace).contains("namespace: team");
        Files.writeString(file, withNamespace);

        KubeconfigFile.merge(file, entries("https://new:6443", null, List.of("credential", "--os-project-id", "p2")), true);
        JsonNode root = read(file);
        assertThat(root.path("clusters")).extracting(n -> n.path("name").asText()).containsExactly("kind", "hypernetes");
        assertThat(root.path("users")).extracting(n -> n.path("name").asText()).containsExactly("kind-admin", "alice@demo@hypernetes");
        assertThat(root.path("contexts")).extracting(n -> n.path("name").asText()).containsExactly("kind", "demo@hypernetes");
        assertThat(named(root.path("clusters"), "hypernetes").path("cluster").path("server").asText()).isEqualTo("https://new:6443");
        assertThat(named(root.path("clusters"), "hypernetes").path("cluster").has("certificate-authority-data")).isFalse();
        assertThat(named(root.path("users"), "alice@demo@hypernetes").path("user").path("exec").path("args"))
                .extracting(JsonNode::asText).containsExactly("credential", "--os-project-id", "p2");
        assertThat(named(root.path("contexts"), "demo@hypernetes").path("context").path("namespace").asText()).isEqualTo("team");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void noSwitchKeepsTheCurrentContextUnlessThereIsNone() throws IOException {
        Path file = Files.writeString(dir.resolve("config"), EXISTING);
        KubeconfigFile.merge(file, entries("https://h:6443", null, List.of()), false);
        assertThat(read(file).path("current-context").asText()).isEqualTo("kind");
        Path fresh = dir.resolve("fresh");
        KubeconfigFile.merge(fresh, entries("https://h:6443", null, List.of()), false);
        assertThat(read(fresh).path("current-context").asText()).isEqualTo("demo@hypernetes");
    }

    @Test
    void createsAMissingFileAndDirectoryPrivately() throws IOException {
        Path file = dir.resolve("home/.kube/config");
        KubeconfigFile.merge(file, entries("https://h:6443", null, List.of("credential")), true);
        JsonNode root = read(file);
        assertThat(root.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(root.path("kind").asText()).isEqualTo("Config");
        assertThat(root.path("clusters")).hasSize(1);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(file.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        try (var files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("config"); // no temporary file left
        }
    }

    @Test
    void anEmptyFileIsStartedAfreshAndASymlinkIsKept() throws IOException {
        Path real = Files.writeString(dir.resolve("real"), "");
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        KubeconfigFile.merge(link, entries("https://h:6443", null, List.of()), true);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(read(real).path("current-context").asText()).isEqualTo("demo@hypernetes");
    }

    @Test
    void refusesFilesItCannotMergeWithoutTouchingThem() throws IOException {
        Path notYaml = Files.writeString(dir.resolve("a"), "clusters: [unclosed");
        assertThatThrownBy(() -> KubeconfigFile.merge(notYaml, entries("https://h:6443", null, List.of()), true))
                .hasMessageStartingWith("cannot merge into kubeconfig " + notYaml + ": it is not valid YAML");
        assertThat(Files.readString(notYaml)).isEqualTo("clusters: [unclosed");
        Path list = Files.writeString(dir.resolve("b"), "- a\n- b\n");
        assertThatThrownBy(() -> KubeconfigFile.merge(list, entries("https://h:6443", null, List.of()), true))
                .hasMessage("cannot merge into kubeconfig " + list + ": it is not a mapping");
    }

    @Test
    void defaultPathIsKubeconfigsFirstEntryElseHomeKubeConfig() {
        assertThat(KubeconfigFile.defaultPath(Map.of("KUBECONFIG", ":/a/one:/b/two"))).isEqualTo(Path.of("/a/one"));
        assertThat(KubeconfigFile.defaultPath(Map.of())).isEqualTo(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }
}
