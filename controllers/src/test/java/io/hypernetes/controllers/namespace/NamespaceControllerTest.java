package io.hypernetes.controllers.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NamespaceControllerTest {

    @Test
    void deletedNamespaceIsEmptiedThenGone(@TempDir Path dir) throws Exception {
        try (ApiServer server = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5)));
             KubeClient client = KubeClient.fromKubeconfig(server.controllersKubeconfig());
             NamespaceController controller = NamespaceController.start(client)) {
            assertThat(client.post("/api/v1/namespaces", object("Namespace", "doomed", null)).code()).isEqualTo(201);
            assertThat(client.post("/api/v1/namespaces/doomed/configmaps", object("ConfigMap", "a", "doomed")).code()).isEqualTo(201);
            ObjectNode held = object("ConfigMap", "held", "doomed");
            held.withObject("/metadata").putArray("finalizers").add("example.com/hold");
            assertThat(client.post("/api/v1/namespaces/doomed/configmaps", held).code()).isEqualTo(201);

            assertThat(client.delete("/api/v1/namespaces/doomed").code()).isIn(200, 202);
            awaitCode(client, "/api/v1/namespaces/doomed/configmaps/a", 404);
            // an object with a finalizer holds the namespace in Terminating
            Thread.sleep(1500);
            assertThat(client.get("/api/v1/namespaces/doomed").json().path("status").path("phase").asText()).isEqualTo("Terminating");

            ObjectNode release = Json.object();
            release.putObject("metadata").putNull("finalizers");
            assertThat(client.patch("/api/v1/namespaces/doomed/configmaps/held", "application/merge-patch+json", release).code()).isEqualTo(200);
            awaitCode(client, "/api/v1/namespaces/doomed", 404);
        }
    }

    private static void awaitCode(KubeClient client, String path, int code) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(30);
        while (client.get(path).code() != code) {
            if (Instant.now().isAfter(end)) throw new AssertionError(path + " never answered " + code);
            Thread.sleep(100);
        }
    }

    private static ObjectNode object(String kind, String name, String namespace) {
        ObjectNode o = Json.object().put("apiVersion", "v1").put("kind", kind);
        ObjectNode m = o.putObject("metadata").put("name", name);
        if (namespace != null) m.put("namespace", namespace);
        return o;
    }
}
