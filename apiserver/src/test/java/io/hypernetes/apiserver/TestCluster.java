package io.hypernetes.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An API server on a free port over a fresh data directory, with an admin client: the shared fixture of the
 * in-process integration tests.
 */
final class TestCluster implements AutoCloseable, AfterAllCallback {
    final Path dataDir;
    final ApiServer server;
    final KubeClient client;

    private TestCluster(Path dataDir, ApiServer server) {
        this.dataDir = dataDir;
        this.server = server;
        this.client = KubeClient.fromKubeconfig(server.kubeconfig());
    }

    static TestCluster start() {
        return start(Duration.ofSeconds(1), Duration.ofMinutes(5));
    }

    static TestCluster start(Duration bookmarkInterval, Duration compactionInterval) {
        return start(bookmarkInterval, compactionInterval, null);
    }

    /**
     * A cluster that also accepts Keystone bearer tokens, validated by what {@code tokens} makes over the server's
     * store (e.g. an {@code InProcessTokenValidator} over {@code Identity.open(store, dir, clock)}).
     */
    static TestCluster start(io.hypernetes.apiserver.auth.TokenValidator.Factory tokens) {
        return start(Duration.ofSeconds(1), Duration.ofMinutes(5), tokens);
    }

    static TestCluster start(Duration bookmarkInterval, Duration compactionInterval,
            io.hypernetes.apiserver.auth.TokenValidator.Factory tokens) {
        try {
            Path dir = Files.createTempDirectory("hypernetes-test");
            return new TestCluster(dir, ApiServer.start(
                    new ApiServer.Config(dir, "127.0.0.1", 0, bookmarkInterval, compactionInterval, tokens)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode pod(String namespace, String name) {
        return yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s, labels: {app: web}}
                spec:
                  containers:
                  - name: nginx
                    image: nginx:1.25
                    ports: [{containerPort: 80}]
                """.formatted(name, namespace));
    }

    static ObjectNode namespace(String name) {
        return yaml("{apiVersion: v1, kind: Namespace, metadata: {name: %s}}".formatted(name));
    }

    /** Sends a request with explicit Content-Type and Accept (either may be null). */
    KubeClient.Response send(String method, String path, byte[] body, String contentType, String accept) {
        return client.send(method, path, body, contentType, accept);
    }

    KubeClient.Response send(String method, String path, String body, String contentType) {
        return client.send(method, path, body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                contentType, "application/json");
    }

    /** Creates a namespace and returns its name, so each test works in its own. */
    String newNamespace(String name) {
        create("/api/v1/namespaces", namespace(name));
        return name;
    }

    JsonNode get(String path) {
        KubeClient.Response r = client.get(path);
        if (r.code() != 200) throw new AssertionError("get " + path + " -> " + r.code() + ": " + r.text());
        return r.json();
    }

    /** The store's latest revision: unchanged after a request proves the request wrote nothing. */
    long revision() {
        return server.store().revision();
    }

    /**
     * A client that trusts the cluster CA but presents no certificate: what an unauthenticated caller looks like.
     * Built from a copy of the admin kubeconfig with the user's credentials removed.
     */
    KubeClient anonymousClient() {
        try {
            ObjectNode config = (ObjectNode) Json.YAML.readTree(server.kubeconfig().toFile());
            for (JsonNode u : config.path("users")) {
                ObjectNode user = (ObjectNode) u.path("user");
                user.removeAll();
            }
            Path file = dataDir.resolve("anonymous.kubeconfig");
            Json.YAML.writeValue(file.toFile(), config);
            return KubeClient.fromKubeconfig(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads every event of a watch the server ends by itself (timeoutSeconds), one JSON object per line. */
    static java.util.List<JsonNode> events(KubeClient.Response r) {
        java.util.List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : r.text().split("\n")) {
            if (line.isBlank()) continue;
            try {
                out.add(Json.parse(line.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** A server-side apply (PATCH application/apply-patch+yaml) of {@code yaml}; {@code query} as sent, e.g. "fieldManager=x". */
    KubeClient.Response apply(String path, String yaml, String query) {
        return client.send("PATCH", path + (query.isEmpty() ? "" : "?" + query),
                yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/apply-patch+yaml", "application/json");
    }

    /** "manager/operation[/subresource]" of each managedFields entry, in the order the server keeps them. */
    static java.util.List<String> managers(JsonNode obj) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode e : obj.path("metadata").path("managedFields")) {
            out.add(e.path("manager").asText() + "/" + e.path("operation").asText()
                    + (e.has("subresource") ? "/" + e.path("subresource").asText() : ""));
        }
        return out;
    }

    JsonNode create(String path, ObjectNode obj) {
        KubeClient.Response r = client.post(path, obj);
        if (r.code() != 201) throw new AssertionError("create " + path + " -> " + r.code() + ": " + r.text());
        return r.json();
    }

    /** Registered with {@code @RegisterExtension}, the cluster lives as long as its test class. */
    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        client.close();
        server.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
