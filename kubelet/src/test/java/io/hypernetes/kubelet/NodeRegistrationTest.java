package io.hypernetes.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeRegistrationTest extends AgentTest {

    @Test
    void registersTheNodeAndRenewsItsLeaseWithNodeCredentials() throws Exception {
        // a unix socket, as a runtime in its own process is reached
        cluster.node(TestCluster.fast("node-reg", "10.244.1.0/24").withAddress("10.0.0.7")
                .withLabels(Map.of("topology.kubernetes.io/zone", "z1")), true);
        JsonNode node = cluster.admin.get("/api/v1/nodes/node-reg").json();
        assertThat(node.path("status").path("capacity").path("cpu").asText()).isEqualTo("8");
        assertThat(node.path("status").path("capacity").path("memory").asText()).isEqualTo("32Gi");
        assertThat(node.path("status").path("allocatable").path("pods").asText()).isEqualTo("110");
        assertThat(node.path("metadata").path("labels").path("kubernetes.io/hostname").asText()).isEqualTo("node-reg");
        assertThat(node.path("metadata").path("labels").path("kubernetes.io/os").asText()).isEqualTo("linux");
        assertThat(node.path("metadata").path("labels").path("topology.kubernetes.io/zone").asText()).isEqualTo("z1");
        assertThat(node.path("spec").path("podCIDR").asText()).isEqualTo("10.244.1.0/24");
        assertThat(node.path("status").path("addresses").toString()).contains("\"InternalIP\"", "10.0.0.7", "\"Hostname\"");
        assertThat(node.path("status").path("nodeInfo").path("containerRuntimeVersion").asText()).startsWith("hollow://");
        assertThat(node.path("status").path("nodeInfo").path("kubeletVersion").asText()).startsWith("v1.33");
        assertThat(node.path("status").path("nodeInfo").path("architecture").asText()).isNotEmpty();
        Map<String, String> conditions = new java.util.HashMap<>();
        for (JsonNode c : node.path("status").path("conditions")) conditions.put(c.path("type").asText(), c.path("status").asText() + "/" + c.path("reason").asText());
        assertThat(conditions).containsEntry("Ready", "True/KubeletReady")
                .containsEntry("MemoryPressure", "False/KubeletHasSufficientMemory")
                .containsEntry("DiskPressure", "False/KubeletHasNoDiskPressure")
                .containsEntry("PIDPressure", "False/KubeletHasSufficientPID");
        assertThat(node.path("status").path("daemonEndpoints").path("kubeletEndpoint").has("Port")).isTrue();

        String path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-reg";
        JsonNode lease = cluster.admin.get(path).json();
        assertThat(lease.path("spec").path("holderIdentity").asText()).isEqualTo("node-reg");
        assertThat(lease.path("spec").path("leaseDurationSeconds").asInt()).isEqualTo(40);
        assertThat(lease.path("metadata").path("ownerReferences").get(0).path("name").asText()).isEqualTo("node-reg");
        Set<String> renewals = new HashSet<>();
        TestCluster.await(() -> {
            renewals.add(cluster.admin.get(path).json().path("spec").path("renewTime").asText());
            return renewals.size() >= 3;
        });
        // MicroTime: microseconds
        assertThat(renewals).allMatch(t -> t.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,6})?Z"));
    }

    @Test
    void adoptsAnExistingNodeOfItsName() throws Exception {
        var n = TestCluster.yaml("""
                apiVersion: v1
                kind: Node
                metadata: {name: node-old, labels: {keep: me}}
                """);
        assertThat(cluster.admin.post("/api/v1/nodes", n).code()).isEqualTo(201);
        String uid = cluster.admin.get("/api/v1/nodes/node-old").json().path("metadata").path("uid").asText();
        cluster.node("node-old", "10.244.9.0/24", c -> c);
        JsonNode node = cluster.admin.get("/api/v1/nodes/node-old").json();
        assertThat(node.path("metadata").path("uid").asText()).isEqualTo(uid);
        assertThat(node.path("metadata").path("labels").path("keep").asText()).isEqualTo("me");
        assertThat(node.path("metadata").path("labels").path("kubernetes.io/hostname").asText()).isEqualTo("node-old");
        assertThat(TestCluster.condition(node, "Ready")).isEqualTo("True");
    }

    @Test
    void ignoresPodsOfOtherNodes() throws Exception {
        TestCluster.Node mine = cluster.node("node-mine", "10.244.2.0/24", c -> c);
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: elsewhere}
                spec:
                  nodeName: node-nobody
                  containers: [{name: c, image: busybox:1.36}]
                """);
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: here}
                spec:
                  nodeName: node-mine
                  containers: [{name: c, image: busybox:1.36}]
                """);
        cluster.awaitPod("here", p -> p.path("status").path("phase").asText().equals("Running"));
        assertThat(cluster.pod("elsewhere").path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(cluster.pod("elsewhere").path("status").has("containerStatuses")).isFalse();
        assertThat(mine.sandboxes(null)).hasSize(1);
        assertThat(mine.sandboxes(null).getFirst().getMetadata().getName()).isEqualTo("here");
    }

    @Test
    void nodeIsNotReadyWhileItsRuntimeIsDown() throws Exception {
        TestCluster.Node n = cluster.node("node-down", "10.244.3.0/24", c -> c);
        assertThat(TestCluster.condition(cluster.admin.get("/api/v1/nodes/node-down").json(), "Ready")).isEqualTo("True");
        n.serving.close(); // the runtime process went away
        TestCluster.await(() -> TestCluster.condition(cluster.admin.get("/api/v1/nodes/node-down").json(), "Ready").equals("False"));
        JsonNode node = cluster.admin.get("/api/v1/nodes/node-down").json();
        for (JsonNode c : node.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                assertThat(c.path("reason").asText()).isEqualTo("KubeletNotReady");
                assertThat(c.path("message").asText()).contains("container runtime is down");
            }
        }
        // the Lease is still renewed: the node is alive, its runtime is not
        String path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-down";
        String renewed = cluster.admin.get(path).json().path("spec").path("renewTime").asText();
        TestCluster.await(() -> !cluster.admin.get(path).json().path("spec").path("renewTime").asText().equals(renewed));
    }

    @Test
    void anUnreachableRuntimeFailsTheStartAndRegistersNothing() throws Exception {
        var channel = new io.hypernetes.runtime.RuntimeEndpoint.InProcess("nobody-serves-this").connect();
        try (var client = io.hypernetes.client.KubeClient.fromKubeconfig(cluster.server.nodeKubeconfig("node-orphan"))) {
            assertThatThrownBy(() -> NodeAgent.start(TestCluster.fast("node-orphan", "10.244.4.0/24"), client, channel))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("runtime does not answer");
            assertThat(cluster.admin.get("/api/v1/nodes/node-orphan").code()).isEqualTo(404);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void anotherNodesCredentialsCannotRegisterThisNode() throws Exception {
        var runtime = new io.hypernetes.runtime.hollow.HollowRuntime(new io.hypernetes.runtime.hollow.HollowRuntime.Config("node-imposter", "10.244.6.0/24"));
        var endpoint = new io.hypernetes.runtime.RuntimeEndpoint.InProcess("imposter-" + java.util.UUID.randomUUID());
        try (var serving = endpoint.serve(runtime.services());
             var client = io.hypernetes.client.KubeClient.fromKubeconfig(cluster.server.nodeKubeconfig("node-honest"))) {
            var channel = endpoint.connect();
            try {
                assertThatThrownBy(() -> NodeAgent.start(TestCluster.fast("node-imposter", "10.244.6.0/24"), client, channel))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot register").hasMessageContaining("403");
            } finally {
                channel.shutdownNow();
            }
        } finally {
            runtime.close();
        }
        assertThat(cluster.admin.get("/api/v1/nodes/node-imposter").code()).isEqualTo(404);
        assertThat(cluster.admin.get(NodeHeartbeat.LEASES + "/node-imposter").code()).isEqualTo(404);
    }

    @Test
    void badConfigurationIsRefusedWithTheReason() {
        assertThatThrownBy(() -> NodeAgent.Config.defaults("Node_1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DNS-1123");
        assertThatThrownBy(() -> NodeAgent.Config.defaults("n").withCapacity(0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> NodeAgent.Config.defaults("n").withServerPort(70000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("serverPort");
        assertThatThrownBy(() -> NodeAgent.Config.defaults("n").withLease(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    }
}
