package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** dryRun=All runs every check and answers as the write would, but the store revision never moves. */
class DryRunTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("dry");
    }

    @Test
    void createWritesNothing() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/dry/pods?dryRun=All", TestCluster.pod("dry", "ghost"));
        assertThat(r.code()).isEqualTo(201);
        assertThat(r.json().path("metadata").path("uid").asText()).isNotEmpty();
        assertThat(r.json().path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(cluster.revision()).isEqualTo(before);
        assertThat(cluster.client.get("/api/v1/namespaces/dry/pods/ghost").code()).isEqualTo(404);
    }

    @Test
    void createStillValidates() {
        cluster.create("/api/v1/namespaces/dry/pods", TestCluster.pod("dry", "exists"));
        assertThat(cluster.client.post("/api/v1/namespaces/dry/pods?dryRun=All", TestCluster.pod("dry", "exists")).code()).isEqualTo(409);
        ObjectNode bad = TestCluster.pod("dry", "Bad_Name");
        assertThat(cluster.client.post("/api/v1/namespaces/dry/pods?dryRun=All", bad).code()).isEqualTo(422);
    }

    @Test
    void updatePatchAndDeleteWriteNothing() {
        JsonNode pod = cluster.create("/api/v1/namespaces/dry/pods", TestCluster.pod("dry", "keep"));
        long before = cluster.revision();

        ObjectNode changed = pod.deepCopy();
        changed.withObject("/metadata/labels").put("dry", "run");
        KubeClient.Response put = cluster.client.put("/api/v1/namespaces/dry/pods/keep?dryRun=All", changed);
        assertThat(put.code()).isEqualTo(200);
        assertThat(put.json().path("metadata").path("labels").path("dry").asText()).isEqualTo("run");

        KubeClient.Response patch = cluster.client.patch("/api/v1/namespaces/dry/pods/keep?dryRun=All", "application/merge-patch+json",
                TestCluster.yaml("{metadata: {labels: {patched: 'yes'}}}"));
        assertThat(patch.code()).isEqualTo(200);
        assertThat(patch.json().path("metadata").path("labels").path("patched").asText()).isEqualTo("yes");

        KubeClient.Response status = cluster.client.patch("/api/v1/namespaces/dry/pods/keep/status?dryRun=All",
                "application/merge-patch+json", TestCluster.yaml("{status: {phase: Running}}"));
        assertThat(status.code()).isEqualTo(200);

        KubeClient.Response delete = cluster.client.delete("/api/v1/namespaces/dry/pods/keep?dryRun=All");
        assertThat(delete.code()).isEqualTo(200);

        KubeClient.Response bind = cluster.client.post("/api/v1/namespaces/dry/pods/keep/binding?dryRun=All",
                TestCluster.yaml("{apiVersion: v1, kind: Binding, metadata: {name: keep}, target: {name: n1}}"));
        assertThat(bind.code()).as(bind.text()).isEqualTo(201);

        KubeClient.Response collection = cluster.client.delete("/api/v1/namespaces/dry/pods?dryRun=All");
        assertThat(collection.code()).isEqualTo(200);

        assertThat(cluster.revision()).isEqualTo(before);
        JsonNode got = cluster.get("/api/v1/namespaces/dry/pods/keep");
        assertThat(got.path("metadata").path("labels").has("dry")).isFalse();
        assertThat(got.path("metadata").path("labels").has("patched")).isFalse();
        assertThat(got.path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(got.path("spec").has("nodeName")).isFalse();
        assertThat(got.path("metadata").path("resourceVersion")).isEqualTo(pod.path("metadata").path("resourceVersion"));
    }

    @Test
    void gracefulDeleteDryRunWritesNothing() {
        ObjectNode p = TestCluster.pod("dry", "on-node");
        p.withObject("/spec").put("nodeName", "n1");
        cluster.create("/api/v1/namespaces/dry/pods", p);
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/dry/pods/on-node?dryRun=All");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        assertThat(cluster.revision()).isEqualTo(before);
        assertThat(cluster.get("/api/v1/namespaces/dry/pods/on-node").path("metadata").has("deletionTimestamp")).isFalse();
    }

    @Test
    void invalidDryRunValueIsBadRequest() {
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.post("/api/v1/namespaces/dry/pods?dryRun=Yes", TestCluster.pod("dry", "maybe"));
        assertThat(r.code()).isEqualTo(400);
        assertThat(r.json().path("message").asText()).contains("dryRun");
        assertThat(cluster.client.delete("/api/v1/namespaces/dry/pods/maybe?dryRun=true").code()).isEqualTo(400);
        assertThat(cluster.revision()).isEqualTo(before);
    }
}
