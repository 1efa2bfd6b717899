package io.hypernetes.proxy;

import static io.hypernetes.proxy.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.LoadBalancer.Backend;
import io.hypernetes.network.LoadBalancer.Port;
import io.hypernetes.network.LoadBalancerRef;
import io.hypernetes.network.RecordingProvider;
import io.hypernetes.network.RecordingProvider.Call;
import io.hypernetes.network.RecordingProvider.CreateLoadBalancer;
import io.hypernetes.network.RecordingProvider.DeleteLoadBalancer;
import io.hypernetes.network.RecordingProvider.UpdateLoadBalancer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy against a real API server, with a recording (fake) provider standing in for kubestack. */
class ServiceProxyTest {
    @TempDir
    static Path dir;
    static Cluster cluster;
    static RecordingProvider provider;
    static ServiceProxy proxy;
    static final String[] PROXY_CALLS = {"createLoadBalancer", "updateLoadBalancer", "deleteLoadBalancer", "listLoadBalancers"};

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.start(dir);
        cluster.network("net-a", Cluster.TENANT_A, "Active");
        cluster.network("net-b", Cluster.TENANT_B, "Active");
        provider = new RecordingProvider()
                .only("the service proxy", PROXY_CALLS);
        proxy = ServiceProxy.start(cluster.informers, provider,
                new ServiceProxy.Config(2, Duration.ofMillis(50), Duration.ofSeconds(1)));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void readyBackendsNamedPortsAndEndpointChanges() throws Exception {
        cluster.namespace("p1", "net-a");
        JsonNode svc = cluster.create("p1", "services", """
                {apiVersion: v1, kind: Service, metadata: {name: web},
                 spec: {type: NodePort, externalIPs: [192.0.2.10],
                        ports: [{name: http, port: 80, targetPort: http, protocol: TCP},
                                {name: dns, port: 53, targetPort: 5353, protocol: UDP},
                                {name: assoc, port: 9999, protocol: SCTP}]}}""");
        String ip = svc.at("/spec/clusterIP").asText();
        int httpNodePort = svc.at("/spec/ports/0/nodePort").asInt();
        int dnsNodePort = svc.at("/spec/ports/1/nodePort").asInt();
        // two pods resolved the named port differently; one pod is not ready
        cluster.create("p1", "endpoints", """
                {apiVersion: v1, kind: Endpoints, metadata: {name: web},
                 subsets: [{addresses: [{ip: 10.0.0.6}], notReadyAddresses: [{ip: 10.0.0.9}],
                            ports: [{name: http, port: 8081}, {name: dns, port: 5353, protocol: UDP}]},
                           {addresses: [{ip: 10.0.0.5}],
                            ports: [{name: http, port: 8080}, {name: dns, port: 5353, protocol: UDP}]}]}""");

        LoadBalancer created = awaitCall("p1", 0, CreateLoadBalancer.class).lb();
        // the Endpoints may have arrived after the Service: then the first call had no backends and an update follows
        LoadBalancer first = expected(ip, httpNodePort, dnsNodePort,
                List.of(new Backend("10.0.0.5", 8080), new Backend("10.0.0.6", 8081)),
                List.of(new Backend("10.0.0.5", 5353), new Backend("10.0.0.6", 5353)));
        int next = 1;
        if (!created.equals(first)) {
            assertThat(created.ports()).allSatisfy(p -> assertThat(p.backends()).isEmpty());
            assertThat(awaitCall("p1", 1, UpdateLoadBalancer.class).lb()).isEqualTo(first);
            next = 2;
        }

        // the not-ready pod becomes ready, 10.0.0.6 goes: programmed from the watch event, without polling
        long before = System.nanoTime();
        cluster.subsets("p1", "web", """
                [{addresses: [{ip: 10.0.0.5}, {ip: 10.0.0.9}],
                  ports: [{name: http, port: 8080}, {name: dns, port: 5353, protocol: UDP}]}]""");
        UpdateLoadBalancer update = awaitCall("p1", next, UpdateLoadBalancer.class);
        System.out.printf("endpoints change → updateLoadBalancer: %.1f ms%n", (update.nanos() - before) / 1e6);
        assertThat(update.lb()).isEqualTo(expected(ip, httpNodePort, dnsNodePort,
                List.of(new Backend("10.0.0.5", 8080), new Backend("10.0.0.9", 8080)),
                List.of(new Backend("10.0.0.5", 5353), new Backend("10.0.0.9", 5353))));

        // a change that does not touch the load balancer makes no call; the Service's delete does
        Cluster.ok(cluster.client.patch("/api/v1/namespaces/p1/services/web", "application/merge-patch+json",
                Cluster.yaml("{metadata: {labels: {touched: 'yes'}}}")), 200);
        Cluster.ok(cluster.client.delete("/api/v1/namespaces/p1/services/web"), 200);
        assertThat(awaitCall("p1", next + 1, DeleteLoadBalancer.class))
                .extracting(DeleteLoadBalancer::network, DeleteLoadBalancer::namespace, DeleteLoadBalancer::name)
                .containsExactly("net-a", "p1", "web");
        assertThat(provider.loadBalancerCalls("p1")).hasSize(next + 2);
    }

    private static LoadBalancer expected(String ip, int httpNodePort, int dnsNodePort, List<Backend> http, List<Backend> dns) {
        return new LoadBalancer("net-a", "p1", "web", ip, List.of("192.0.2.10"), List.of(
                new Port("http", "TCP", 80, httpNodePort, http), new Port("dns", "UDP", 53, dnsNodePort, dns)));
    }

    @Test
    void headlessServiceHasNoClusterIp() throws Exception {
        cluster.namespace("p2", "net-a");
        cluster.create("p2", "services", """
                {apiVersion: v1, kind: Service, metadata: {name: db}, spec: {clusterIP: None, ports: [{port: 5432}]}}""");
        cluster.create("p2", "endpoints", """
                {apiVersion: v1, kind: Endpoints, metadata: {name: db},
                 subsets: [{addresses: [{ip: 10.0.0.7}], ports: [{port: 5432}]}]}""");
        await("headless programmed with its backend", () -> !provider.loadBalancerCalls("p2").isEmpty()
                && last("p2").ports().getFirst().backends().size() == 1);
        assertThat(last("p2")).isEqualTo(new LoadBalancer("net-a", "p2", "db", "", List.of(),
                List.of(new Port("", "TCP", 5432, 0, List.of(new Backend("10.0.0.7", 5432))))));
    }

    @Test
    void namespaceJoiningAndNetworkLeavingActive() throws Exception {
        cluster.network("net-c", Cluster.TENANT_A, "Active");
        cluster.namespace("p3", null);
        JsonNode svc = cluster.create("p3", "services", """
                {apiVersion: v1, kind: Service, metadata: {name: api}, spec: {ports: [{port: 443}]}}""");
        String ip = svc.at("/spec/clusterIP").asText();
        LoadBalancer lb = new LoadBalancer("net-c", "p3", "api", ip, List.of(), List.of(new Port("", "TCP", 443, 0, List.of())));

        // on the default network: nothing. A Service of another namespace, queued after it, shows the queue drained.
        cluster.namespace("p3-marker", "net-a");
        cluster.create("p3-marker", "services", "{apiVersion: v1, kind: Service, metadata: {name: m}, spec: {ports: [{port: 1}]}}");
        awaitCall("p3-marker", 0, CreateLoadBalancer.class);
        assertThat(provider.loadBalancerCalls("p3")).isEmpty();

        // the namespace joins net-c
        Cluster.ok(cluster.client.patch("/api/v1/namespaces/p3", "application/merge-patch+json",
                Cluster.yaml("{spec: {network: net-c}}")), 200);
        assertThat(awaitCall("p3", 0, CreateLoadBalancer.class).lb()).isEqualTo(lb);

        // the Network is being deleted: its load balancers go; Active again: they come back
        cluster.phase("net-c", "Terminating");
        assertThat(awaitCall("p3", 1, DeleteLoadBalancer.class))
                .extracting(DeleteLoadBalancer::network, DeleteLoadBalancer::namespace, DeleteLoadBalancer::name)
                .containsExactly("net-c", "p3", "api");
        cluster.phase("net-c", "Active");
        assertThat(awaitCall("p3", 2, CreateLoadBalancer.class).lb()).isEqualTo(lb);
    }

    @Test
    void namespaceRecreatedOnAnotherNetworkMovesItsServices() throws Exception {
        // A namespace's network cannot change in place; a namespace deleted and made again under the same name can
        // find Services the (here absent) namespace controller has not deleted: they move with it.
        cluster.namespace("p6", "net-a");
        JsonNode svc = cluster.create("p6", "services", "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}");
        assertThat(awaitCall("p6", 0, CreateLoadBalancer.class).lb().network()).isEqualTo("net-a");
        Cluster.ok(cluster.client.delete("/api/v1/namespaces/p6"), 200);
        var ns = (com.fasterxml.jackson.databind.node.ObjectNode) cluster.client.get("/api/v1/namespaces/p6").json();
        ns.withObject("/spec").putArray("finalizers");
        Cluster.ok(cluster.client.put("/api/v1/namespaces/p6/finalize", ns), 200);
        await("namespace gone", () -> cluster.client.get("/api/v1/namespaces/p6").code() == 404);
        assertThat(awaitCall("p6", 1, DeleteLoadBalancer.class).network()).isEqualTo("net-a");

        cluster.namespace("p6", "net-b");
        assertThat(awaitCall("p6", 2, CreateLoadBalancer.class).lb()).isEqualTo(new LoadBalancer("net-b", "p6", "s",
                svc.at("/spec/clusterIP").asText(), List.of(), List.of(new Port("", "TCP", 80, 0, List.of()))));
        assertThat(provider.loadBalancerCalls("p6")).hasSize(3);
    }

    @Test
    void programmingLatencyFigures() throws Exception {
        cluster.namespace("p7", "net-a");
        cluster.create("p7", "services", "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}");
        cluster.create("p7", "endpoints", "{apiVersion: v1, kind: Endpoints, metadata: {name: s}, subsets: [{addresses: [{ip: 10.0.2.0}], ports: [{port: 80}]}]}");
        await("programmed", () -> !provider.loadBalancerCalls("p7").isEmpty() && last("p7").ports().getFirst().backends().size() == 1);
        List<Double> millis = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            int calls = provider.loadBalancerCalls("p7").size();
            long before = System.nanoTime();
            cluster.subsets("p7", "s", "[{addresses: [{ip: 10.0.2." + i + "}], ports: [{port: 80}]}]");
            String ip = "10.0.2." + i;
            await("update " + i, () -> provider.loadBalancerCalls("p7").size() > calls
                    && last("p7").ports().getFirst().backends().equals(List.of(new Backend(ip, 80))));
            millis.add((provider.loadBalancerCalls("p7").getLast().nanos() - before) / 1e6);
        }
        List<Double> sorted = millis.stream().sorted().toList();
        System.out.printf("endpoints PUT → updateLoadBalancer over %d changes: p50 %.1f ms, p90 %.1f ms, max %.1f ms%n",
                sorted.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() * 9 / 10), sorted.getLast());
    }

    @Test
    void tenantsServicesStayInTheirOwnNetworks() throws Exception {
        cluster.namespace("p4-a", "net-a");
        cluster.namespace("p4-b", "net-b");
        for (String ns : List.of("p4-a", "p4-b")) {
            cluster.create(ns, "services", "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}");
            cluster.create(ns, "endpoints", "{apiVersion: v1, kind: Endpoints, metadata: {name: web}, subsets: [{addresses: [{ip: "
                    + (ns.equals("p4-a") ? "10.0.0.10" : "10.0.0.20") + "}], ports: [{port: 80}]}]}");
        }
        await("both programmed with backends", () -> !provider.loadBalancerCalls("p4-a").isEmpty() && !provider.loadBalancerCalls("p4-b").isEmpty()
                && last("p4-a").ports().getFirst().backends().size() == 1 && last("p4-b").ports().getFirst().backends().size() == 1);
        assertThat(last("p4-a").ports().getFirst().backends()).containsExactly(new Backend("10.0.0.10", 80));
        assertThat(last("p4-b").ports().getFirst().backends()).containsExactly(new Backend("10.0.0.20", 80));
        // across every call made so far, in every test: a Service only ever in its namespace's Network
        for (Call c : provider.calls()) {
            switch (c) {
                case CreateLoadBalancer cr -> assertThat(cr.lb().network()).isEqualTo(networkOf(cr.lb().namespace()));
                case UpdateLoadBalancer u -> assertThat(u.lb().network()).isEqualTo(networkOf(u.lb().namespace()));
                case DeleteLoadBalancer d -> assertThat(d.network()).isEqualTo(networkOf(d.namespace()));
                default -> { }
            }
        }
    }

    @Test
    void loadBalancerIngressIsWrittenToStatusAndFailuresAreRetried() throws Exception {
        cluster.namespace("p5", "net-b");
        provider.ingress("p5", "front", List.of("203.0.113.7"));
        long failuresBefore = proxy.stats().failures();
        provider.failNext(2);
        cluster.create("p5", "services", """
                {apiVersion: v1, kind: Service, metadata: {name: front},
                 spec: {type: LoadBalancer, loadBalancerIP: 203.0.113.7, ports: [{name: https, port: 443}]}}""");
        CreateLoadBalancer created = awaitCall("p5", 0, CreateLoadBalancer.class);
        assertThat(created.lb().externalIps()).containsExactly("203.0.113.7");
        assertThat(created.lb().ports().getFirst().nodePort()).isBetween(30000, 32767);
        assertThat(proxy.stats().failures() - failuresBefore).isGreaterThanOrEqualTo(2);
        await("ingress in the Service's status", () -> cluster.client.get("/api/v1/namespaces/p5/services/front").json()
                .at("/status/loadBalancer/ingress/0/ip").asText().equals("203.0.113.7"));
        // the status write comes back as a Service update; the load balancer is unchanged, so no further call
        await("status write seen by the proxy", () -> proxy.stats().statusWrites() >= 1);
        cluster.namespace("p5-marker", "net-b");
        cluster.create("p5-marker", "services", "{apiVersion: v1, kind: Service, metadata: {name: m}, spec: {ports: [{port: 1}]}}");
        awaitCall("p5-marker", 0, CreateLoadBalancer.class);
        assertThat(provider.loadBalancerCalls("p5")).hasSize(1);
    }

    @Test
    void loadBalancersLeftFromBeforeTheStartAreDeletedThoseOfServicesKept() throws Exception {
        // the API as a proxy that starts now finds it
        cluster.network("net-s", Cluster.TENANT_A, "Active");
        cluster.network("net-t", Cluster.TENANT_A, "Terminating");
        cluster.namespace("p8", "net-s");
        JsonNode kept = cluster.create("p8", "services", "{apiVersion: v1, kind: Service, metadata: {name: kept}, spec: {ports: [{port: 80}]}}");
        cluster.create("p8", "services", """
                {apiVersion: v1, kind: Service, metadata: {name: renamed}, spec: {type: ExternalName, externalName: example.com}}""");
        // and the provider as the previous proxy left it
        RecordingProvider leftBehind = new RecordingProvider().only("the restarted service proxy", PROXY_CALLS);
        LoadBalancer keptLb = new LoadBalancer("net-s", "p8", "kept", kept.at("/spec/clusterIP").asText(), List.of(),
                List.of(new Port("", "TCP", 80, 0, List.of())));
        leftBehind.addExistingLoadBalancer(keptLb);
        leftBehind.addExistingLoadBalancer(leftover("net-s", "p8", "gone")); // its Service deleted while no proxy ran
        leftBehind.addExistingLoadBalancer(leftover("net-s", "p8", "renamed")); // its Service now ExternalName: needs none
        leftBehind.addExistingLoadBalancer(leftover("net-b", "p8", "kept")); // its namespace made again on net-s since
        leftBehind.addExistingLoadBalancer(leftover("net-t", "p8", "gone")); // a Network not Active: not swept

        // one worker takes keys in the order they came, so a Service created after the deletes is reconciled after
        // every key the sweeps queued: nothing is left to delete after its create
        try (ServiceProxy restarted = ServiceProxy.start(cluster.informers, leftBehind,
                new ServiceProxy.Config(1, Duration.ofMillis(50), Duration.ofSeconds(1)))) {
            await("three leftovers deleted", () -> restarted.stats().leftovers() == 3);
            cluster.namespace("p8-marker", "net-s");
            cluster.create("p8-marker", "services", "{apiVersion: v1, kind: Service, metadata: {name: m}, spec: {ports: [{port: 1}]}}");
            await("the marker programmed", () -> !leftBehind.loadBalancerCalls("p8-marker").isEmpty());

            assertThat(leftBehind.lines("deleteLoadBalancer")).containsExactlyInAnyOrder("deleteLoadBalancer net-s p8/gone",
                    "deleteLoadBalancer net-s p8/renamed", "deleteLoadBalancer net-b p8/kept");
            // (the other tests' Services are this proxy's to create too)
            assertThat(leftBehind.loadBalancers().keySet()).filteredOn(ref -> ref.namespace().startsWith("p8"))
                    .containsExactlyInAnyOrder(keptLb.ref(),
                    new LoadBalancerRef("net-t", "p8", "gone"), new LoadBalancerRef("net-s", "p8-marker", "m"));
            assertThat(leftBehind.loadBalancers().get(keptLb.ref())).isEqualTo(keptLb);
            assertThat(restarted.stats().deletes()).as("no Service's load balancer deleted").isZero();

            // a Network turning Active is swept then
            cluster.phase("net-t", "Active");
            await("net-t's leftover deleted", () -> !leftBehind.loadBalancers().containsKey(new LoadBalancerRef("net-t", "p8", "gone")));
            assertThat(restarted.stats().leftovers()).isEqualTo(4);
            assertThat(leftBehind.loadBalancers()).containsKey(keptLb.ref());
        }
    }

    private static LoadBalancer leftover(String network, String namespace, String name) {
        return new LoadBalancer(network, namespace, name, "10.96.200.1", List.of("192.0.2.99"),
                List.of(new Port("", "TCP", 80, 30999, List.of(new Backend("10.0.0.99", 80)))));
    }

    private static String networkOf(String namespace) {
        return cluster.client.get("/api/v1/namespaces/" + namespace).json().at("/spec/network").asText();
    }

    private static LoadBalancer last(String ns) {
        List<Call> calls = provider.loadBalancerCalls(ns);
        return switch (calls.getLast()) {
            case CreateLoadBalancer c -> c.lb();
            case UpdateLoadBalancer u -> u.lb();
            default -> throw new AssertionError("last call not a create or update: " + calls.getLast());
        };
    }

    private static <T extends Call> T awaitCall(String ns, int index, Class<T> type) throws Exception {
        await("call " + index + " for " + ns, () -> provider.loadBalancerCalls(ns).size() > index);
        Call c = provider.loadBalancerCalls(ns).get(index);
        assertThat(c).as("call %d for %s: %s", index, ns, new ArrayList<>(provider.loadBalancerCalls(ns))).isInstanceOf(type);
        return type.cast(c);
    }
}
