package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPortSpec;
import io.hypernetes.network.RecordingProvider;
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
    /** Whether the API server keeps a Network's status.vni (its schema lacked it when this was written, and it was pruned). */
    static boolean apiKeepsVni;

    @BeforeAll
    static void startNodes() throws Exception {
        provider = new RecordingProvider(cluster.journal).only("a node agent", "setupPod", "teardownPod", "podStatus");
        node = cluster.node("node-net", "10.244.0.0/24", c -> c, provider);
        bare = cluster.node("node-bare", "10.244.1.0/24", c -> c);
        createNetwork("net-a", "{main: {cidr: 10.0.0.0/24}, extra: {cidr: 10.0.1.0/24, gateway: 10.0.1.254}}");
        createNamespace("ns-a", "net-a");
        activate("net-a", 42);
        apiKeepsVni = cluster.admin.get("/api/v1/networks/net-a").json().path("status").path("vni").asInt() == 42;
    }

    /** The tests of pods that start need an Active Network with a VNI, which needs the API to keep status.vni. */
    static void needVni() {
        assumeTrue(apiKeepsVni, "the API server prunes Network status.vni: NetworkStatus in api's core-v1.yaml needs vni (and message)");
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
    void podWaitsForItsNetworkAndAddressThenRunsPluggedIn() throws Exception {
        needVni();
        String netUid = createNetwork("net-w", "{main: {cidr: 10.1.0.0/24}, extra: {cidr: 10.1.1.0/24, gateway: 10.1.1.254}}");
        createNamespace("ns-w", "net-w");
        String uid = createPod("ns-w", "waiter", "node-net");

        // a new Network is Initializing: the pod waits, and says why
        cluster.awaitEvent("ns-w", "waiter", "NetworkNotReady", "network net-w is Initializing");
        networkStatus("net-w", "{phase: Active}");
        cluster.awaitEvent("ns-w", "waiter", "NetworkNotReady", "network net-w is Active but has no status.vni yet");
        activate("net-w", 7);
        // Active with a VNI, but no address yet; then an address of another network, which does not count
        address("ns-w", "waiter", "net-other", "10.1.0.9");
        assertThat(node.sandboxes(uid)).isEmpty();
        assertThat(provider.setupsOf(uid)).isEmpty();

        address("ns-w", "waiter", "net-w", "10.1.0.5");
        JsonNode pod = cluster.awaitPod("ns-w", "waiter", p -> condition(p, "Ready").equals("True"));
        assertThat(pod.path("status").path("phase").asText()).isEqualTo("Running");

        // kubestack got the pod, its address and the Network as the API has it; an omitted gateway is the subnet's first address
        PodPortSpec setup = provider.setupsOf(uid).getLast();
        assertThat(setup.namespace()).isEqualTo("ns-w");
        assertThat(setup.name()).isEqualTo("waiter");
        assertThat(setup.ip()).isEqualTo("10.1.0.5");
        assertThat(setup.network()).isEqualTo(new NetworkSpec("net-w", netUid, TENANT, 7, List.of(
                new NetworkSpec.Subnet("main", "10.1.0.0/24", "10.1.0.1"),
                new NetworkSpec.Subnet("extra", "10.1.1.0/24", "10.1.1.254"))));

        // the sandbox is attached to the port and resolves through the tenant's DNS
        PodSandboxConfig config = node.sandboxConfigs(uid).getLast();
        assertThat(config.getNetwork()).isEqualTo("net-w");
        assertThat(config.getAttachment().getBridge()).isEqualTo("hnb7");
        assertThat(config.getAttachment().getIp()).isEqualTo("10.1.0.5");
        assertThat(config.getAttachment().getPrefixLength()).isEqualTo(24);
        assertThat(config.getAttachment().getGateway()).isEqualTo("10.1.0.1");
        assertThat(config.getAttachment().getMtu()).isEqualTo(1450);
        assertThat(config.getDnsConfig().getServersList()).containsExactly("10.1.0.1");
        assertThat(config.getDnsConfig().getSearchesList()).containsExactly("ns-w.svc.cluster.local", "svc.cluster.local", "cluster.local");
        assertThat(config.getDnsConfig().getOptionsList()).containsExactly("ndots:5");
        assertThat(config.getAnnotationsMap()).containsEntry(TenantNetworks.SANDBOX_NETWORK, "net-w");
        assertThat(node.sandboxConfigs(uid)).hasSize(1);

        // deleted: the port goes, once, after the sandbox (the VM's tap leaves the bridge first)
        String sandboxId = node.sandboxes(uid).getFirst().getId();
        delete("ns-w", "waiter");
        awaitGone("ns-w", "waiter");
        TestCluster.await(() -> provider.teardownsOf(uid) > 0);
        assertThat(node.sandboxes(uid)).isEmpty();
        List<String> journal = List.copyOf(cluster.journal);
        assertThat(journal).containsSubsequence("setupPod " + uid, "RunPodSandbox " + uid, "RemovePodSandbox " + sandboxId, "teardownPod " + uid);
        assertThat(journal).containsOnlyOnce("teardownPod " + uid);
    }

    @Test
    void refusedSetupIsToldAndStartsNoSandbox() throws Exception {
        needVni();
        provider.refuseSetup(spec -> spec.name().equals("refused")
                ? new NetworkException(NetworkException.Reason.INVALID, "address 10.0.0.7 is taken by another port") : null);
        String uid = createPod("ns-a", "refused", "node-net");
        address("ns-a", "refused", "net-a", "10.0.0.7");
        JsonNode e = cluster.awaitEvent("ns-a", "refused", "FailedNetworkSetup", "address 10.0.0.7 is taken by another port");
        assertThat(e.path("type").asText()).isEqualTo("Warning");
        assertThat(e.path("message").asText()).contains("INVALID", "net-a");
        // retried after a back-off, refused again, still no sandbox
        TestCluster.await(() -> provider.setupsOf(uid).size() >= 2);
        assertThat(node.sandboxes(uid)).isEmpty();
        assertThat(node.sandboxConfigs(uid)).isEmpty();
        JsonNode pod = cluster.admin.get("/api/v1/namespaces/ns-a/pods/refused").json();
        assertThat(pod.path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(condition(pod, "Ready")).isNotEqualTo("True");
        provider.refuseSetup(spec -> null);
    }

    @Test
    void unavailableKubestackIsRetriedUntilThePodStarts() throws Exception {
        needVni();
        provider.failSetup("retried", new NetworkException(NetworkException.Reason.UNAVAILABLE, "ip link add hnb42: device busy"));
        String uid = createPod("ns-a", "retried", "node-net");
        address("ns-a", "retried", "net-a", "10.0.0.8");
        cluster.awaitEvent("ns-a", "retried", "FailedNetworkSetup", "device busy");
        cluster.awaitPod("ns-a", "retried", p -> condition(p, "Ready").equals("True"));
        assertThat(provider.setupsOf(uid)).hasSizeGreaterThanOrEqualTo(2);
        assertThat(node.sandboxConfigs(uid)).singleElement().satisfies(c -> assertThat(c.getAttachment().getIp()).isEqualTo("10.0.0.8"));
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
        assertThat(provider.teardownsOf(uid)).isZero();
    }

    @Test
    void podDeletedWhileTheAgentWasAwayIsUnpluggedWhenItComesBack() throws Exception {
        needVni();
        String uid = createPod("ns-a", "orphan", "node-net");
        address("ns-a", "orphan", "net-a", "10.0.0.10");
        cluster.awaitPod("ns-a", "orphan", p -> condition(p, "Ready").equals("True"));
        node.agent.close();
        var force = Json.object().put("gracePeriodSeconds", 0);
        assertThat(cluster.admin.send("DELETE", "/api/v1/namespaces/ns-a/pods/orphan", Json.bytes(force), "application/json", "application/json").code()).isEqualTo(200);
        assertThat(node.sandboxes(uid)).hasSize(1);
        node.restartAgent();
        TestCluster.await(() -> provider.teardownsOf(uid) > 0);
        assertThat(node.sandboxes(uid)).isEmpty();
    }

    @Test
    void failedTeardownIsRetriedUntilKubestackTakesIt() throws Exception {
        needVni();
        String uid = createPod("ns-a", "sticky", "node-net");
        address("ns-a", "sticky", "net-a", "10.0.0.11");
        cluster.awaitPod("ns-a", "sticky", p -> condition(p, "Ready").equals("True"));
        assertThat(provider.podStatus(uid)).isPresent();
        provider.failTeardown(uid, 2);
        delete("ns-a", "sticky");
        // the pod is deleted all the same; its port goes once kubestack takes the third attempt
        awaitGone("ns-a", "sticky");
        TestCluster.await(() -> provider.podStatus(uid).isEmpty());
        assertThat(provider.teardownsOf(uid)).isEqualTo(3);
        assertThat(node.sandboxes(uid)).isEmpty();
    }
}
