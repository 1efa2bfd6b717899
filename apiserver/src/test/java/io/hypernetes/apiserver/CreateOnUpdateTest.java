package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PUT of an object that does not exist creates it for the kinds whose Kubernetes strategy allows it: Endpoints and Events. */
class CreateOnUpdateTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("cu");
    }

    static ObjectNode endpoints(String name) {
        return TestCluster.yaml("""
                {apiVersion: v1, kind: Endpoints, metadata: {name: %s},
                 subsets: [{addresses: [{ip: 10.1.2.3}], ports: [{port: 80}]}]}""".formatted(name));
    }

    static ObjectNode event(String name) {
        return TestCluster.yaml("""
                {apiVersion: v1, kind: Event, metadata: {name: %s},
                 involvedObject: {kind: Pod, namespace: cu, name: p}, reason: Started, message: hello, type: Normal}""".formatted(name));
    }

    @Test
    void endpointsAndEventsAreCreatedByPutWith201ThenUpdatedWith200() {
        for (var e : Map.of("endpoints", endpoints("web"), "events", event("ev")).entrySet()) {
            String name = e.getValue().at("/metadata/name").asText();
            String path = "/api/v1/namespaces/cu/" + e.getKey() + "/" + name;
            KubeClient.Response created = cluster.client.put(path, e.getValue());
            assertThat(created.code()).as(created.text()).isEqualTo(201);
            assertThat(created.json().at("/metadata/uid").asText()).isNotEmpty();
            assertThat(created.json().at("/metadata/namespace").asText()).isEqualTo("cu");
            assertThat(created.json().at("/metadata/creationTimestamp").asText()).isNotEmpty();
            assertThat(cluster.get(path).at("/metadata/uid")).isEqualTo(created.json().at("/metadata/uid"));

            KubeClient.Response updated = cluster.client.put(path, e.getValue());
            assertThat(updated.code()).as(updated.text()).isEqualTo(200);
            assertThat(updated.json().at("/metadata/uid")).isEqualTo(created.json().at("/metadata/uid"));
        }
    }

    @Test
    void aDryRunCreateByPutWritesNothing() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/cu/endpoints/dry?dryRun=All", endpoints("dry"));
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        assertThat(cluster.revision()).isEqualTo(before);
        assertThat(cluster.client.get("/api/v1/namespaces/cu/endpoints/dry").code()).isEqualTo(404);
    }

    @Test
    void aResourceVersionIsRefusedWhenThereIsNothingToUpdate() {
        ObjectNode body = endpoints("versioned");
        body.withObject("/metadata").put("resourceVersion", "12");
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/cu/endpoints/versioned", body);
        assertThat(r.code()).isEqualTo(409);
        assertThat(r.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(r.json().path("message").asText()).contains("the object has been modified");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void theCreateIsValidatedAsACreate() {
        ObjectNode body = endpoints("bad");
        ((ObjectNode) body.at("/subsets/0/addresses/0")).put("ip", "not-an-ip");
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/cu/endpoints/bad", body);
        assertThat(r.code()).isEqualTo(422);
        KubeClient.Response other = cluster.client.put("/api/v1/namespaces/cu/endpoints/url-name", endpoints("body-name"));
        assertThat(other.code()).isEqualTo(400);
        KubeClient.Response noNs = cluster.client.put("/api/v1/namespaces/missing/endpoints/x", endpoints("x"));
        assertThat(noNs.code()).isEqualTo(404);
    }

    @Test
    void otherKindsStill404() {
        Map<String, ObjectNode> bodies = Map.of(
                "/api/v1/namespaces/cu/pods/p", TestCluster.pod("cu", "p"),
                "/api/v1/namespaces/cu/configmaps/c", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"),
                "/api/v1/namespaces/cu/secrets/s", TestCluster.yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}}"),
                "/api/v1/namespaces/cu/services/s", TestCluster.yaml("{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}"),
                "/api/v1/namespaces/n", TestCluster.namespace("n"),
                "/api/v1/nodes/n", TestCluster.yaml("{apiVersion: v1, kind: Node, metadata: {name: n}}"),
                "/api/v1/networks/n", TestCluster.yaml("{apiVersion: v1, kind: Network, metadata: {name: n}, spec: {tenantID: t}}"));
        long before = cluster.revision();
        bodies.forEach((path, body) -> {
            KubeClient.Response r = cluster.client.put(path, body);
            assertThat(r.code()).as(path + ": " + r.text()).isEqualTo(404);
            assertThat(r.json().path("reason").asText()).isEqualTo("NotFound");
        });
        assertThat(cluster.revision()).isEqualTo(before);
    }
}
