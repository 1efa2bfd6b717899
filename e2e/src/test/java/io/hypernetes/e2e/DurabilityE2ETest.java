package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code ./hypernetes up} promises about its data: a clean stop (Ctrl-C) keeps everything, and a kill -9 in
 * the middle of a stream of writes loses no acknowledged write and shows no half-written one.
 */
class DurabilityE2ETest {

    @Test
    void ctrlCStopsCleanlyAndRestartKeepsEveryObject(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Map<String, String> versions = new HashMap<>();
        try (Cluster cluster = Cluster.start(data); KubeClient client = KubeClient.fromKubeconfig(cluster.kubeconfig())) {
            createNamespace(client, "keep");
            for (int i = 0; i < 20; i++) {
                JsonNode cm = created(client.post("/api/v1/namespaces/keep/configmaps", configMap("cm-" + i, i)));
                versions.put("cm-" + i, cm.path("metadata").path("resourceVersion").asText());
            }
            int exit = cluster.interrupt();
            assertThat(exit).isIn(0, 130);
            assertThat(cluster.output()).contains("stopped");
        }
        try (Cluster cluster = Cluster.start(data); KubeClient client = KubeClient.fromKubeconfig(cluster.kubeconfig())) {
            JsonNode list = client.get("/api/v1/namespaces/keep/configmaps").json();
            Map<String, String> after = new HashMap<>();
            list.path("items").forEach(cm -> after.put(cm.path("metadata").path("name").asText(),
                    cm.path("metadata").path("resourceVersion").asText()));
            assertThat(after).isEqualTo(versions);
        }
    }

    @Test
    void killDashNineLosesNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Map<String, Integer> acknowledged = new ConcurrentHashMap<>();
        for (int round = 0; round < 3; round++) {
            try (Cluster cluster = Cluster.start(data); KubeClient client = KubeClient.fromKubeconfig(cluster.kubeconfig())) {
                if (round == 0) createNamespace(client, "dur");
                verify(client, acknowledged);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger count = new AtomicInteger();
                int writers = 8;
                CountDownLatch finished = new CountDownLatch(writers);
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    int r = round;
                    Thread.ofVirtual().start(() -> {
                        try {
                            for (int i = 0; !stop.get(); i++) {
                                String name = "cm-" + r + "-" + writer + "-" + i;
                                KubeClient.Response resp = client.post("/api/v1/namespaces/dur/configmaps", configMap(name, i));
                                if (resp.code() != 201) break;
                                acknowledged.put(name, i);
                                count.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            // the server died under us: expected
                        } finally {
                            finished.countDown();
                        }
                    });
                }
                Cluster.awaitTrue(java.time.Duration.ofSeconds(60), () -> count.get() >= 200);
                cluster.kill();
                stop.set(true);
                finished.await();
            }
        }
        try (Cluster cluster = Cluster.start(data); KubeClient client = KubeClient.fromKubeconfig(cluster.kubeconfig())) {
            verify(client, acknowledged);
        }
    }

    /** Every acknowledged config map is there with its data; every one there is whole. */
    private static void verify(KubeClient client, Map<String, Integer> acknowledged) {
        JsonNode list = client.get("/api/v1/namespaces/dur/configmaps").json();
        Map<String, Integer> present = new HashMap<>();
        for (JsonNode cm : list.path("items")) {
            String name = cm.path("metadata").path("name").asText();
            int value = Integer.parseInt(cm.path("data").path("value").asText());
            assertThat(name).endsWith("-" + value);
            assertThat(cm.path("data").path("padding").asText()).hasSize(2048);
            present.put(name, value);
        }
        assertThat(present).containsAllEntriesOf(acknowledged);
        System.out.printf("durability: %d acknowledged writes all present (%d objects stored)%n", acknowledged.size(), present.size());
    }

    private static void createNamespace(KubeClient client, String name) {
        ObjectNode ns = Json.object().put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", name);
        created(client.post("/api/v1/namespaces", ns));
    }

    private static ObjectNode configMap(String name, int value) {
        ObjectNode cm = Json.object().put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", name);
        cm.putObject("data").put("value", Integer.toString(value)).put("padding", "x".repeat(2048));
        return cm;
    }

    private static JsonNode created(KubeClient.Response r) {
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return r.json();
    }
}
