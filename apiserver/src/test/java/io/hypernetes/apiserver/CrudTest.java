package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Create, get, update and delete of single objects, and the Status shapes of their failures. */
class CrudTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("crud");
    }

    static ObjectNode configMap(String name) {
        return TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: %s}, data: {k: v}}".formatted(name));
    }

    @Test
    void createSetsServerFields() {
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/crud/pods", TestCluster.pod("crud", "create-me"));
        assertThat(r.code()).isEqualTo(201);
        JsonNode meta = r.json().path("metadata");
        assertThat(meta.path("uid").asText()).matches("[0-9a-f-]{36}");
        assertThat(meta.path("creationTimestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(meta.path("generation").asLong()).isEqualTo(1);
        assertThat(Long.parseLong(meta.path("resourceVersion").asText())).isEqualTo(cluster.revision());
        assertThat(r.json().path("status").path("phase").asText()).isEqualTo("Pending");

        JsonNode got = cluster.get("/api/v1/namespaces/crud/pods/create-me");
        assertThat(got.path("metadata").path("uid")).isEqualTo(meta.path("uid"));
        assertThat(got.path("metadata").path("resourceVersion")).isEqualTo(meta.path("resourceVersion"));
    }

    @Test
    void updateBumpsGenerationOnlyOnSpecChange() {
        JsonNode created = cluster.create("/api/v1/namespaces/crud/pods", TestCluster.pod("crud", "gen"));
        ObjectNode labelsOnly = created.deepCopy();
        labelsOnly.withObject("/metadata/labels").put("tier", "front");
        KubeClient.Response r1 = cluster.client.put("/api/v1/namespaces/crud/pods/gen", labelsOnly);
        assertThat(r1.code()).isEqualTo(200);
        assertThat(r1.json().path("metadata").path("generation").asLong()).isEqualTo(1);
        assertThat(r1.json().path("metadata").path("labels").path("tier").asText()).isEqualTo("front");
        assertThat(r1.json().path("metadata").path("resourceVersion").asText())
                .isNotEqualTo(created.path("metadata").path("resourceVersion").asText());

        ObjectNode newImage = r1.json().deepCopy();
        ((ObjectNode) newImage.path("spec").path("containers").get(0)).put("image", "nginx:1.26");
        KubeClient.Response r2 = cluster.client.put("/api/v1/namespaces/crud/pods/gen", newImage);
        assertThat(r2.code()).isEqualTo(200);
        assertThat(r2.json().path("metadata").path("generation").asLong()).isEqualTo(2);
    }

    @Test
    void updateOfMainResourceIgnoresStatus() {
        JsonNode created = cluster.create("/api/v1/namespaces/crud/pods", TestCluster.pod("crud", "status-ignored"));
        ObjectNode obj = created.deepCopy();
        obj.withObject("/status").put("phase", "Running").put("podIP", "10.0.0.9");
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/crud/pods/status-ignored", obj);
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(cluster.get("/api/v1/namespaces/crud/pods/status-ignored").path("status").has("podIP")).isFalse();
    }

    @Test
    void staleResourceVersionIsConflict() {
        JsonNode created = cluster.create("/api/v1/namespaces/crud/configmaps", configMap("stale"));
        ObjectNode first = created.deepCopy();
        first.withObject("/data").put("k", "one");
        assertThat(cluster.client.put("/api/v1/namespaces/crud/configmaps/stale", first).code()).isEqualTo(200);

        ObjectNode second = created.deepCopy();
        second.withObject("/data").put("k", "two");
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/crud/configmaps/stale", second);
        assertThat(r.code()).isEqualTo(409);
        assertThat(r.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(r.json().path("message").asText()).isEqualTo("Operation cannot be fulfilled on configmaps \"stale\": "
                + "the object has been modified; please apply your changes to the latest version and try again");
        assertThat(r.json().path("details").path("name").asText()).isEqualTo("stale");
        assertThat(r.json().path("details").path("kind").asText()).isEqualTo("configmaps");
        assertThat(cluster.revision()).isEqualTo(before);
        assertThat(cluster.get("/api/v1/namespaces/crud/configmaps/stale").path("data").path("k").asText()).isEqualTo("one");
    }

    @Test
    void updateWithoutResourceVersionIsUnconditional() {
        cluster.create("/api/v1/namespaces/crud/configmaps", configMap("unconditional"));
        ObjectNode obj = configMap("unconditional");
        obj.withObject("/data").put("k", "replaced");
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/crud/configmaps/unconditional", obj);
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("data").path("k").asText()).isEqualTo("replaced");
        assertThat(r.json().path("metadata").path("uid").asText()).isNotEmpty();
    }

    @Test
    void deleteReturnsTheObject() {
        JsonNode created = cluster.create("/api/v1/namespaces/crud/configmaps", configMap("bye"));
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/crud/configmaps/bye");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("kind").asText()).isEqualTo("ConfigMap");
        assertThat(r.json().path("metadata").path("uid")).isEqualTo(created.path("metadata").path("uid"));
        assertThat(cluster.client.get("/api/v1/namespaces/crud/configmaps/bye").code()).isEqualTo(404);
    }

    @Test
    void notFoundIsAStatus() {
        KubeClient.Response r = cluster.client.get("/api/v1/namespaces/crud/pods/nope");
        assertThat(r.code()).isEqualTo(404);
        JsonNode s = r.json();
        assertThat(s.path("kind").asText()).isEqualTo("Status");
        assertThat(s.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(s.path("status").asText()).isEqualTo("Failure");
        assertThat(s.path("reason").asText()).isEqualTo("NotFound");
        assertThat(s.path("message").asText()).isEqualTo("pods \"nope\" not found");
        assertThat(s.path("details").path("name").asText()).isEqualTo("nope");
        assertThat(s.path("details").path("kind").asText()).isEqualTo("pods");
        assertThat(s.path("code").asInt()).isEqualTo(404);
        assertThat(cluster.client.delete("/api/v1/namespaces/crud/pods/nope").code()).isEqualTo(404);
        assertThat(cluster.client.put("/api/v1/namespaces/crud/configmaps/nope", configMap("nope")).code()).isEqualTo(404);
    }

    @Test
    void createTwiceIsAlreadyExists() {
        cluster.create("/api/v1/namespaces/crud/configmaps", configMap("twice"));
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/crud/configmaps", configMap("twice"));
        assertThat(r.code()).isEqualTo(409);
        assertThat(r.json().path("reason").asText()).isEqualTo("AlreadyExists");
        assertThat(r.json().path("message").asText()).isEqualTo("configmaps \"twice\" already exists");
        assertThat(r.json().path("details").path("name").asText()).isEqualTo("twice");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void generateNameMakesDistinctNames() {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            ObjectNode cm = TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {generateName: web-}}");
            KubeClient.Response r = cluster.client.post("/api/v1/namespaces/crud/configmaps", cm);
            assertThat(r.code()).isEqualTo(201);
            String name = r.json().path("metadata").path("name").asText();
            assertThat(name).matches("web-[a-z0-9]{5}");
            assertThat(r.json().path("metadata").path("generateName").asText()).isEqualTo("web-");
            names.add(name);
        }
        assertThat(names).hasSize(30);
    }

    @Test
    void namespaceMismatchIsBadRequest() {
        ObjectNode cm = configMap("elsewhere");
        cm.withObject("/metadata").put("namespace", "default");
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/crud/configmaps", cm);
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("reason").asText()).isEqualTo("BadRequest");
        assertThat(r.json().path("message").asText()).contains("does not match the namespace");
        assertThat(cluster.client.get("/api/v1/namespaces/default/configmaps/elsewhere").code()).isEqualTo(404);
    }

    @Test
    void nameMismatchOnPutIsBadRequest() {
        cluster.create("/api/v1/namespaces/crud/configmaps", configMap("right"));
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/crud/configmaps/right", configMap("wrong"));
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).contains("does not match the name on the URL");
    }

    @Test
    void createInMissingNamespaceIsNotFound() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/ghost/configmaps", configMap("x"));
        assertThat(r.code()).isEqualTo(404);
        assertThat(r.json().path("reason").asText()).isEqualTo("NotFound");
        assertThat(r.json().path("message").asText()).isEqualTo("namespaces \"ghost\" not found");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void createInTerminatingNamespaceIsForbidden() {
        cluster.newNamespace("going");
        assertThat(cluster.client.delete("/api/v1/namespaces/going").code()).isEqualTo(200);
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/going/configmaps", configMap("late"));
        assertThat(r.code()).isEqualTo(403);
        assertThat(r.json().path("reason").asText()).isEqualTo("Forbidden");
        assertThat(r.json().path("message").asText())
                .contains("unable to create new content in namespace going because it is being terminated");
    }
}
