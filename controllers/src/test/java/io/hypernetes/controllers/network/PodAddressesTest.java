package io.hypernetes.controllers.network;

import static io.hypernetes.controllers.ControlPlane.await;
import static io.hypernetes.controllers.network.NetworkObjects.TENANT_A;
import static io.hypernetes.controllers.network.NetworkObjects.TENANT_B;
import static io.hypernetes.controllers.network.NetworkObjects.podPath;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.controllers.ControlPlane;
import io.hypernetes.network.RecordingProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pod address management against a real API server (Networks brought up by the fake {@link RecordingProvider}). */
class PodAddressesTest {
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
        provider = NetworkControllerTest.recordingProvider();
        controller = NetworkController.start(plane.informers, provider, NetworkControllerTest.FAST);
        api = new NetworkObjects(client);
    }

    @AfterAll
    static void stop() {
        controller.close();
        plane.close();
    }

    private static String ip(JsonNode pod) {
        return PodAddresses.annotation(pod, NetworkController.IP_ANNOTATION);
    }

    /** Reconciles the pod once, here and now, after the controller's cache has it; answers the pod as it then is. */
    private static JsonNode reconcileNow(String ns, String name) throws Exception {
        await(() -> plane.informers.informer("/api/v1/pods").get(ns, name).isPresent());
        controller.addresses().reconcile(ns + "/" + name);
        return api.getPod(ns, name);
    }

    @Test
    void twoTenantsWithTheSameCidrEachGetTheirOwnAddresses() throws Exception {
        api.network("net-a", TENANT_A, null);
        api.network("net-b", TENANT_B, null);
        api.awaitPhase("net-a", "Active");
        api.awaitPhase("net-b", "Active");
        api.namespace("tenant-a", "net-a", TENANT_A);
        api.namespace("tenant-b", "net-b", TENANT_B);
        Map<String, Set<String>> ips = new HashMap<>();
        for (String ns : List.of("tenant-a", "tenant-b")) {
            for (int i = 0; i < 3; i++) api.pod(ns, "p" + i);
            for (int i = 0; i < 3; i++) {
                ips.computeIfAbsent(ns, k -> new TreeSet<>()).add(api.awaitAddress(ns, "p" + i));
                JsonNode pod = api.getPod(ns, "p" + i);
                assertThat(PodAddresses.annotation(pod, NetworkController.NETWORK_ANNOTATION)).isEqualTo(ns.equals("tenant-a") ? "net-a" : "net-b");
            }
        }
        // both Networks are 10.0.0.0/24 (the default subnet), isolated from each other: the same addresses in each
        assertThat(ips.get("tenant-a")).containsExactly("10.0.0.2", "10.0.0.3", "10.0.0.4");
        assertThat(ips.get("tenant-b")).containsExactly("10.0.0.2", "10.0.0.3", "10.0.0.4");
    }

    @Test
    void thirtyConcurrentPodsGetThirtyDistinctAddressesNeverTheGateway() throws Exception {
        api.network("busy", TENANT_A, "{s: {cidr: 10.20.0.0/26}}");
        api.awaitPhase("busy", "Active");
        api.namespace("busy", "busy", TENANT_A);
        List<Thread> creators = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String name = "p" + i;
            creators.add(Thread.ofVirtual().start(() -> api.pod("busy", name)));
        }
        for (Thread t : creators) t.join();
        List<String> ips = new ArrayList<>();
        for (int i = 0; i < 30; i++) ips.add(api.awaitAddress("busy", "p" + i));
        assertThat(new HashSet<>(ips)).hasSize(30);
        for (String ip : ips) {
            assertThat(ip).startsWith("10.20.0.");
            int host = Integer.parseInt(ip.substring("10.20.0.".length()));
            assertThat(host).as(ip).isBetween(2, 62); // not the network (0), the gateway (1), the broadcast (63)
        }
    }

    @Test
    void twoControllersNeverBothAssignOnePod() throws Exception {
        api.network("twice", TENANT_A, "{s: {cidr: 10.60.0.0/24}}");
        api.awaitPhase("twice", "Active");
        api.namespace("twice", "twice", TENANT_A);
        // every address each pod is ever seen with, from a watch opened before the pods exist
        Map<String, Set<String>> seen = new ConcurrentHashMap<>();
        KubeClient.WatchStream watch = client.watch("/api/v1/namespaces/twice/pods?watch=true");
        assertThat(watch.code()).isEqualTo(200);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                for (var e = watch.next(); e.isPresent(); e = watch.next()) {
                    JsonNode pod = e.get().path("object");
                    if (!ip(pod).isEmpty()) seen.computeIfAbsent(pod.at("/metadata/name").asText(), k -> ConcurrentHashMap.newKeySet()).add(ip(pod));
                }
            } catch (RuntimeException closed) {
                // the stream was closed
            }
        });
        long assignedBefore = controller.addresses().assigned.get();
        long conflictsBefore = controller.addresses().conflicts.get();
        try (InformerFactory otherProcess = new InformerFactory(client);
                NetworkController second = NetworkController.start(otherProcess, provider, NetworkControllerTest.FAST)) {
            for (int i = 0; i < 20; i++) api.pod("twice", "p" + i);
            for (int i = 0; i < 20; i++) api.awaitAddress("twice", "p" + i);
            await(() -> seen.size() == 20);
            System.out.printf("two controllers, 20 pods: %d and %d addresses written, %d and %d writes refused as stale%n",
                    controller.addresses().assigned.get() - assignedBefore, second.addresses().assigned.get(),
                    controller.addresses().conflicts.get() - conflictsBefore, second.addresses().conflicts.get());
        } finally {
            watch.close();
            reader.join();
        }
        for (Map.Entry<String, Set<String>> e : seen.entrySet()) assertThat(e.getValue()).as(e.getKey()).hasSize(1);
    }

    @Test
    void aFullNetworkIsReportedAndAnAddressIsReusedOnlyOnceItsPodIsDeleted() throws Exception {
        // hosts .1-.6, the gateway in the middle: five addresses for pods
        api.network("small", TENANT_A, "{s: {cidr: 10.30.0.0/29, gateway: 10.30.0.4}}");
        api.awaitPhase("small", "Active");
        api.namespace("small", "small", TENANT_A);
        Set<String> ips = new TreeSet<>();
        for (int i = 1; i <= 5; i++) {
            api.pod("small", "p" + i);
            ips.add(api.awaitAddress("small", "p" + i));
        }
        assertThat(ips).containsExactly("10.30.0.1", "10.30.0.2", "10.30.0.3", "10.30.0.5", "10.30.0.6");

        api.pod("small", "p6");
        await(() -> {
            JsonNode events = client.get("/api/v1/namespaces/small/events?fieldSelector=involvedObject.name%3Dp6").json();
            for (JsonNode e : events.path("items")) {
                if (e.path("reason").asText().equals(PodAddresses.NO_FREE_ADDRESS)) {
                    return e.path("message").asText().equals("network small has no free address") && e.path("type").asText().equals("Warning");
                }
            }
            return false;
        });
        assertThat(ip(api.getPod("small", "p6"))).isEmpty();

        // p1 finishes and is being deleted (held by a finalizer): its node may still tear it down, so it keeps its address
        String p1 = ip(api.getPod("small", "p1"));
        ObjectNode finished = (ObjectNode) api.getPod("small", "p1");
        finished.withObject("/status").put("phase", "Failed");
        assertThat(client.put(podPath("small", "p1") + "/status", finished).code()).isEqualTo(200);
        api.mergePatch(podPath("small", "p1"), "{metadata: {finalizers: [example.com/hold]}}");
        api.delete(podPath("small", "p1"));
        await(() -> plane.informers.informer("/api/v1/pods").get("small", "p1").map(p -> p.path("metadata").has("deletionTimestamp")).orElse(false));
        assertThat(ip(reconcileNow("small", "p6"))).isEmpty();

        // deleted from the API: the address goes to the waiting pod
        api.mergePatch(podPath("small", "p1"), "{metadata: {finalizers: null}}");
        assertThat(api.awaitAddress("small", "p6")).isEqualTo(p1);
    }

    @Test
    void nextFitHandsAJustFreedAddressOutLast() throws Exception {
        api.network("fit", TENANT_A, "{s: {cidr: 10.40.0.0/28}}");
        api.awaitPhase("fit", "Active");
        api.namespace("fit", "fit", TENANT_A);
        List<String> ips = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            api.pod("fit", "p" + i);
            ips.add(api.awaitAddress("fit", "p" + i));
        }
        assertThat(ips).containsExactly("10.40.0.2", "10.40.0.3", "10.40.0.4");
        api.delete(podPath("fit", "p1"));
        await(() -> plane.informers.informer("/api/v1/pods").get("fit", "p1").isEmpty());
        api.pod("fit", "p4");
        assertThat(api.awaitAddress("fit", "p4")).isEqualTo("10.40.0.5");
    }

    @Test
    void defaultNetworkHostNetworkAndNotActiveNetworkPodsAreLeftAlone() throws Exception {
        api.namespace("plain", null, TENANT_A);
        String rv = api.pod("plain", "web").at("/metadata/resourceVersion").asText();
        JsonNode plain = reconcileNow("plain", "web");
        assertThat(plain.at("/metadata/annotations").isMissingNode()).isTrue();
        assertThat(plain.at("/metadata/resourceVersion").asText()).isEqualTo(rv);

        api.network("hostnet", TENANT_A, null);
        api.awaitPhase("hostnet", "Active");
        api.namespace("hostnet", "hostnet", TENANT_A);
        api.create("/api/v1/namespaces/hostnet/pods", "{apiVersion: v1, kind: Pod, metadata: {name: agent},"
                + " spec: {hostNetwork: true, containers: [{name: c, image: busybox}]}}");
        assertThat(ip(reconcileNow("hostnet", "agent"))).isEmpty();

        String refusedTenant = "0000000000000000000000000000dead";
        provider.refuseTenant(refusedTenant);
        api.network("refused", refusedTenant, null);
        api.awaitPhase("refused", "Failed");
        api.namespace("refused", "refused", refusedTenant);
        api.pod("refused", "web");
        assertThat(ip(reconcileNow("refused", "web"))).isEmpty();
    }

    @Test
    void aPodCreatedBeforeItsNetworkIsActiveGetsItsAddressOnceItIs() throws Exception {
        provider.networkUnavailable("slow", true);
        api.network("slow", TENANT_A, null);
        api.awaitNetwork("slow", n -> n.at("/status/message").asText().contains("unavailable"));
        api.namespace("slow", "slow", TENANT_A);
        api.pod("slow", "early");
        assertThat(ip(reconcileNow("slow", "early"))).isEmpty();

        provider.networkUnavailable("slow", false);
        api.awaitPhase("slow", "Active");
        assertThat(api.awaitAddress("slow", "early")).isEqualTo("10.0.0.2");
    }

    @Test
    void aRestartedControllerKeepsEveryAssignmentAndNeverHandsOutAHeldAddress(@TempDir Path own) throws Exception {
        try (ControlPlane p = ControlPlane.start(own)) {
            RecordingProvider recording = NetworkControllerTest.recordingProvider();
            NetworkObjects objects = new NetworkObjects(p.client);
            Map<String, String> before = new HashMap<>();
            try (InformerFactory first = new InformerFactory(p.client);
                    NetworkController c1 = NetworkController.start(first, recording, NetworkControllerTest.FAST)) {
                objects.network("keep", TENANT_A, "{s: {cidr: 10.50.0.0/28}}");
                objects.awaitPhase("keep", "Active");
                objects.namespace("keep", "keep", TENANT_A);
                for (int i = 1; i <= 3; i++) {
                    objects.pod("keep", "r" + i);
                    before.put("r" + i, objects.awaitAddress("keep", "r" + i));
                }
            }

            objects.pod("keep", "r4"); // while no controller runs
            try (InformerFactory second = new InformerFactory(p.client);
                    NetworkController c2 = NetworkController.start(second, recording, NetworkControllerTest.FAST)) {
                String r4 = objects.awaitAddress("keep", "r4");
                assertThat(before.values()).doesNotContain(r4);
                for (int i = 1; i <= 3; i++) assertThat(ip(objects.getPod("keep", "r" + i))).isEqualTo(before.get("r" + i));

                // a freed address is not the next one handed out after the restart either
                objects.delete(podPath("keep", "r1"));
                await(() -> second.informer("/api/v1/pods").get("keep", "r1").isEmpty());
                objects.pod("keep", "r5");
                String r5 = objects.awaitAddress("keep", "r5");
                assertThat(r5).isNotEqualTo(before.get("r1")).isNotIn(before.get("r2"), before.get("r3"), r4);
            }
        }
    }
}
