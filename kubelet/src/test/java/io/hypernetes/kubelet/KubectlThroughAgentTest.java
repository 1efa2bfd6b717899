package io.hypernetes.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent with its kubelet server on: stock kubectl reads logs and execs in a pod the agent runs. */
class KubectlThroughAgentTest extends AgentTest {
    static final String KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
    static TestCluster.Node node;

    @BeforeAll
    static void startNode() throws Exception {
        node = cluster.node(TestCluster.fast("node-k", "10.244.8.0/24")
                .withServer(0, cluster.server.nodeKubeconfig("node-k")), false);
    }

    @Test
    void kubectlLogsAndExecReachThePodThroughTheAgentsServer() throws Exception {
        int port = node.agent.serverPort();
        assertThat(port).isPositive();
        assertThat(cluster.admin.get("/api/v1/nodes/node-k").json().path("status").path("daemonEndpoints")
                .path("kubeletEndpoint").path("Port").asInt()).isEqualTo(port);
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: talk}
                spec:
                  nodeName: node-k
                  containers: [{name: c, image: busybox:1.36}]
                """);
        cluster.awaitPod("talk", p -> TestCluster.condition(p, "Ready").equals("True"));
        assertThat(kubectl("exec", "talk", "--", "echo", "hello from the pod")).isEqualTo("hello from the pod\n");
        assertThat(kubectl("logs", "talk")).contains("hollow container c started");
    }

    private static String kubectl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL, "--kubeconfig", cluster.server.kubeconfig().toString(), "-n", "default"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        // the answers are a line or two: they fit the pipes until kubectl ends
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not end within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.exitValue()).as("kubectl %s: %s", String.join(" ", args), new String(err, StandardCharsets.UTF_8)).isZero();
        return out;
    }
}
