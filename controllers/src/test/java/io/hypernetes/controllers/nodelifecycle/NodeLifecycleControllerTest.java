package io.hypernetes.controllers.nodelifecycle;

import static io.hypernetes.controllers.ControlPlane.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.controllers.ControlPlane;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeLifecycleControllerTest {
    static final Duration GRACE = Duration.ofSeconds(2);
    static final Duration EVICTION = Duration.ofSeconds(2);
    @TempDir
    static Path dir;
    static ControlPlane plane;
    static KubeClient client;
    static NodeLifecycleController controller;

    @BeforeAll
    static void start() throws Exception {
        plane = ControlPlane.start(dir);
        client = plane.client;
        controller = NodeLifecycleController.start(plane.informers,
                NodeLifecycleController.Config.DEFAULT.withNodeMonitorGracePeriod(GRACE).withPodEvictionTimeout(EVICTION));
    }

    @AfterAll
    static void stop() {
        controller.close();
        plane.close();
    }

    @Test
    void silentNodeBecomesUnknownTaintedEvictedAndRecovers() throws Exception {
        try (FakeNodeAgent lost = new FakeNodeAgent(client, "node-lost", Duration.ofMillis(300));
             FakeNodeAgent healthy = new FakeNodeAgent(client, "node-ok", Duration.ofMillis(300))) {
            pod("plain", "node-lost", "[]");
            pod("patient", "node-lost", "[{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 600}]");
            pod("forever", "node-lost", "[{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}]");
            pod("elsewhere", "node-ok", "[]");
            Thread.sleep(GRACE.toMillis() + 1000);
            assertThat(taints("node-lost")).isEmpty(); // renewing its Lease keeps it in service
            assertThat(ready(client.get("/api/v1/nodes/node-lost").json())).isEqualTo("True");

            lost.stop();
            Instant stopped = Instant.now();
            JsonNode node = await("/api/v1/nodes/node-lost", n -> ready(n).equals("Unknown") && taints("node-lost").size() == 2);
            assertThat(Duration.between(stopped, Instant.now())).isGreaterThan(GRACE.minusMillis(1000));
            assertThat(condition(node).path("reason").asText()).isEqualTo("NodeStatusUnknown");
            assertThat(taints("node-lost")).containsExactlyInAnyOrder("node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute");
            Instant tainted = Instant.now();
            // the node's pods are not ready any more
            assertThat(podReady("plain")).isEqualTo("False");
            List<String> reasons = new ArrayList<>();
            client.get("/api/v1/namespaces/default/events").json().path("items").forEach(e -> reasons.add(e.path("reason").asText()));
            assertThat(reasons).contains("NodeNotReady");

            // the pod without a toleration goes after the eviction timeout, not at once
            assertThat(deleting("plain")).isFalse();
            awaitTrue(() -> deleting("plain"));
            assertThat(Duration.between(tainted, Instant.now())).isGreaterThan(EVICTION.minusMillis(1500));
            Thread.sleep(500);
            assertThat(deleting("patient")).isFalse();
            assertThat(deleting("forever")).isFalse();
            assertThat(deleting("elsewhere")).isFalse();
            assertThat(taints("node-ok")).isEmpty();

            // heartbeats come back: the taints go
            lost.resume();
            await("/api/v1/nodes/node-lost", n -> ready(n).equals("True") && taints("node-lost").isEmpty());
            Thread.sleep(GRACE.toMillis() + 500);
            assertThat(taints("node-lost")).isEmpty();
            assertThat(deleting("patient")).isFalse();
        }
    }

    @Test
    void notReadyNodeIsTaintedNotReady() throws Exception {
        try (FakeNodeAgent sick = new FakeNodeAgent(client, "node-sick", Duration.ofMillis(300))) {
            sick.postStatus("False");
            await("/api/v1/nodes/node-sick", n -> taints("node-sick").size() == 2);
            assertThat(taints("node-sick")).containsExactlyInAnyOrder("node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute");
            sick.postStatus("True");
            await("/api/v1/nodes/node-sick", n -> taints("node-sick").isEmpty());
        }
    }

    @Test
    void tolerationDeadlines() {
        NodeLifecycleController c = controller;
        Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
        JsonNode taint = yaml("{key: node.kubernetes.io/unreachable, effect: NoExecute, timeAdded: '2025-01-01T00:00:00Z'}");
        assertThat(c.deadline(yaml("{spec: {}}"), List.of(taint), t0)).isEqualTo(t0.plus(EVICTION));
        assertThat(c.deadline(yaml("{spec: {tolerations: [{operator: Exists}]}}"), List.of(taint), t0)).isNull();
        assertThat(c.deadline(yaml("{spec: {tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, tolerationSeconds: 30}]}}"),
                List.of(taint), t0)).isEqualTo(t0.plusSeconds(30));
        assertThat(c.deadline(yaml("{spec: {tolerations: [{key: other, operator: Exists}]}}"), List.of(taint), t0)).isEqualTo(t0.plus(EVICTION));
        assertThat(c.deadline(yaml("{spec: {tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoSchedule}]}}"),
                List.of(taint), t0)).isEqualTo(t0.plus(EVICTION));
    }

    // ---- helpers

    private static void pod(String name, String node, String tolerations) {
        KubeClient.Response r = client.post("/api/v1/namespaces/default/pods", yaml("{apiVersion: v1, kind: Pod, metadata: {name: " + name
                + "}, spec: {nodeName: " + node + ", tolerations: " + tolerations + ", containers: [{name: c, image: nginx}]}}"));
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        ObjectNode pod = (ObjectNode) r.json();
        pod.putObject("status").put("phase", "Running").put("podIP", "10.9.0." + (name.length() + 1))
                .putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        assertThat(client.put("/api/v1/namespaces/default/pods/" + name + "/status", pod).code()).isEqualTo(200);
    }

    private static boolean deleting(String pod) {
        KubeClient.Response r = client.get("/api/v1/namespaces/default/pods/" + pod);
        return r.code() == 404 || r.json().path("metadata").has("deletionTimestamp");
    }

    private static String podReady(String pod) {
        for (JsonNode c : client.get("/api/v1/namespaces/default/pods/" + pod).json().path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) return c.path("status").asText();
        }
        return "";
    }

    private static JsonNode condition(JsonNode node) {
        for (JsonNode c : node.path("status").path("conditions")) if (c.path("type").asText().equals("Ready")) return c;
        return Json.MAPPER.missingNode();
    }

    private static String ready(JsonNode node) {
        return condition(node).path("status").asText();
    }

    private static List<String> taints(String node) {
        List<String> out = new ArrayList<>();
        client.get("/api/v1/nodes/" + node).json().path("spec").path("taints")
                .forEach(t -> out.add(t.path("key").asText() + ":" + t.path("effect").asText()));
        return out;
    }

    private static JsonNode await(String path, Predicate<JsonNode> ok) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        JsonNode last = null;
        while (Instant.now().isBefore(end)) {
            last = client.get(path).json();
            if (ok.test(last)) return last;
            Thread.sleep(50);
        }
        throw new AssertionError(path + " never as expected: " + last);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier ok) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(20);
        while (!ok.getAsBoolean()) {
            if (Instant.now().isAfter(end)) throw new AssertionError("never true");
            Thread.sleep(50);
        }
    }

}
