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

/**
 * An API server on a free port over a fresh data directory, with an admin client: the shared fixture of the
 * in-process integration tests.
 */
final class TestCluster implements AutoCloseable {
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
        try {
            Path dir = Files.createTempDirectory("hypernetes-test");
            return new TestCluster(dir, ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, bookmarkInterval, compactionInterval)));
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

    JsonNode create(String path, ObjectNode obj) {
        KubeClient.Response r = client.post(path, obj);
        if (r.code() != 201) throw new AssertionError("create " + path + " -> " + r.code() + ": " + r.text());
        return r.json();
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
