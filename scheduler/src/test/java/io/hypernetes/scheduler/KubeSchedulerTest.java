package io.hypernetes.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.InformerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler wired to a real API server over HTTPS: informers in, bindings and events out. */
class KubeSchedulerTest {
    @Test
    void podsAreBoundToNodesThatFitAndAPodThatFitsNowhereGetsAnEvent(@TempDir Path dir) throws Exception {
        try (ApiServer server = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(1), Duration.ofMinutes(5)));
             KubeClient client = KubeClient.fromKubeconfig(server.controllersKubeconfig());
             InformerFactory informers = new InformerFactory(client);
             KubeScheduler scheduler = KubeScheduler.start(informers, SchedulerConfig.defaults(), Duration.ofSeconds(10))) {
            for (int i = 1; i <= 3; i++) assertThat(client.post("/api/v1/nodes", node("node-" + i, "2", "4Gi")).code()).isEqualTo(201);
            assertThat(client.post("/api/v1/namespaces", Json.MAPPER.readValue(
                    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"work\"}}", ObjectNode.class)).code()).isEqualTo(201);
            for (int i = 0; i < 6; i++) assertThat(client.post("/api/v1/namespaces/work/pods", pod("p" + i, "1", "1Gi")).code()).isEqualTo(201);

            // six 1-CPU pods on three 2-CPU nodes: all bound, two per node (least-allocated spreads them)
            Map<String, Integer> perNode = new HashMap<>();
            for (int i = 0; i < 6; i++) {
                JsonNode p = await(client, "/api/v1/namespaces/work/pods/p" + i, o -> !o.path("spec").path("nodeName").asText("").isEmpty());
                perNode.merge(p.path("spec").path("nodeName").asText(), 1, Integer::sum);
                assertThat(p.path("status").path("conditions").toString()).contains("PodScheduled");
            }
            assertThat(perNode).containsOnlyKeys("node-1", "node-2", "node-3").allSatisfy((n, c) -> assertThat(c).isEqualTo(2));

            // the cluster is full: the next pod waits, and says why
            assertThat(client.post("/api/v1/namespaces/work/pods", pod("late", "1", "1Gi")).code()).isEqualTo(201);
            JsonNode events = await(client, "/api/v1/namespaces/work/events", l -> l.path("items").toString().contains("FailedScheduling"));
            JsonNode event = events.path("items").get(0);
            assertThat(event.path("involvedObject").path("name").asText()).isEqualTo("late");
            assertThat(event.path("type").asText()).isEqualTo("Warning");
            assertThat(event.path("message").asText()).startsWith("0/3 nodes are available: 3 Insufficient cpu");
            assertThat(client.get("/api/v1/namespaces/work/pods/late").json().path("spec").path("nodeName").asText("")).isEmpty();

            // a node change makes the scheduler try again; the same verdict is counted on the same Event
            ObjectNode label = Json.object();
            label.putObject("metadata").putObject("labels").put("zone", "a");
            assertThat(client.patch("/api/v1/nodes/node-1", "application/merge-patch+json", label).code()).isEqualTo(200);
            JsonNode counted = await(client, "/api/v1/namespaces/work/events", l -> l.path("items").size() == 1 && l.path("items").get(0).path("count").asInt() >= 2);
            assertThat(counted.path("items").get(0).path("metadata").path("name").asText()).isEqualTo(event.path("metadata").path("name").asText());

            // room appears: the waiting pod is bound without being created again
            assertThat(client.delete("/api/v1/namespaces/work/pods/p0?gracePeriodSeconds=0").code()).isEqualTo(200);
            await(client, "/api/v1/namespaces/work/pods/late", o -> !o.path("spec").path("nodeName").asText("").isEmpty());
        }
    }

    private static JsonNode await(KubeClient client, String path, Predicate<JsonNode> done) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(60);
        while (true) {
            KubeClient.Response r = client.get(path);
            if (r.code() == 200 && done.test(r.json())) return r.json();
            if (Instant.now().isAfter(end)) throw new AssertionError(path + " never got there; last: " + r.text());
            Thread.sleep(100);
        }
    }

    private static ObjectNode node(String name, String cpu, String memory) throws Exception {
        return Json.MAPPER.readValue("""
                {"apiVersion":"v1","kind":"Node","metadata":{"name":"%s"},
                 "status":{"capacity":{"cpu":"%s","memory":"%s","pods":"110"},"allocatable":{"cpu":"%s","memory":"%s","pods":"110"},
                           "conditions":[{"type":"Ready","status":"True"}]}}""".formatted(name, cpu, memory, cpu, memory), ObjectNode.class);
    }

    private static ObjectNode pod(String name, String cpu, String memory) throws Exception {
        return Json.MAPPER.readValue("""
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},
                 "spec":{"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"%s","memory":"%s"},"limits":{"cpu":"%s","memory":"%s"}}}]}}"""
                .formatted(name, cpu, memory, cpu, memory), ObjectNode.class);
    }
}
