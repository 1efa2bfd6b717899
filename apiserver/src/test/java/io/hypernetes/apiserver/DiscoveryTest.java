package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.client.KubeClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Discovery documents, version, health and metrics. */
class DiscoveryTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    @Test
    void apiVersions() {
        JsonNode api = cluster.get("/api");
        assertThat(api.path("kind").asText()).isEqualTo("APIVersions");
        assertThat(strings(api.path("versions"))).containsExactly("v1");
        assertThat(api.path("serverAddressByClientCIDRs").get(0).path("serverAddress").asText()).isNotEmpty();
        JsonNode apis = cluster.get("/apis");
        assertThat(apis.path("kind").asText()).isEqualTo("APIGroupList");
        assertThat(apis.path("groups").isArray()).isTrue();
    }

    @Test
    void coreResources() {
        JsonNode v1 = cluster.get("/api/v1");
        assertThat(v1.path("kind").asText()).isEqualTo("APIResourceList");
        assertThat(v1.path("groupVersion").asText()).isEqualTo("v1");
        Map<String, JsonNode> byName = new HashMap<>();
        v1.path("resources").forEach(r -> byName.put(r.path("name").asText(), r));
        assertThat(byName).containsKeys("pods", "pods/status", "pods/binding", "namespaces", "namespaces/status",
                "namespaces/finalize", "nodes", "nodes/status", "services", "configmaps", "secrets", "events", "endpoints", "networks");

        JsonNode pods = byName.get("pods");
        assertThat(pods.path("namespaced").asBoolean()).isTrue();
        assertThat(pods.path("kind").asText()).isEqualTo("Pod");
        assertThat(pods.path("singularName").asText()).isEqualTo("pod");
        assertThat(strings(pods.path("verbs"))).contains("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
        assertThat(strings(pods.path("shortNames"))).containsExactly("po");
        assertThat(strings(pods.path("categories"))).containsExactly("all");
        assertThat(strings(byName.get("pods/status").path("verbs"))).containsExactlyInAnyOrder("get", "patch", "update");
        assertThat(strings(byName.get("pods/binding").path("verbs"))).containsExactly("create");
        assertThat(strings(byName.get("pods/log").path("verbs"))).containsExactly("get");
        assertThat(strings(byName.get("pods/exec").path("verbs"))).containsExactly("create", "get");
        assertThat(byName.get("pods/attach").path("kind").asText()).isEqualTo("PodAttachOptions");
        assertThat(byName.get("pods/binding").path("kind").asText()).isEqualTo("Binding");
        assertThat(strings(byName.get("namespaces/finalize").path("verbs"))).containsExactly("update");
        assertThat(byName.get("namespaces").path("namespaced").asBoolean()).isFalse();
        assertThat(strings(byName.get("namespaces").path("shortNames"))).containsExactly("ns");
    }

    @Test
    void versionAndHealth() {
        JsonNode v = cluster.get("/version");
        assertThat(v.path("major").asText()).isEqualTo("1");
        assertThat(v.path("minor").asText()).matches("\\d+");
        assertThat(v.path("gitVersion").asText()).startsWith("v1.");
        for (String path : List.of("/healthz", "/livez", "/readyz")) {
            KubeClient.Response r = cluster.client.get(path);
            assertThat(r.code()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("ok");
        }
    }

    @Test
    void metricsHaveRequestDurations() {
        cluster.get("/api/v1/namespaces/default/pods");
        cluster.client.get("/api/v1/namespaces/default/pods/nope");
        KubeClient.Response r = cluster.client.get("/metrics");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.header("Content-Type").orElse("")).startsWith("text/plain");
        List<String> lines = r.text().lines().filter(l -> l.startsWith("apiserver_request_duration_seconds_bucket{")).toList();
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("verb=\"LIST\"").contains("resource=\"pods\"").contains("le=\"0.005\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("verb=\"GET\"").contains("resource=\"pods\""));
        assertThat(r.text()).contains("apiserver_request_total{");
    }
}
