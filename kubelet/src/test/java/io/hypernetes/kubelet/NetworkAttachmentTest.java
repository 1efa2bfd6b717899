package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.condition;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPortSpec;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pods of namespaces with {@code spec.network}: the agent waits for the Network to be Active and for the pod's
 * address, plugs the pod in through kubestack (a {@link RecordingProvider}, named as the fake it is) and starts its
 * sandbox attached to the port, and unplugs it after the sandbox is removed. The Network's status and the pod's
 * address annotations are written here as the Network controller would write them (the controller is tested in
 * {@code controllers/}).
 */
class NetworkAttachmentTest extends AgentTest {
    static final String TENANT = "065f210a2ca9442aad898ab129426350";
    static final String MERGE = "application/merge-patch+json";
    static RecordingProvider provider;
    static TestCluster.Node node;
    static TestCluster.Node bare;

    @BeforeAll
    static void startNodes() throws Exception {
        provider = new RecordingProvider(cluster.journal);
        node = cluster.node("node-net", "10.244.0.0/24", c -> c, provider);
        bare = cluster.node("node-bare", "10.244.1.0/24", c -> c);
        createNetwork("net-a", "{main: {cidr: 10.0.0.0/24}, extra: {cidr: 10.0.1.0/24, gateway: 10.0.1.254}}");
        createNamespace("ns-a", "net-a");
        activate("net-a", 42);
    }

    static String createNetwork(String name, String subnets) {
        KubeClient.Response r = cluster.admin.post("/api/v1/networks", TestCluster.yaml(
                "{apiVersion: v1, kind: Network, metadata: {name: " + name + "}, spec: {tenantID: '" + TENANT + "', subnets: " + subnets + "}}"));
        assertThat(r.code()).as(r.text()).isEqualTo(201);
        return r.json().path("metadata").path("uid").asText();
    }

    static void createNamespace(String name, String network) {
        KubeClient.Response r = cluster.admin.post("/api/v1/namespaces", TestCluster.yaml(
                "{apiVersion: v1, kind: Namespace, metadata: {name: " + name + "}, spec: {network: " + network + "}}"));
        assertThat(r.code()).as(r.text()).isEqualTo(201);
    }

    /** The Network's status as the Network controller writes it, through the status subresource. */
    static void networkStatus(String name, String status) {
        ObjectNode patch = Json.object();
        patch.set("status", TestCluster.yaml(status));
        KubeClient.Response r = cluster.admin.patch("/api/v1/networks/" + name + "/status", MERGE, patch);
        assertThat(r.code()).as(r.text()).isEqualTo(200);
    }

    static void activate(String name, int vni) {
        networkStatus(name, "{phase: Active, vni: " + vni + "}");
    }

    /** The pod's address as the Network controller's IPAM writes it. */
    static void address(String namespace, String pod, String network, String ip) {
        ObjectNode patch = Json.object();
        patch.putObject("metadata").putObject("annotations").put(TenantNetworks.IP_ANNOTATION, ip).put(TenantNetworks.NETWORK_ANNOTATION, network);
        KubeClient.Response r = cluster.admin.patch("/api/v1/namespaces/" + namespace + "/pods/" + pod, MERGE, patch);
        assertThat(r.code()).as(r.text()).isEqualTo(200);
    }

    static String createPod(String namespace, String name, String nodeName) {
        return cluster.createPod(namespace, """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s}
                spec:
                  nodeName: %s
                  containers: [{name: c, image: busybox:1.36}]
                """.formatted(name, nodeName)).path("metadata").path("uid").asText();
    }

    static void delete(String namespace, String pod) {
        KubeClient.Response r = cluster.admin.delete("/api/v1/namespaces/" + namespace + "/pods/" + pod);
        assertThat(r.code()).as(r.text()).isIn(200, 202);
    }

    static void awaitGone(String namespace, String pod) throws Exception {
        TestCluster.await(() -> cluster.admin.get("/api/v1/namespaces/" + namespace + "/pods/" + pod).code() == 404);
    }

    @Test
    void nodeWithoutKubestackSaysSoAndStartsNothing() throws Exception {
        String uid = createPod("ns-a", "homeless", "node-bare");
        address("ns-a", "homeless", "net-a", "10.0.0.9");
        JsonNode e = cluster.awaitEvent("ns-a", "homeless", "FailedNetworkSetup",
                "node node-bare has no network provider (kubestack); pods of network net-a cannot run here");
        assertThat(e.path("type").asText()).isEqualTo("Warning");
        assertThat(bare.sandboxes(uid)).isEmpty();
        assertThat(bare.sandboxConfigs(uid)).isEmpty();
        assertThat(provider.setupsOf(uid)).isEmpty();
    }

    @Test
    void defaultNetworkPodsNeverReachTheProvider() throws Exception {
        String uid = createPod("default", "plain", "node-net");
        JsonNode pod = cluster.awaitPod("plain", p -> condition(p, "Ready").equals("True"));
        assertThat(pod.path("status").path("podIP").asText()).startsWith("10.244.0.");
        PodSandboxConfig config = node.sandboxConfigs(uid).getLast();
        assertThat(config.getNetwork()).isEmpty();
        assertThat(config.hasAttachment()).isFalse();
        assertThat(config.hasDnsConfig()).isFalse();
        assertThat(config.getAnnotationsMap()).doesNotContainKey(TenantNetworks.SANDBOX_NETWORK);
        delete("default", "plain");
        awaitGone("default", "plain");
        TestCluster.await(() -> node.sandboxes(uid).isEmpty());
        assertThat(provider.setupsOf(uid)).isEmpty();
        assertThat(provider.teardowns).doesNotContain(uid);
    }

}
