package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Representations by Accept header: JSON, YAML, Tables, PartialObjectMetadata, and 406 for the rest. */
class ContentNegotiationTest {
    static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("cn");
        ObjectNode p = TestCluster.pod("cn", "web-1");
        p.withObject("/spec").put("nodeName", "node-a");
        cluster.create("/api/v1/namespaces/cn/pods", p);
        cluster.create("/api/v1/namespaces/cn/pods", TestCluster.pod("cn", "web-2"));
    }

    static KubeClient.Response get(String path, String accept) {
        return cluster.send("GET", path, null, null, accept);
    }

    @Test
    void yaml() throws Exception {
        KubeClient.Response r = get("/api/v1/namespaces/cn/pods/web-1", "application/yaml");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.header("Content-Type")).hasValue("application/yaml");
        assertThat(r.text()).contains("kind: Pod").doesNotStartWith("{");
        JsonNode parsed = Json.YAML.readTree(r.body());
        assertThat(parsed.path("metadata").path("name").asText()).isEqualTo("web-1");

        KubeClient.Response list = get("/api/v1/namespaces/cn/pods", "application/yaml");
        assertThat(Json.YAML.readTree(list.body()).path("kind").asText()).isEqualTo("PodList");
        KubeClient.Response error = get("/api/v1/namespaces/cn/pods/nope", "application/yaml");
        assertThat(error.code()).isEqualTo(404);
    }

    @Test
    void tableForList() {
        KubeClient.Response r = get("/api/v1/namespaces/cn/pods", TABLE);
        assertThat(r.code()).isEqualTo(200);
        JsonNode t = r.json();
        assertThat(t.path("kind").asText()).isEqualTo("Table");
        assertThat(t.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
        List<String> columns = new ArrayList<>();
        List<Integer> priorities = new ArrayList<>();
        t.path("columnDefinitions").forEach(c -> {
            columns.add(c.path("name").asText());
            priorities.add(c.path("priority").asInt());
        });
        assertThat(columns).containsExactly("Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates");
        assertThat(priorities).containsExactly(0, 0, 0, 0, 0, 1, 1, 1, 1);
        assertThat(t.path("rows")).hasSize(2);
        JsonNode cells = t.path("rows").get(0).path("cells");
        assertThat(cells.get(0).asText()).isEqualTo("web-1");
        assertThat(cells.get(1).asText()).isEqualTo("0/1");
        assertThat(cells.get(2).asText()).isEqualTo("Pending");
        assertThat(cells.get(6).asText()).isEqualTo("node-a");
        assertThat(t.path("metadata").path("resourceVersion").asText()).isNotEmpty();
        // the default includeObject is Metadata
        assertThat(t.path("rows").get(0).path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
    }

    @Test
    void tableIncludeObject() {
        JsonNode none = get("/api/v1/namespaces/cn/pods/web-1?includeObject=None", TABLE).json();
        assertThat(none.path("rows").get(0).has("object")).isFalse();
        JsonNode meta = get("/api/v1/namespaces/cn/pods/web-1?includeObject=Metadata", TABLE).json();
        assertThat(meta.path("rows").get(0).path("object").path("metadata").path("name").asText()).isEqualTo("web-1");
        assertThat(meta.path("rows").get(0).path("object").has("spec")).isFalse();
        JsonNode object = get("/api/v1/namespaces/cn/pods/web-1?includeObject=Object", TABLE).json();
        assertThat(object.path("rows").get(0).path("object").path("kind").asText()).isEqualTo("Pod");
        assertThat(object.path("rows").get(0).path("object").path("spec").path("containers")).hasSize(1);
        assertThat(get("/api/v1/namespaces/cn/pods/web-1?includeObject=Everything", TABLE).code()).isEqualTo(400);
    }

    @Test
    void tableForOtherKinds() {
        JsonNode ns = get("/api/v1/namespaces/cn", TABLE).json();
        assertThat(ns.path("rows").get(0).path("cells").get(1).asText()).isEqualTo("Active");
        JsonNode cms = get("/api/v1/namespaces/cn/configmaps", TABLE).json();
        assertThat(cms.path("kind").asText()).isEqualTo("Table");
    }

    @Test
    void partialObjectMetadata() {
        JsonNode one = get("/api/v1/namespaces/cn/pods/web-2", "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io").json();
        assertThat(one.path("kind").asText()).isEqualTo("PartialObjectMetadata");
        assertThat(one.path("metadata").path("name").asText()).isEqualTo("web-2");
        assertThat(one.has("spec")).isFalse();
        JsonNode list = get("/api/v1/namespaces/cn/pods", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io").json();
        assertThat(list.path("kind").asText()).isEqualTo("PartialObjectMetadataList");
        assertThat(list.path("items")).hasSize(2);
        assertThat(list.path("items").get(0).path("kind").asText()).isEqualTo("PartialObjectMetadata");
        assertThat(list.path("items").get(0).has("spec")).isFalse();
    }

    @Test
    void fallsBackInTheClientsOrder() {
        // kubectl asks for a Table first and plain JSON as fallback
        KubeClient.Response r = get("/api/v1/namespaces/cn/pods", TABLE + ",application/json");
        assertThat(r.json().path("kind").asText()).isEqualTo("Table");
        KubeClient.Response any = get("/api/v1/namespaces/cn/pods", "*/*");
        assertThat(any.json().path("kind").asText()).isEqualTo("PodList");
        KubeClient.Response fallback = get("/api/v1/namespaces/cn/pods", "application/json;as=Widget;v=v1;g=meta.k8s.io, application/json");
        assertThat(fallback.json().path("kind").asText()).isEqualTo("PodList");
    }

    @Test
    void unsatisfiableAcceptIsNotAcceptable() {
        for (String accept : List.of("application/xml", "text/html", "application/json;as=Widget;v=v1;g=meta.k8s.io",
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io")) {
            KubeClient.Response r = get("/api/v1/namespaces/cn/pods", accept);
            assertThat(r.code()).as(accept).isEqualTo(406);
            assertThat(r.json().path("reason").asText()).isEqualTo("NotAcceptable");
        }
        long before = cluster.revision();
        KubeClient.Response create = cluster.client.send("POST", "/api/v1/namespaces/cn/configmaps",
                Json.bytes(TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: unseen}}")), "application/json", "text/html");
        assertThat(create.code()).isEqualTo(406);
        assertThat(cluster.revision()).isEqualTo(before);
    }
}
