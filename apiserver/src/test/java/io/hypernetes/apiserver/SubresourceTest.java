package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The status, binding and finalize subresources: each writes only its own part of the object. */
class SubresourceTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("sub");
    }

    static ObjectNode binding(String pod, String node) {
        return TestCluster.yaml("{apiVersion: v1, kind: Binding, metadata: {name: %s}, target: {kind: Node, name: %s}}".formatted(pod, node));
    }

    @Test
    void podStatusPutChangesOnlyStatus() {
        JsonNode pod = cluster.create("/api/v1/namespaces/sub/pods", TestCluster.pod("sub", "st"));
        ObjectNode update = pod.deepCopy();
        update.withObject("/status").put("phase", "Running").put("podIP", "10.1.2.3");
        ((ObjectNode) update.path("spec").path("containers").get(0)).put("image", "evil:latest");
        update.withObject("/metadata/labels").put("app", "changed-by-status");
        KubeClient.Response r = cluster.client.put("/api/v1/namespaces/sub/pods/st/status", update);
        assertThat(r.code()).isEqualTo(200);
        JsonNode got = cluster.get("/api/v1/namespaces/sub/pods/st");
        assertThat(got.path("status").path("phase").asText()).isEqualTo("Running");
        assertThat(got.path("status").path("podIP").asText()).isEqualTo("10.1.2.3");
        assertThat(got.path("spec").path("containers").get(0).path("image").asText()).isEqualTo("nginx:1.25");
        assertThat(got.path("metadata").path("generation").asLong()).isEqualTo(1);
        // metadata is not the status subresource's to change either
        assertThat(got.path("metadata").path("labels").path("app").asText()).isEqualTo("web");

        KubeClient.Response get = cluster.client.get("/api/v1/namespaces/sub/pods/st/status");
        assertThat(get.code()).isEqualTo(200);
        assertThat(get.json().path("status").path("podIP").asText()).isEqualTo("10.1.2.3");
    }

    @Test
    void podStatusPatchChangesOnlyStatus() {
        cluster.create("/api/v1/namespaces/sub/pods", TestCluster.pod("sub", "stp"));
        KubeClient.Response r = cluster.client.patch("/api/v1/namespaces/sub/pods/stp/status", "application/merge-patch+json",
                TestCluster.yaml("{status: {phase: Running, podIP: 10.9.9.9}, spec: {activeDeadlineSeconds: 5}}"));
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("status").path("podIP").asText()).isEqualTo("10.9.9.9");
        assertThat(r.json().path("spec").has("activeDeadlineSeconds")).isFalse();
        KubeClient.Response main = cluster.client.patch("/api/v1/namespaces/sub/pods/stp", "application/merge-patch+json",
                TestCluster.yaml("{status: {phase: Failed}}"));
        assertThat(main.code()).isEqualTo(200);
        assertThat(cluster.get("/api/v1/namespaces/sub/pods/stp").path("status").path("phase").asText()).isEqualTo("Running");
    }

    @Test
    void bindingAssignsANodeOnce() {
        cluster.create("/api/v1/namespaces/sub/pods", TestCluster.pod("sub", "bind-me"));
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/sub/pods/bind-me/binding", binding("bind-me", "node-7"));
        assertThat(r.code()).isEqualTo(201);
        assertThat(r.json().path("kind").asText()).isEqualTo("Status");
        assertThat(r.json().path("status").asText()).isEqualTo("Success");
        JsonNode pod = cluster.get("/api/v1/namespaces/sub/pods/bind-me");
        assertThat(pod.path("spec").path("nodeName").asText()).isEqualTo("node-7");
        JsonNode scheduled = null;
        for (JsonNode c : pod.path("status").path("conditions")) if (c.path("type").asText().equals("PodScheduled")) scheduled = c;
        assertThat(scheduled).isNotNull();
        assertThat(scheduled.path("status").asText()).isEqualTo("True");

        long before = cluster.revision();
        KubeClient.Response again = cluster.client.post("/api/v1/namespaces/sub/pods/bind-me/binding", binding("bind-me", "node-8"));
        assertThat(again.code()).isEqualTo(409);
        assertThat(again.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(again.json().path("message").asText()).contains("already assigned to node \"node-7\"");
        assertThat(cluster.revision()).isEqualTo(before);
    }

    @Test
    void bindingIsOneWrite() {
        cluster.create("/api/v1/namespaces/sub/pods", TestCluster.pod("sub", "bind-once"));
        long before = cluster.revision();
        assertThat(cluster.client.post("/api/v1/namespaces/sub/pods/bind-once/binding", binding("bind-once", "n")).code()).isEqualTo(201);
        // spec.nodeName and the PodScheduled condition land together, so no watcher sees a half-bound pod
        assertThat(cluster.revision()).isEqualTo(before + 1);
    }

    @Test
    void bindingWithoutTargetIsInvalid() {
        cluster.create("/api/v1/namespaces/sub/pods", TestCluster.pod("sub", "no-target"));
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/sub/pods/no-target/binding",
                TestCluster.yaml("{apiVersion: v1, kind: Binding, metadata: {name: no-target}, target: {kind: Node}}"));
        assertThat(r.code()).isEqualTo(422);
        assertThat(r.json().path("reason").asText()).isEqualTo("Invalid");
        assertThat(r.json().path("details").path("causes").get(0).path("field").asText()).isEqualTo("target.name");
        assertThat(cluster.get("/api/v1/namespaces/sub/pods/no-target").path("spec").has("nodeName")).isFalse();
    }

    @Test
    void bindingOfMissingPodIsNotFound() {
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/sub/pods/ghost/binding", binding("ghost", "n"));
        assertThat(r.code()).isEqualTo(404);
    }

    @Test
    void nodeStatus() {
        JsonNode node = cluster.create("/api/v1/nodes", TestCluster.yaml("""
                apiVersion: v1
                kind: Node
                metadata: {name: node-s}
                spec: {unschedulable: false}
                """));
        ObjectNode update = node.deepCopy();
        update.withObject("/status").putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        update.withObject("/spec").put("unschedulable", true);
        KubeClient.Response r = cluster.client.put("/api/v1/nodes/node-s/status", update);
        assertThat(r.code()).isEqualTo(200);
        JsonNode got = cluster.get("/api/v1/nodes/node-s");
        assertThat(got.path("status").path("conditions").get(0).path("type").asText()).isEqualTo("Ready");
        assertThat(got.path("spec").path("unschedulable").asBoolean()).isFalse();

        ObjectNode main = got.deepCopy();
        main.withObject("/status").putArray("conditions");
        assertThat(cluster.client.put("/api/v1/nodes/node-s", main).code()).isEqualTo(200);
        assertThat(cluster.get("/api/v1/nodes/node-s").path("status").path("conditions")).hasSize(1);
    }

    @Test
    void namespaceStatus() {
        cluster.newNamespace("ns-status");
        KubeClient.Response r = cluster.client.patch("/api/v1/namespaces/ns-status/status", "application/merge-patch+json",
                TestCluster.yaml("{status: {conditions: [{type: NamespaceDeletionDiscoveryFailure, status: 'False'}]}}"));
        assertThat(r.code()).isEqualTo(200);
        assertThat(cluster.get("/api/v1/namespaces/ns-status").path("status").path("conditions")).hasSize(1);
        assertThat(cluster.get("/api/v1/namespaces/ns-status").path("status").path("phase").asText()).isEqualTo("Active");
    }

    @Test
    void unknownSubresourceIsNotFound() {
        cluster.create("/api/v1/namespaces/sub/pods", TestCluster.pod("sub", "no-sub"));
        assertThat(cluster.client.get("/api/v1/namespaces/sub/pods/no-sub/scale").code()).isEqualTo(404);
        assertThat(cluster.client.delete("/api/v1/namespaces/sub/pods/no-sub/status").code()).isEqualTo(405);
    }
}
