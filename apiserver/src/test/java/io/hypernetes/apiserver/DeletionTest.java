package io.hypernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Graceful deletion, finalizers, preconditions, namespace termination and deletecollection. */
class DeletionTest {
    @RegisterExtension
    static final TestCluster cluster = TestCluster.start();

    @BeforeAll
    static void populate() {
        cluster.newNamespace("del");
    }

    static JsonNode scheduledPod(String name, Long terminationGrace) {
        ObjectNode p = TestCluster.pod("del", name);
        p.withObject("/spec").put("nodeName", "node-1");
        if (terminationGrace != null) p.withObject("/spec").put("terminationGracePeriodSeconds", terminationGrace);
        return cluster.create("/api/v1/namespaces/del/pods", p);
    }

    static KubeClient.Response deleteWith(String path, String options) {
        return cluster.send("DELETE", path, options, "application/json");
    }

    @Test
    void scheduledPodIsDeletedGracefully() {
        scheduledPod("graceful", 45L);
        Instant before = Instant.now().minusSeconds(1);
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/del/pods/graceful");
        assertThat(r.code()).isEqualTo(200);
        JsonNode meta = r.json().path("metadata");
        assertThat(meta.path("deletionGracePeriodSeconds").asLong()).isEqualTo(45);
        Instant deadline = Instant.parse(meta.path("deletionTimestamp").asText());
        assertThat(deadline).isAfter(before.plusSeconds(44)).isBefore(Instant.now().plusSeconds(46));

        JsonNode still = cluster.get("/api/v1/namespaces/del/pods/graceful");
        assertThat(still.path("metadata").path("deletionTimestamp").asText()).isEqualTo(meta.path("deletionTimestamp").asText());

        // deleting again with a longer grace period changes nothing
        KubeClient.Response again = cluster.client.delete("/api/v1/namespaces/del/pods/graceful?gracePeriodSeconds=100");
        assertThat(again.code()).isEqualTo(200);
        assertThat(again.json().path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(45);

        KubeClient.Response now = cluster.client.delete("/api/v1/namespaces/del/pods/graceful?gracePeriodSeconds=0");
        assertThat(now.code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/del/pods/graceful").code()).isEqualTo(404);
    }

    @Test
    void scheduledPodUsesDefaultGraceAndDeleteOptions() {
        scheduledPod("default-grace", null);
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/del/pods/default-grace");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(30);

        scheduledPod("options-grace", 45L);
        KubeClient.Response o = deleteWith("/api/v1/namespaces/del/pods/options-grace",
                "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":7}");
        assertThat(o.code()).isEqualTo(200);
        assertThat(o.json().path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(7);

        KubeClient.Response zero = deleteWith("/api/v1/namespaces/del/pods/options-grace", "{\"gracePeriodSeconds\":0}");
        assertThat(zero.code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/del/pods/options-grace").code()).isEqualTo(404);
    }

    @Test
    void acceptedOnlyWhenOrphanDependentsIsFalse() {
        // Kubernetes answers 200 for an object that stays (the deletionTimestamp tells), 202 only for this case
        scheduledPod("orphan-false", 20L);
        KubeClient.Response r = deleteWith("/api/v1/namespaces/del/pods/orphan-false", "{\"orphanDependents\":false}");
        assertThat(r.code()).isEqualTo(202);
        assertThat(r.json().path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(20);
        assertThat(cluster.client.delete("/api/v1/namespaces/del/pods/orphan-false?gracePeriodSeconds=0&orphanDependents=false").code())
                .isEqualTo(200);
    }

    @Test
    void unscheduledPodGoesAtOnce() {
        cluster.create("/api/v1/namespaces/del/pods", TestCluster.pod("del", "pending"));
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/del/pods/pending");
        assertThat(r.code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/del/pods/pending").code()).isEqualTo(404);
    }

    @Test
    void finalizersHoldTheObjectUntilRemoved() {
        ObjectNode cm = TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: held, finalizers: [example.com/hold]}}");
        cluster.create("/api/v1/namespaces/del/configmaps", cm);
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/del/configmaps/held");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        JsonNode held = cluster.get("/api/v1/namespaces/del/configmaps/held");
        assertThat(held.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();

        // deleting again does not remove it either
        assertThat(cluster.client.delete("/api/v1/namespaces/del/configmaps/held").code()).isEqualTo(200);

        ObjectNode released = held.deepCopy();
        released.withObject("/metadata").putArray("finalizers");
        KubeClient.Response u = cluster.client.put("/api/v1/namespaces/del/configmaps/held", released);
        assertThat(u.code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/del/configmaps/held").code()).isEqualTo(404);
    }

    @Test
    void finalizerRemovedByPatch() {
        ObjectNode cm = TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: held-patch, finalizers: [example.com/a, example.com/b]}}");
        cluster.create("/api/v1/namespaces/del/configmaps", cm);
        assertThat(cluster.client.delete("/api/v1/namespaces/del/configmaps/held-patch").code()).isEqualTo(200);
        KubeClient.Response one = cluster.client.patch("/api/v1/namespaces/del/configmaps/held-patch", "application/merge-patch+json",
                TestCluster.yaml("{metadata: {finalizers: [example.com/b]}}"));
        assertThat(one.code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/del/configmaps/held-patch").code()).isEqualTo(200);
        KubeClient.Response last = cluster.client.patch("/api/v1/namespaces/del/configmaps/held-patch", "application/merge-patch+json",
                TestCluster.yaml("{metadata: {finalizers: null}}"));
        assertThat(last.code()).isEqualTo(200);
        assertThat(cluster.client.get("/api/v1/namespaces/del/configmaps/held-patch").code()).isEqualTo(404);
    }

    @Test
    void preconditionsMustMatch() {
        JsonNode cm = cluster.create("/api/v1/namespaces/del/configmaps",
                TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: guarded}}"));
        KubeClient.Response wrongUid = deleteWith("/api/v1/namespaces/del/configmaps/guarded",
                "{\"preconditions\":{\"uid\":\"00000000-0000-0000-0000-000000000000\"}}");
        assertThat(wrongUid.code()).isEqualTo(409);
        assertThat(wrongUid.json().path("reason").asText()).isEqualTo("Conflict");
        assertThat(wrongUid.json().path("message").asText()).contains("Precondition failed: UID in precondition");

        KubeClient.Response wrongRv = deleteWith("/api/v1/namespaces/del/configmaps/guarded",
                "{\"preconditions\":{\"resourceVersion\":\"1\"}}");
        assertThat(wrongRv.code()).isEqualTo(409);
        assertThat(wrongRv.json().path("message").asText()).contains("Precondition failed: ResourceVersion in precondition: 1");
        assertThat(cluster.client.get("/api/v1/namespaces/del/configmaps/guarded").code()).isEqualTo(200);

        KubeClient.Response right = deleteWith("/api/v1/namespaces/del/configmaps/guarded",
                "{\"preconditions\":{\"uid\":\"" + cm.path("metadata").path("uid").asText() + "\",\"resourceVersion\":\""
                        + cm.path("metadata").path("resourceVersion").asText() + "\"}}");
        assertThat(right.code()).isEqualTo(200);
    }

    @Test
    void malformedDeleteOptionsWriteNothing() {
        cluster.create("/api/v1/namespaces/del/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: kept}}"));
        assertThat(deleteWith("/api/v1/namespaces/del/configmaps/kept", "{not json").code()).isEqualTo(400);
        assertThat(deleteWith("/api/v1/namespaces/del/configmaps/kept", "{\"propagationPolicy\":\"Sometimes\"}").code()).isEqualTo(400);
        assertThat(cluster.client.delete("/api/v1/namespaces/del/configmaps/kept?gracePeriodSeconds=soon").code()).isEqualTo(400);
        assertThat(cluster.client.get("/api/v1/namespaces/del/configmaps/kept").code()).isEqualTo(200);
    }

    @Test
    void namespaceTerminatesAndFinalizeRemovesIt() {
        cluster.newNamespace("doomed");
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/doomed");
        assertThat(r.code()).isEqualTo(200);
        JsonNode ns = cluster.get("/api/v1/namespaces/doomed");
        assertThat(ns.path("status").path("phase").asText()).isEqualTo("Terminating");
        assertThat(ns.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        assertThat(ns.path("spec").path("finalizers").get(0).asText()).isEqualTo("kubernetes");

        // deleting again does not hurry it, and a plain update cannot drop the finalizer
        KubeClient.Response again = cluster.client.delete("/api/v1/namespaces/doomed");
        assertThat(again.code()).isEqualTo(409);
        assertThat(again.json().path("message").asText()).contains("The system is ensuring all content is removed from this namespace");
        ObjectNode finalize = ns.deepCopy();
        finalize.withObject("/spec").putArray("finalizers");
        assertThat(cluster.client.put("/api/v1/namespaces/doomed", finalize).code()).isEqualTo(200);
        assertThat(cluster.get("/api/v1/namespaces/doomed").path("spec").path("finalizers")).hasSize(1);

        KubeClient.Response f = cluster.client.put("/api/v1/namespaces/doomed/finalize", finalize);
        assertThat(f.code()).isEqualTo(200);
        assertThat(f.json().path("spec").path("finalizers")).isEmpty();
        assertThat(cluster.client.get("/api/v1/namespaces/doomed").code()).isEqualTo(404);
    }

    @Test
    void finalizeOfLiveNamespaceOnlyEmptiesFinalizers() {
        cluster.newNamespace("alive");
        JsonNode ns = cluster.get("/api/v1/namespaces/alive");
        ObjectNode finalize = ns.deepCopy();
        finalize.withObject("/spec").putArray("finalizers");
        KubeClient.Response f = cluster.client.put("/api/v1/namespaces/alive/finalize", finalize);
        assertThat(f.code()).isEqualTo(200);
        JsonNode after = cluster.get("/api/v1/namespaces/alive");
        assertThat(after.path("spec").path("finalizers")).isEmpty();
        assertThat(after.path("status").path("phase").asText()).isEqualTo("Active");
        // without finalizers a delete now removes it at once
        assertThat(cluster.client.delete("/api/v1/namespaces/alive").code()).isEqualTo(200);
    }

    @Test
    void deleteCollectionWithLabelSelector() {
        cluster.newNamespace("bulk");
        for (String name : new String[] {"x1", "x2", "y1"}) {
            ObjectNode cm = TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: %s, labels: {group: %s}}}"
                    .formatted(name, name.substring(0, 1)));
            cluster.create("/api/v1/namespaces/bulk/configmaps", cm);
        }
        KubeClient.Response r = cluster.client.delete("/api/v1/namespaces/bulk/configmaps?labelSelector=group%3Dx");
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.json().path("kind").asText()).isEqualTo("ConfigMapList");
        assertThat(r.json().path("items")).hasSize(2);
        JsonNode left = cluster.get("/api/v1/namespaces/bulk/configmaps");
        assertThat(left.path("items")).hasSize(1);
        assertThat(left.path("items").get(0).path("metadata").path("name").asText()).isEqualTo("y1");
    }

    @Test
    void dryRunDeleteOptionsInBody() {
        cluster.create("/api/v1/namespaces/del/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: dry-body}}"));
        long before = cluster.revision();
        KubeClient.Response r = cluster.client.send("DELETE", "/api/v1/namespaces/del/configmaps/dry-body",
                "{\"dryRun\":[\"All\"]}".getBytes(StandardCharsets.UTF_8), "application/json", "application/json");
        assertThat(r.code()).isEqualTo(200);
        assertThat(cluster.revision()).isEqualTo(before);
        assertThat(cluster.client.get("/api/v1/namespaces/del/configmaps/dry-body").code()).isEqualTo(200);
    }

    private static String configMap(String name) {
        cluster.create("/api/v1/namespaces/del/configmaps", TestCluster.yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: " + name + "}}"));
        return "/api/v1/namespaces/del/configmaps/" + name;
    }

    @Test
    void foregroundAndOrphanDeletionLeaveTheOwnerToTheGarbageCollectorsFinalizer() {
        String fg = configMap("owner-fg");
        KubeClient.Response r = deleteWith(fg, "{\"propagationPolicy\":\"Foreground\"}");
        assertThat(r.code()).isEqualTo(200);
        JsonNode held = cluster.get(fg);
        assertThat(held.at("/metadata/finalizers").toString()).isEqualTo("[\"foregroundDeletion\"]");
        assertThat(held.at("/metadata/deletionTimestamp").asText()).isNotEmpty();
        // a later Orphan swaps the collector's finalizer; a Background takes it off, and with nothing left it goes
        deleteWith(fg, "{\"propagationPolicy\":\"Orphan\"}");
        assertThat(cluster.get(fg).at("/metadata/finalizers").toString()).isEqualTo("[\"orphan\"]");
        assertThat(deleteWith(fg, "{\"propagationPolicy\":\"Background\"}").code()).isEqualTo(200);
        assertThat(cluster.client.get(fg).code()).isEqualTo(404);

        // the deprecated orphanDependents means Orphan, as a query parameter too
        String orphan = configMap("owner-orphan");
        assertThat(cluster.send("DELETE", orphan + "?orphanDependents=true", (String) null, null).code()).isEqualTo(200);
        assertThat(cluster.get(orphan).at("/metadata/finalizers").toString()).isEqualTo("[\"orphan\"]");

        // both at once is refused and changes nothing
        String both = configMap("owner-both");
        long before = cluster.revision();
        KubeClient.Response refused = deleteWith(both, "{\"propagationPolicy\":\"Foreground\",\"orphanDependents\":false}");
        assertThat(refused.code()).isEqualTo(422);
        assertThat(refused.json().path("message").asText()).contains("orphanDependents and deletionPropagation cannot be both set");
        assertThat(cluster.revision()).isEqualTo(before);
        // Background on an object without finalizers deletes at once, as before
        assertThat(deleteWith(both, "{\"propagationPolicy\":\"Background\"}").code()).isEqualTo(200);
        assertThat(cluster.client.get(both).code()).isEqualTo(404);
    }
}
