package io.hypernetes.controllers.network;

import static io.hypernetes.controllers.ControlPlane.await;
import static io.hypernetes.controllers.network.NetworkObjects.TENANT_A;
import static io.hypernetes.controllers.network.NetworkObjects.TENANT_B;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.controllers.ControlPlane;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.RecordingProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Network lifecycle against a real API server, with a recording fake provider (see {@link RecordingProvider}). */
class NetworkControllerTest {
    static final NetworkController.Config FAST =
            new NetworkController.Config(2, 4, Duration.ofMillis(20), Duration.ofMillis(500), Duration.ofSeconds(1));

    /** The fake provider, failing loudly should the controller plug in pods or program load balancers. */
    static RecordingProvider recordingProvider() {
        return new RecordingProvider().only("the network controller",
                "checkTenant", "createNetwork", "updateNetwork", "deleteNetwork", "getNetwork", "listNetworks");
    }

    @TempDir
    static Path dir;
    static ControlPlane plane;
    static KubeClient client;
    static RecordingProvider provider;
    static NetworkController controller;
    static NetworkObjects api;

    @BeforeAll
    static void start() throws Exception {
        plane = ControlPlane.start(dir);
        client = plane.client;
        provider = recordingProvider();
        controller = NetworkController.start(plane.informers, provider, FAST);
        api = new NetworkObjects(client);
    }

    @AfterAll
    static void stop() {
        controller.close();
        plane.close();
    }

    @Test
    void initializingToActiveWithVniFinalizerAndProviderNetwork() throws Exception {
        JsonNode created = api.network("life", TENANT_A, null);
        assertThat(created.at("/status/phase").asText()).isEqualTo("Initializing");

        JsonNode net = api.awaitPhase("life", "Active");
        int vni = net.at("/status/vni").asInt();
        assertThat(vni).isBetween(1, 16_777_215);
        assertThat(net.at("/status/message").isMissingNode()).isTrue();
        assertThat(net.at("/metadata/finalizers").toString()).contains(NetworkController.FINALIZER);
        NetworkSpec spec = provider.networks().get("life");
        assertThat(spec.vni()).isEqualTo(vni);
        assertThat(spec.uid()).isEqualTo(net.at("/metadata/uid").asText());
        assertThat(spec.tenantId()).isEqualTo(TENANT_A);
        assertThat(spec.subnets()).containsExactly(new NetworkSpec.Subnet("default", "10.0.0.0/24", "10.0.0.1"));
        assertThat(provider.lines("checkTenant " + TENANT_A)).isNotEmpty();
        assertThat(provider.lines("createNetwork life")).containsExactly("createNetwork life vni=" + vni);

        // a new subnet: the provider is updated, the VNI stays
        api.mergePatch("/api/v1/networks/life", "{spec: {subnets: {extra: {cidr: 10.0.1.0/24}}}}");
        await(() -> provider.networks().get("life").subnets().size() == 2);
        assertThat(provider.networks().get("life").subnets()).containsExactly(
                new NetworkSpec.Subnet("default", "10.0.0.0/24", "10.0.0.1"), new NetworkSpec.Subnet("extra", "10.0.1.0/24", "10.0.1.1"));
        assertThat(provider.lines("updateNetwork life")).containsExactly("updateNetwork life vni=" + vni);
        assertThat(provider.lines("createNetwork life")).hasSize(1);
        assertThat(api.awaitPhase("life", "Active").at("/status/vni").asInt()).isEqualTo(vni);

        // someone overwrites the status: the controller puts it back
        JsonNode edited = api.getNetwork("life").deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) edited.get("status")).put("vni", vni + 1000).put("phase", "Failed");
        assertThat(client.put("/api/v1/networks/life/status", edited).code()).isEqualTo(200);
        api.awaitNetwork("life", n -> n.at("/status/vni").asInt() == vni && n.at("/status/phase").asText().equals("Active"));
    }

    @Test
    void refusalsFailWithTheReason() throws Exception {
        api.network("provnet", TENANT_A, null);
        // providerNetworkID comes without subnets (validation forbids both)
        api.create("/api/v1/networks", "{apiVersion: v1, kind: Network, metadata: {name: provider-net},"
                + " spec: {tenantID: '" + TENANT_A + "', providerNetworkID: ext-1}}");
        String refusedTenant = "0000000000000000000000000000dead";
        provider.refuseTenant(refusedTenant);
        api.network("refused", refusedTenant, null);
        provider.invalidNetwork("clash");
        api.network("clash", TENANT_B, null);

        JsonNode p = api.awaitPhase("provider-net", "Failed");
        assertThat(p.at("/status/message").asText()).contains("spec.providerNetworkID").contains("ext-1").contains("recording");
        JsonNode r = api.awaitPhase("refused", "Failed");
        assertThat(r.at("/status/message").asText()).contains(refusedTenant).contains("does not exist");
        JsonNode c = api.awaitPhase("clash", "Failed");
        assertThat(c.at("/status/message").asText()).contains("INVALID").contains("clashes with the transit range");
        api.awaitPhase("provnet", "Active");

        assertThat(provider.lines("createNetwork provider-net")).isEmpty();
        assertThat(provider.lines("createNetwork refused")).isEmpty();
        assertThat(provider.networks()).doesNotContainKeys("provider-net", "refused", "clash");
        assertThat(p.at("/status/vni").asInt()).isPositive();

        // a failed Network deletes as any other
        api.delete("/api/v1/networks/provider-net");
        api.delete("/api/v1/networks/refused");
        await(() -> api.getNetwork("provider-net") == null && api.getNetwork("refused") == null);
    }

    @Test
    void unavailableProviderIsRetriedUntilItAnswers() throws Exception {
        provider.networkUnavailable("flaky", true);
        api.network("flaky", TENANT_A, null);
        JsonNode waiting = api.awaitNetwork("flaky", n -> n.at("/status/message").asText().contains("unavailable"));
        assertThat(waiting.at("/status/phase").asText()).isEqualTo("Initializing");
        assertThat(waiting.at("/status/message").asText()).contains("device busy");
        // the VNI is written before the provider is asked with it
        int vni = waiting.at("/status/vni").asInt();
        assertThat(vni).isPositive();
        assertThat(provider.lines("createNetwork flaky")).allMatch(c -> c.equals("createNetwork flaky vni=" + vni));
        await(() -> provider.lines("createNetwork flaky").size() >= 3);

        provider.networkUnavailable("flaky", false);
        JsonNode net = api.awaitPhase("flaky", "Active");
        assertThat(net.at("/status/message").isMissingNode()).isTrue();
        assertThat(provider.networks()).containsKey("flaky");
    }

    @Test
    void deletionWaitsForThePodsHoldingAddressesThenDeletesAndDropsTheFinalizer() throws Exception {
        api.network("doomed", TENANT_A, null);
        int vni = api.awaitPhase("doomed", "Active").at("/status/vni").asInt();
        api.namespace("doomed-ns", "doomed", TENANT_A);
        api.pod("doomed-ns", "holder");
        String ip = api.awaitAddress("doomed-ns", "holder");
        assertThat(ip).startsWith("10.0.0.");
        api.pod("doomed-ns", "late");
        api.awaitAddress("doomed-ns", "late");
        api.delete(NetworkObjects.podPath("doomed-ns", "late"));

        // a pod still holds an address: Terminating, and the provider keeps the network
        provider.networkUnavailable("doomed", true); // and the first delete fails: it is retried
        api.delete("/api/v1/networks/doomed");
        await(() -> api.getNetwork("doomed") == null || api.getNetwork("doomed").at("/status/message").asText().contains("1 pod"));
        JsonNode terminating = api.getNetwork("doomed");
        assertThat(terminating.at("/status/phase").asText()).isEqualTo("Terminating");
        assertThat(terminating.at("/status/message").asText()).isEqualTo("waiting for 1 pod to give back their addresses");
        assertThat(provider.lines("deleteNetwork doomed")).isEmpty();

        // no address is handed out in a deleted Network
        api.pod("doomed-ns", "newcomer");
        await(() -> plane.informers.informer("/api/v1/pods").get("doomed-ns", "newcomer").isPresent());
        controller.addresses().reconcile("doomed-ns/newcomer");
        assertThat(PodAddresses.annotation(api.getPod("doomed-ns", "newcomer"), NetworkController.IP_ANNOTATION)).isEmpty();

        api.delete(NetworkObjects.podPath("doomed-ns", "holder"));
        await(() -> !provider.lines("deleteNetwork doomed").isEmpty());
        api.awaitNetwork("doomed", n -> n.at("/status/message").asText().contains("could not delete it"));
        provider.networkUnavailable("doomed", false);
        await(() -> api.getNetwork("doomed") == null);
        assertThat(provider.networks()).doesNotContainKey("doomed");

        // its VNI is free again: a new Network may get it
        Set<Integer> live = new TreeSet<>();
        for (JsonNode n : client.get("/api/v1/networks").json().path("items")) live.add(n.at("/status/vni").asInt());
        assertThat(live).doesNotContain(vni);
    }

    @Test
    void vnisAreUniqueLowestFreeAndSurviveARestart(@TempDir Path own) throws Exception {
        try (ControlPlane p = ControlPlane.start(own)) {
            RecordingProvider recording = recordingProvider();
            NetworkObjects objects = new NetworkObjects(p.client);
            Map<String, Integer> vnis = new HashMap<>();
            try (InformerFactory first = new InformerFactory(p.client);
                    NetworkController c1 = NetworkController.start(first, recording, FAST)) {
                List<Thread> creators = new ArrayList<>();
                for (int i = 1; i <= 6; i++) {
                    String name = "v" + i;
                    creators.add(Thread.ofVirtual().start(() -> objects.network(name, TENANT_A, null)));
                }
                for (Thread t : creators) t.join();
                for (int i = 1; i <= 6; i++) vnis.put("v" + i, objects.awaitPhase("v" + i, "Active").at("/status/vni").asInt());
                assertThat(new TreeSet<>(vnis.values())).containsExactly(1, 2, 3, 4, 5, 6);
            }

            // while no controller runs: a new Network, a provider network nothing names any more, and a status
            // written by hand that gives the Network with VNI 6 the VNI of the one with 5
            objects.network("late", TENANT_A, null);
            String five = holderOf(vnis, 5);
            String six = holderOf(vnis, 6);
            JsonNode edited = objects.getNetwork(six).deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) edited.get("status")).put("vni", 5);
            assertThat(p.client.put("/api/v1/networks/" + six + "/status", edited).code()).isEqualTo(200);
            recording.addExistingNetwork(new NetworkSpec("ghost", "gone-uid", TENANT_A, 99, List.of()));

            try (InformerFactory second = new InformerFactory(p.client);
                    NetworkController c2 = NetworkController.start(second, recording, FAST)) {
                await(() -> !recording.networks().containsKey("ghost"));
                assertThat(recording.lines("deleteNetwork ghost")).isNotEmpty();
                for (String name : vnis.keySet()) {
                    if (name.equals(five) || name.equals(six)) continue;
                    assertThat(objects.awaitPhase(name, "Active").at("/status/vni").asInt()).isEqualTo(vnis.get(name));
                }
                // the older of the two keeps 5, the other and the new Network get the free ones: 6 and 7
                int late = objects.awaitPhase("late", "Active").at("/status/vni").asInt();
                await(() -> objects.getNetwork(five).at("/status/vni").asInt() != objects.getNetwork(six).at("/status/vni").asInt());
                int v5 = objects.getNetwork(five).at("/status/vni").asInt();
                int v6 = objects.getNetwork(six).at("/status/vni").asInt();
                assertThat(Set.of(v5, v6)).contains(5);
                assertThat(Set.of(late, v5 == 5 ? v6 : v5)).containsExactlyInAnyOrder(6, 7);
                await(() -> recording.networks().get(five).vni() == v5 && recording.networks().get(six).vni() == v6);

                // the lowest free VNI goes to the next Network once its holder is gone
                String third = holderOf(vnis, 3);
                objects.delete("/api/v1/networks/" + third);
                await(() -> objects.getNetwork(third) == null);
                objects.network("again", TENANT_B, null);
                assertThat(objects.awaitPhase("again", "Active").at("/status/vni").asInt()).isEqualTo(3);

                Set<Integer> all = new TreeSet<>();
                List<Integer> listed = new ArrayList<>();
                for (JsonNode n : p.client.get("/api/v1/networks").json().path("items")) listed.add(n.at("/status/vni").asInt());
                all.addAll(listed);
                assertThat(all).hasSameSizeAs(listed).containsExactlyElementsOf(IntStream.rangeClosed(1, 7).boxed().toList());
            }
        }
    }

    private static String holderOf(Map<String, Integer> vnis, int vni) {
        return vnis.entrySet().stream().filter(e -> e.getValue() == vni).findFirst().orElseThrow().getKey();
    }

    @Test
    void gatewayDefaultsToTheSubnetsFirstAddress() {
        var net = Json.object();
        net.putObject("metadata").put("name", "n").put("uid", "u");
        var spec = net.putObject("spec").put("tenantID", TENANT_A);
        spec.putObject("subnets").putObject("b").put("cidr", "192.168.8.0/22");
        ((com.fasterxml.jackson.databind.node.ObjectNode) spec.get("subnets")).putObject("a").put("cidr", "10.9.0.0/16").put("gateway", "10.9.255.254");
        NetworkSpec s = NetworkController.spec(net, 12);
        assertThat(s.subnets()).containsExactly(new NetworkSpec.Subnet("a", "10.9.0.0/16", "10.9.255.254"),
                new NetworkSpec.Subnet("b", "192.168.8.0/22", "192.168.8.1"));
        assertThat(s.vni()).isEqualTo(12);
        assertThat(NetworkController.firstAddress("not-a-cidr")).isEmpty();
    }
}
