package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.condition;
import static io.hypernetes.kubelet.TestCluster.container;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.hypernetes.api.json.Json;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TerminationTest extends AgentTest {
    static TestCluster.Node node;

    @BeforeAll
    static void startNode() throws Exception {
        node = cluster.node("node-t", "10.244.7.0/24", c -> c);
    }

    @Test
    void deletionRunsPreStopHonoursTheGracePeriodAndRemovesThePod() throws Exception {
        List<Instant> hooks = new CopyOnWriteArrayList<>();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/drain", ex -> {
            hooks.add(Instant.now());
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        http.start();
        try {
            JsonNode created = cluster.createPod("""
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: stubborn}
                    spec:
                      nodeName: node-t
                      terminationGracePeriodSeconds: 3
                      containers:
                      - name: c
                        image: busybox:1.36
                        env: [{name: HOLLOW_IGNORE_SIGTERM, value: "true"}]
                        lifecycle:
                          preStop: {httpGet: {host: 127.0.0.1, port: %d, path: /drain}}
                    """.formatted(http.getAddress().getPort()));
            String uid = created.path("metadata").path("uid").asText();
            cluster.awaitPod("stubborn", p -> condition(p, "Ready").equals("True"));
            Instant deleted = Instant.now();
            assertThat(cluster.admin.delete("/api/v1/namespaces/default/pods/stubborn").code()).isEqualTo(200);
            JsonNode terminating = cluster.pod("stubborn");
            assertThat(terminating.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
            assertThat(terminating.path("metadata").path("deletionGracePeriodSeconds").asInt()).isEqualTo(3);
            TestCluster.await(() -> cluster.admin.get("/api/v1/namespaces/default/pods/stubborn").code() == 404);
            // the container ignored SIGTERM, so the stop took the grace period
            assertThat(Duration.between(deleted, Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            assertThat(hooks).hasSize(1);
            assertThat(node.sandboxes(uid)).isEmpty();
            cluster.awaitEvents("stubborn", "Killing");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void restartedAgentAdoptsRunningPodsAndRemovesThoseDeletedMeanwhile() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: survivor}
                spec:
                  nodeName: node-t
                  containers: [{name: c, image: busybox:1.36}]
                """);
        JsonNode gone = cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: goner}
                spec:
                  nodeName: node-t
                  containers: [{name: c, image: busybox:1.36}]
                """);
        JsonNode before = cluster.awaitPod("survivor", p -> condition(p, "Ready").equals("True"));
        cluster.awaitPod("goner", p -> condition(p, "Ready").equals("True"));
        String goneUid = gone.path("metadata").path("uid").asText();
        String containerId = container(before, "c").path("containerID").asText();

        node.agent.close();
        // deleted for good while the agent is away: nobody stops its sandbox but the agent that comes back
        var force = Json.object().put("gracePeriodSeconds", 0);
        assertThat(cluster.admin.send("DELETE", "/api/v1/namespaces/default/pods/goner", Json.bytes(force), "application/json", "application/json").code()).isEqualTo(200);
        assertThat(node.sandboxes(goneUid)).hasSize(1);

        node.agent = NodeAgent.start(node.config, node.client, node.channel);
        TestCluster.await(() -> node.sandboxes(goneUid).isEmpty());
        // a status write has happened since (the agent syncs every pod at start); nothing was restarted
        Thread.sleep(1000);
        JsonNode after = cluster.pod("survivor");
        assertThat(container(after, "c").path("containerID").asText()).isEqualTo(containerId);
        assertThat(container(after, "c").path("restartCount").asInt()).isZero();
        assertThat(condition(after, "Ready")).isEqualTo("True");
        assertThat(after.path("status").path("podIP").asText()).isEqualTo(before.path("status").path("podIP").asText());
        assertThat(node.sandboxes(before.path("metadata").path("uid").asText())).hasSize(1);
    }
}
