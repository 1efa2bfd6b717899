package io.hypernetes.controllers.podgc;

import static io.hypernetes.controllers.ControlPlane.await;
import static io.hypernetes.controllers.ControlPlane.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.ControlPlane;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodGarbageCollectorTest {
    @TempDir
    Path dir;

    @Test
    void orphansOfADeletedNodeGoAfterTheQuarantineOthersStay() throws Exception {
        try (ControlPlane plane = ControlPlane.start(dir);
                PodGarbageCollector gc = PodGarbageCollector.start(plane.informers,
                        new PodGarbageCollector.Config(Duration.ofHours(1), Duration.ofSeconds(30), 0))) {
            KubeClient client = plane.client;
            namespace(client, "work");
            node(client, "alive");
            node(client, "dead");
            pod(client, "on-alive", "alive");
            pod(client, "on-dead", "dead");
            pod(client, "unbound", null);
            assertThat(client.delete("/api/v1/nodes/dead").code()).isEqualTo(200);
            await(() -> plane.informers.informer("/api/v1/nodes").list().size() == 1
                    && plane.informers.informer("/api/v1/pods").list().size() == 3);

            Instant now = Instant.now();
            gc.sweep(now);
            gc.sweep(now.plusSeconds(29)); // still in quarantine
            assertThat(client.get("/api/v1/namespaces/work/pods/on-dead").code()).isEqualTo(200);

            gc.sweep(now.plusSeconds(31));
            assertThat(client.get("/api/v1/namespaces/work/pods/on-dead").code()).isEqualTo(404);
            assertThat(client.get("/api/v1/namespaces/work/pods/on-alive").code()).isEqualTo(200);
            assertThat(client.get("/api/v1/namespaces/work/pods/unbound").code()).isEqualTo(200);
        }
    }

    @Test
    void aNodeMissingOnlyFromTheCacheCostsNothing() throws Exception {
        try (ControlPlane plane = ControlPlane.start(dir);
                PodGarbageCollector gc = PodGarbageCollector.start(plane.informers,
                        new PodGarbageCollector.Config(Duration.ofHours(1), Duration.ZERO, 0))) {
            KubeClient client = plane.client;
            namespace(client, "work");
            pod(client, "early", "registering"); // bound before its Node object exists, as a static pod can be
            await(() -> plane.informers.informer("/api/v1/pods").list().size() == 1);
            await(() -> plane.informers.informer("/api/v1/nodes").hasSynced());
            node(client, "registering"); // the API has it; the cache may not yet
            gc.sweep(Instant.now());
            assertThat(client.get("/api/v1/namespaces/work/pods/early").code()).isEqualTo(200);
        }
    }

    @Test
    void unscheduledTerminatingPodsAndTerminatedPodsBeyondTheThreshold() throws Exception {
        try (ControlPlane plane = ControlPlane.start(dir);
                PodGarbageCollector gc = PodGarbageCollector.start(plane.informers,
                        new PodGarbageCollector.Config(Duration.ofHours(1), Duration.ZERO, 2))) {
            KubeClient client = plane.client;
            namespace(client, "work");
            node(client, "n1");
            // a finalizer keeps the deleted, never-bound pod around in the Terminating state
            ObjectNode stuck = yaml("{apiVersion: v1, kind: Pod, metadata: {name: stuck, finalizers: [example.com/hold]},"
                    + " spec: {containers: [{name: c, image: nginx}]}}");
            assertThat(client.post("/api/v1/namespaces/work/pods", stuck).code()).isEqualTo(201);
            assertThat(client.delete("/api/v1/namespaces/work/pods/stuck").code()).isEqualTo(200);
            for (String name : new String[] {"done-1", "done-2", "done-3"}) {
                pod(client, name, "n1");
                ObjectNode status = yaml("{status: {phase: Succeeded}}");
                assertThat(client.patch("/api/v1/namespaces/work/pods/" + name + "/status", "application/merge-patch+json", status).code())
                        .isEqualTo(200);
                Thread.sleep(1_050); // creationTimestamp has one-second resolution: the oldest must be unambiguous
            }
            await(() -> plane.informers.informer("/api/v1/pods").list().stream()
                    .filter(p -> p.path("status").path("phase").asText().equals("Succeeded")).count() == 3);
            gc.sweep(Instant.now());
            assertThat(client.get("/api/v1/namespaces/work/pods/done-1").code()).isEqualTo(404);
            assertThat(client.get("/api/v1/namespaces/work/pods/done-2").code()).isEqualTo(200);
            assertThat(client.get("/api/v1/namespaces/work/pods/done-3").code()).isEqualTo(200);
            // grace period 0 with a finalizer: the pod waits for its finalizer, now with no grace left
            assertThat(client.get("/api/v1/namespaces/work/pods/stuck").json().path("metadata").path("deletionGracePeriodSeconds").asInt())
                    .isZero();
        }
    }

    private static void namespace(KubeClient client, String name) {
        assertThat(client.post("/api/v1/namespaces", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: " + name + "}}")).code())
                .isEqualTo(201);
    }

    private static void node(KubeClient client, String name) {
        assertThat(client.post("/api/v1/nodes", yaml("{apiVersion: v1, kind: Node, metadata: {name: " + name + "}}")).code())
                .isEqualTo(201);
    }

    private static void pod(KubeClient client, String name, String node) {
        ObjectNode pod = yaml("{apiVersion: v1, kind: Pod, metadata: {name: " + name + "}, spec: {containers: [{name: c, image: nginx}]}}");
        if (node != null) pod.withObject("/spec").put("nodeName", node);
        assertThat(client.post("/api/v1/namespaces/work/pods", pod).code()).isEqualTo(201);
    }
}
