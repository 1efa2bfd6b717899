package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.condition;
import static io.hypernetes.kubelet.TestCluster.container;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Probes against real local sockets: the pods' "addresses" are hollow, so httpGet and tcpSocket name host 127.0.0.1. */
class ProbeTest extends AgentTest {
    static TestCluster.Node node;

    @BeforeAll
    static void startNode() throws Exception {
        node = cluster.node("node-p", "10.244.5.0/24", c -> c);
    }

    @Test
    void failingExecLivenessProbeRestartsTheContainer() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: unhealthy}
                spec:
                  nodeName: node-p
                  containers:
                  - name: c
                    image: busybox:1.36
                    livenessProbe: {exec: {command: ["false"]}, periodSeconds: 1, failureThreshold: 2}
                """);
        JsonNode pod = cluster.awaitPod("unhealthy", p -> container(p, "c").path("restartCount").asInt() >= 1
                && container(p, "c").path("state").has("running"));
        assertThat(container(pod, "c").path("lastState").has("terminated")).isTrue();
        cluster.awaitEvents("unhealthy", "Unhealthy", "Killing");

        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: healthy}
                spec:
                  nodeName: node-p
                  containers:
                  - name: c
                    image: busybox:1.36
                    livenessProbe: {exec: {command: [sh, -c, "echo fine"]}, periodSeconds: 1, failureThreshold: 1}
                """);
        cluster.awaitPod("healthy", p -> condition(p, "Ready").equals("True"));
        Thread.sleep(2500); // several probe periods
        assertThat(container(cluster.pod("healthy"), "c").path("restartCount").asInt()).isZero();
        assertThat(cluster.eventReasons("healthy")).doesNotContain("Unhealthy", "Killing");
    }

    @Test
    void aContainerKilledForItsLivenessIsRestartedUnderOnFailureWhateverItsExitCode() throws Exception {
        // the hollow container exits 0 when stopped: OnFailure must still restart it, as the kubelet does
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: unhealthy-onfailure}
                spec:
                  nodeName: node-p
                  restartPolicy: OnFailure
                  containers:
                  - name: c
                    image: busybox:1.36
                    livenessProbe: {exec: {command: ["false"]}, periodSeconds: 1, failureThreshold: 1}
                """);
        JsonNode pod = cluster.awaitPod("unhealthy-onfailure", p -> container(p, "c").path("restartCount").asInt() >= 1);
        assertThat(pod.path("status").path("phase").asText()).isNotEqualTo("Succeeded");
    }

    @Test
    void httpGetReadinessProbeDrivesReady() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        List<String> requests = new CopyOnWriteArrayList<>();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/healthz", ex -> {
            requests.add(ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("X-Probe") + " " + ex.getRequestHeaders().getFirst("User-Agent"));
            int code = healthy.get() ? 200 : 503;
            ex.sendResponseHeaders(code, -1);
            ex.close();
        });
        http.start();
        try {
            int port = http.getAddress().getPort();
            cluster.createPod("""
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: ready-http}
                    spec:
                      nodeName: node-p
                      containers:
                      - name: c
                        image: busybox:1.36
                        ports: [{name: web, containerPort: %d}]
                        readinessProbe:
                          httpGet: {host: 127.0.0.1, path: /healthz, port: web, httpHeaders: [{name: X-Probe, value: "yes"}]}
                          periodSeconds: 1
                          failureThreshold: 1
                    """.formatted(port));
            cluster.awaitPod("ready-http", p -> condition(p, "Ready").equals("True") && container(p, "c").path("ready").asBoolean());
            assertThat(requests).isNotEmpty();
            assertThat(requests.getFirst()).startsWith("/healthz yes kube-probe/");
            healthy.set(false);
            JsonNode unready = cluster.awaitPod("ready-http", p -> condition(p, "Ready").equals("False"));
            assertThat(condition(unready, "ContainersReady")).isEqualTo("False");
            assertThat(unready.path("status").path("phase").asText()).isEqualTo("Running");
            assertThat(container(unready, "c").path("restartCount").asInt()).isZero(); // readiness never restarts
            healthy.set(true);
            cluster.awaitPod("ready-http", p -> condition(p, "Ready").equals("True"));
        } finally {
            http.stop(0);
        }
    }

    @Test
    void readinessGatesHoldReadyUntilTheirConditionsAreTrue() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: gated}
                spec:
                  nodeName: node-p
                  readinessGates: [{conditionType: example.com/load-balancer}]
                  containers: [{name: c, image: busybox:1.36}]
                """);
        JsonNode pod = cluster.awaitPod("gated", p -> condition(p, "ContainersReady").equals("True"));
        assertThat(condition(pod, "Ready")).isEqualTo("False");
        var patch = TestCluster.yaml("{status: {conditions: [{type: example.com/load-balancer, status: \"True\"}]}}");
        assertThat(cluster.admin.patch("/api/v1/namespaces/default/pods/gated/status", "application/strategic-merge-patch+json", patch).code()).isEqualTo(200);
        JsonNode ready = cluster.awaitPod("gated", p -> condition(p, "Ready").equals("True"));
        assertThat(condition(ready, "example.com/load-balancer")).isEqualTo("True"); // the agent's writes keep others' conditions
    }

    @Test
    void tcpSocketProbesConnect() throws Exception {
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = Thread.ofVirtual().start(() -> {
            while (!listening.isClosed()) {
                try (Socket s = listening.accept()) {
                    // a connection is all a tcpSocket probe asks for
                } catch (IOException e) {
                    return;
                }
            }
        });
        int port = listening.getLocalPort();
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: ready-tcp}
                spec:
                  nodeName: node-p
                  containers:
                  - name: c
                    image: busybox:1.36
                    readinessProbe: {tcpSocket: {host: 127.0.0.1, port: %d}, periodSeconds: 1, failureThreshold: 1}
                    startupProbe: {tcpSocket: {host: 127.0.0.1, port: %d}, periodSeconds: 1}
                """.formatted(port, port));
        JsonNode ready = cluster.awaitPod("ready-tcp", p -> condition(p, "Ready").equals("True"));
        assertThat(container(ready, "c").path("started").asBoolean()).isTrue();
        listening.close();
        accept.join();
        cluster.awaitPod("ready-tcp", p -> condition(p, "Ready").equals("False"));
        cluster.awaitEvents("ready-tcp", "Unhealthy");
    }
}
