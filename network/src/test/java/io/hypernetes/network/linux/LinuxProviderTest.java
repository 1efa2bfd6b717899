package io.hypernetes.network.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.LoadBalancerRef;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.NetworkStatus;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The linux provider on one "host" (a test netns, so the machine's own networking is untouched), with "pods" that are
 * netns with a veth into the Network's bridge, and real packets between them.
 */
class LinuxProviderTest {
    static final String PREFIX = "zlp";
    static Netns host;

    @TempDir
    Path stateDir;
    LinuxProvider provider;
    final List<Netns> pods = new ArrayList<>();
    int links;

    @BeforeAll
    static void host() {
        host = Netns.create(PREFIX + "-host");
        // a "node address" for node ports (no dummy devices on this machine: lo holds it)
        host.exec("ip", "addr", "add", "192.0.2.1/32", "dev", "lo").check();
    }

    @AfterAll
    static void removeHost() {
        if (host != null) {
            host.close();
        }
        removeRouters(PREFIX);
    }

    static void removeRouters(String prefix) {
        try (Stream<Path> namespaces = Files.list(Path.of("/run/netns"))) {
            namespaces.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix + "r-")).forEach(Netns::remove);
        } catch (java.io.IOException e) {
            // nothing to remove
        }
    }

    @BeforeEach
    void provider() throws NetworkException {
        provider = new LinuxProvider(LinuxConfig.defaults(stateDir).withPrefix(PREFIX).withHostNamespace(host.name));
    }

    @AfterEach
    void cleanup() throws NetworkException {
        pods.forEach(Netns::close);
        pods.clear();
        try {
            for (String network : provider.listNetworks()) {
                provider.deleteNetwork(network);
            }
        } finally {
            removeRouters(PREFIX);
        }
    }

    static NetworkSpec network(String name, int vni, String cidr, String gateway) {
        return new NetworkSpec(name, "uid-" + name, "project-" + name, vni, List.of(new NetworkSpec.Subnet("main", cidr, gateway)));
    }

    Netns pod(NetworkSpec network, String name, String ip) throws NetworkException {
        PodPort port = provider.setupPod(new PodPortSpec("ns-" + network.name(), name, "uid-" + name, network, ip));
        Netns pod = Netns.pod(host, port.bridge(), PREFIX + "-" + name, PREFIX + "p" + (++links), port.ip(), port.prefix(),
                port.gateway(), port.mtu());
        pods.add(pod);
        return pod;
    }

    static String transitHost(NetworkStatus status) {
        return status.dnsAddress().substring(0, status.dnsAddress().indexOf(':'));
    }

    static String transitRouter(NetworkStatus status) {
        Ipv4 host = Ipv4.parse(transitHost(status)).orElseThrow();
        return host.plus(1).toString();
    }

    static void reaches(Netns from, String address) {
        Netns.poll(() -> from.ping(address), Duration.ofSeconds(10), from.name + " reaching " + address);
    }

    @Test
    void twoTenantsWithTheSameCidrReachTheirOwnPodsOnly() throws Exception {
        NetworkSpec a = network("tenant-a", 101, "10.0.0.0/24", "10.0.0.1");
        NetworkSpec b = network("tenant-b", 102, "10.0.0.0/24", "10.0.0.254");
        NetworkStatus statusA = provider.createNetwork(a);
        NetworkStatus statusB = provider.createNetwork(b);
        assertThat(statusA.ready()).as(statusA.message()).isTrue();
        assertThat(statusA.details()).containsEntry("bridge", "zlpb101").containsEntry("router", "zlpr-101");
        assertThat(statusB.dnsAddress()).endsWith(":53").isNotEqualTo(statusA.dnsAddress());

        Netns a1 = pod(a, "a1", "10.0.0.11");
        Netns a2 = pod(a, "a2", "10.0.0.12");
        Netns b1 = pod(b, "b1", "10.0.0.11"); // the same address as a1, in the other tenant
        Netns b2 = pod(b, "b2", "10.0.0.13");

        reaches(a1, "10.0.0.12");
        reaches(a1, "10.0.0.1");
        reaches(b1, "10.0.0.13");
        reaches(b2, "10.0.0.11");
        reaches(b1, "10.0.0.254");

        assertThat(a1.ping("10.0.0.13")).as("tenant a's pod reaching tenant b's pod").isFalse();
        assertThat(a2.ping("10.0.0.254")).as("tenant a's pod reaching tenant b's gateway").isFalse();
        assertThat(a1.ping(transitRouter(statusB))).as("tenant a's pod reaching tenant b's router (transit .2)").isFalse();
        assertThat(a1.ping(transitHost(statusB))).as("tenant a's pod reaching the host side of b's transit").isFalse();
        assertThat(a1.ping(transitHost(statusA))).as("a pod reaching the host beyond DNS").isFalse();
        assertThat(a1.ping(transitRouter(statusA))).as("a pod reaching its router's transit address").isFalse();
        assertThat(b2.ping("10.0.0.12")).as("tenant b's pod reaching tenant a's pod").isFalse();
    }

    @Test
    void podDnsQueriesToTheGatewayArriveAtTheHostSideOfItsTransit() throws Exception {
        NetworkSpec a = network("dns-a", 111, "10.1.0.0/24", "10.1.0.1");
        NetworkStatus status = provider.createNetwork(a);
        Netns a1 = pod(a, "d1", "10.1.0.11");
        Process listener = host.background("busybox", "nc", "-l", "-p", "53");
        Netns.poll(() -> {
            Netns.Result sent = a1.exec("sh", "-c", "echo query-from-d1 | busybox nc -w 1 10.1.0.1 53");
            return sent.ok() && !listener.isAlive();
        }, Duration.ofSeconds(60), "a TCP query to the gateway's port 53 reaching " + status.dnsAddress());
        assertThat(new String(listener.getInputStream().readAllBytes())).contains("query-from-d1");
    }

    @Test
    void tenantsReachTheWorldButNeitherTheClustersOwnNetworksNorTheOtherHosts() throws Exception {
        // beyond the host, on a bridge of its own: the world (203.0.113.2), another host's underlay address
        // (203.0.113.3), a cloud's metadata service (169.254.169.254) and the administrators' pod network (10.244.9.2)
        host.exec("ip", "link", "add", PREFIX + "w", "type", "bridge").check();
        host.exec("ip", "addr", "add", "203.0.113.1/24", "dev", PREFIX + "w").check();
        host.exec("ip", "addr", "add", "10.244.9.1/24", "dev", PREFIX + "w").check();
        host.exec("ip", "link", "set", PREFIX + "w", "up").check();
        try {
            Netns world = Netns.pod(host, PREFIX + "w", PREFIX + "-world", PREFIX + "w1", "203.0.113.2", 24, "203.0.113.1", 1500);
            pods.add(world);
            world.exec("ip", "addr", "add", "203.0.113.3/24", "dev", "eth0").check();
            world.exec("ip", "addr", "add", "169.254.169.254/32", "dev", "eth0").check();
            host.exec("ip", "route", "add", "169.254.169.254/32", "dev", PREFIX + "w").check();
            pods.add(Netns.pod(host, PREFIX + "w", PREFIX + "-admin", PREFIX + "w2", "10.244.9.2", 24, "10.244.9.1", 1500));
            NetworkSpec a = network("fenced", 191, "10.0.0.0/24", "10.0.0.1");
            provider.createNetwork(a);
            Netns a1 = pod(a, "f1", "10.0.0.11");
            provider.setPeers(List.of("203.0.113.3"));

            reaches(a1, "203.0.113.2");
            assertThat(a1.ping("203.0.113.3")).as("a pod reaching another host's underlay address").isFalse();
            assertThat(a1.ping("169.254.169.254")).as("a pod reaching the metadata service").isFalse();
            assertThat(a1.ping("10.244.9.2")).as("a pod reaching the administrators' pod network").isFalse();
            assertThat(a1.exec("sh", "-c", "echo x | busybox nc -w 2 10.96.0.10 53").ok())
                    .as("a pod reaching a cluster IP that is no Service of its own").isFalse();

            // an address that is no longer a peer's is the world's again
            provider.setPeers(List.of());
            reaches(a1, "203.0.113.3");
        } finally {
            host.exec("ip", "link", "del", PREFIX + "w");
        }
    }

    @Test
    void loadBalancerSpreadsOverBackendsFollowsUpdatesAndStaysInItsTenant() throws Exception {
        NetworkSpec a = network("lb-a", 121, "10.0.0.0/24", "10.0.0.1");
        NetworkSpec b = network("lb-b", 122, "10.0.0.0/24", "10.0.0.1");
        provider.createNetwork(a);
        provider.createNetwork(b);
        Netns client = pod(a, "c1", "10.0.0.10");
        Netns backend1 = pod(a, "w1", "10.0.0.21");
        Netns backend2 = pod(a, "w2", "10.0.0.22");
        Netns other = pod(b, "o1", "10.0.0.10");
        backend1.serve("w1", stateDir.resolve("www-w1"));
        backend2.serve("w2", stateDir.resolve("www-w2"));
        reaches(client, "10.0.0.21");
        reaches(other, "10.0.0.1");

        LoadBalancer web = new LoadBalancer("lb-a", "ns-lb-a", "web", "10.96.0.10", List.of("198.51.100.10"), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 30080, List.of(new LoadBalancer.Backend("10.0.0.21", 80),
                        new LoadBalancer.Backend("10.0.0.22", 80)))));
        assertThat(provider.createLoadBalancer(web).ingressIps()).containsExactly("198.51.100.10");

        Set<String> seen = new HashSet<>();
        Netns.poll(() -> {
            seen.add(client.get("10.96.0.10", 80));
            return seen.containsAll(Set.of("w1", "w2"));
        }, Duration.ofSeconds(20), "the cluster IP reaching both backends");
        assertThat(seen).doesNotContainNull();
        // hairpin: a backend reaching the Service may land on itself, and the reply still finds its way back
        for (int i = 0; i < 6; i++) {
            assertThat(backend1.get("10.96.0.10", 80)).isIn("w1", "w2");
        }
        // from outside the Network: the node port on the host's address, the external IP routed to the router
        assertThat(host.get("192.0.2.1", 30080)).isIn("w1", "w2");
        assertThat(host.get("198.51.100.10", 80)).isIn("w1", "w2");
        // the other tenant has no such Service: its cluster IP goes nowhere
        assertThat(other.get("10.96.0.10", 80)).isNull();

        long started = System.nanoTime();
        provider.updateLoadBalancer(new LoadBalancer("lb-a", "ns-lb-a", "web", "10.96.0.10", List.of(), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 30080, List.of(new LoadBalancer.Backend("10.0.0.22", 80))))));
        long applied = System.nanoTime();
        String first = client.get("10.96.0.10", 80);
        long answered = System.nanoTime();
        System.out.printf("load balancer update: call %.1f ms, first request after it answered by %s %.1f ms later%n",
                (applied - started) / 1e6, first, (answered - applied) / 1e6);
        for (int i = 0; i < 10; i++) {
            assertThat(client.get("10.96.0.10", 80)).isEqualTo("w2");
        }
        assertThat(host.exec("ip", "route", "show", "198.51.100.10").out()).as("the dropped external IP's route").isBlank();

        provider.deleteLoadBalancer("lb-a", "ns-lb-a", "web");
        assertThat(client.get("10.96.0.10", 80)).isNull();
        assertThat(host.get("192.0.2.1", 30080)).isNull();
    }

    @Test
    void aServiceWithoutBackendsRefusesAndOneOnAnUnknownNetworkIsNotFound() throws Exception {
        NetworkSpec a = network("empty-a", 131, "10.2.0.0/24", "10.2.0.1");
        provider.createNetwork(a);
        Netns client = pod(a, "e1", "10.2.0.10");
        reaches(client, "10.2.0.1");
        provider.createLoadBalancer(new LoadBalancer("empty-a", "ns", "none", "10.96.0.20", List.of(), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 0, List.of()))));
        Netns.Result refused = client.http("10.96.0.20", 80);
        assertThat(refused.ok()).isFalse();
        assertThat(refused.err()).containsIgnoringCase("refused");

        assertThatThrownBy(() -> provider.createLoadBalancer(new LoadBalancer("no-such", "ns", "x", "10.96.0.21", List.of(),
                List.of())))
                .isInstanceOfSatisfying(NetworkException.class, e -> assertThat(e.reason()).isEqualTo(NetworkException.Reason.NOT_FOUND));
    }

    @Test
    void loadBalancersAreListedPerNetworkAlsoAfterARestart() throws Exception {
        NetworkSpec a = network("list-a", 181, "10.0.0.0/24", "10.0.0.1");
        NetworkSpec b = network("list-b", 182, "10.0.0.0/24", "10.0.0.1");
        provider.createNetwork(a);
        provider.createNetwork(b);
        assertThat(provider.listLoadBalancers("list-a")).as("a router without Services").isEmpty();
        for (String name : List.of("web", "db")) {
            provider.createLoadBalancer(new LoadBalancer("list-a", "ns1", name, "10.96.0." + (name.equals("web") ? 40 : 41),
                    List.of(), List.of(new LoadBalancer.Port("p", "TCP", 80, 0, List.of()))));
        }
        provider.createLoadBalancer(new LoadBalancer("list-a", "ns2", "web", "10.96.0.42", List.of(),
                List.of(new LoadBalancer.Port("p", "TCP", 80, 0, List.of()))));
        // the same namespace and name in the other tenant's Network is that Network's own
        provider.createLoadBalancer(new LoadBalancer("list-b", "ns1", "web", "10.96.0.40", List.of(),
                List.of(new LoadBalancer.Port("p", "TCP", 80, 0, List.of()))));
        assertThat(provider.listLoadBalancers("list-a")).containsExactly(new LoadBalancerRef("list-a", "ns1", "db"),
                new LoadBalancerRef("list-a", "ns1", "web"), new LoadBalancerRef("list-a", "ns2", "web"));
        assertThat(provider.listLoadBalancers("list-b")).containsExactly(new LoadBalancerRef("list-b", "ns1", "web"));

        // what a service proxy started after its Service was deleted finds, and deletes by the listed name
        var before = provider.listLoadBalancers("list-a");
        provider = new LinuxProvider(LinuxConfig.defaults(stateDir).withPrefix(PREFIX).withHostNamespace(host.name));
        assertThat(provider.listLoadBalancers("list-a")).isEqualTo(before);
        LoadBalancerRef stale = provider.listLoadBalancers("list-a").iterator().next();
        provider.deleteLoadBalancer(stale.network(), stale.namespace(), stale.name());
        assertThat(provider.listLoadBalancers("list-a")).doesNotContain(stale).hasSize(2);
        assertThat(Netns.run("ip", "netns", "exec", PREFIX + "r-181", "nft", "list", "table", "ip", "hypernetes")
                .check().out()).as("the router's rules")
                .doesNotContain("10.96.0.41").contains("10.96.0.40", "10.96.0.42");

        for (String unknown : List.of("no-such", "", "list-a ")) {
            assertThatThrownBy(() -> provider.listLoadBalancers(unknown)).as("'%s'", unknown)
                    .isInstanceOfSatisfying(NetworkException.class, e -> {
                        assertThat(e.reason()).isEqualTo(NetworkException.Reason.NOT_FOUND);
                        assertThat(e.getMessage()).contains("network " + unknown + " has no router");
                    });
        }
        // a compute node holds a Network's segment for its pods, never its load balancers
        NetworkSpec podsOnly = network("list-pods", 183, "10.1.0.0/24", "10.1.0.1");
        pod(podsOnly, "l1", "10.1.0.5");
        assertThat(provider.listNetworks()).contains("list-pods");
        assertThatThrownBy(() -> provider.listLoadBalancers("list-pods")).isInstanceOfSatisfying(NetworkException.class,
                e -> assertThat(e.reason()).isEqualTo(NetworkException.Reason.NOT_FOUND));

        provider.deleteNetwork("list-a");
        assertThatThrownBy(() -> provider.listLoadBalancers("list-a")).as("gone with its Network")
                .isInstanceOfSatisfying(NetworkException.class,
                        e -> assertThat(e.reason()).isEqualTo(NetworkException.Reason.NOT_FOUND));
        assertThat(provider.listLoadBalancers("list-b")).hasSize(1);
    }

    @Test
    void deletingNetworksAndTearingDownPodsLeavesNothingBehind() throws Exception {
        String before = Netns.snapshot(host, PREFIX);
        NetworkSpec a = network("gone-a", 141, "10.0.0.0/24", "10.0.0.1");
        NetworkSpec b = network("gone-b", 142, "10.0.0.0/24", "10.0.0.1");
        provider.createNetwork(a);
        provider.createNetwork(b);
        Netns p = pod(a, "g1", "10.0.0.5");
        reaches(p, "10.0.0.1");
        provider.createLoadBalancer(new LoadBalancer("gone-a", "ns", "web", "10.96.0.10", List.of("198.51.100.20"), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 30081, List.of(new LoadBalancer.Backend("10.0.0.5", 80))))));
        String during = Netns.snapshot(host, PREFIX);
        assertThat(during).contains("zlpb141", "zlpv141", "zlpt141", "zlpl141", "zlpr-141", "zlpb142", "zlp-hypernetes",
                "198.51.100.20");

        pods.remove(p);
        p.close();
        provider.teardownPod("uid-g1");
        assertThat(provider.podStatus("uid-g1")).isEmpty();
        assertThat(Netns.snapshot(host, PREFIX)).as("a network node keeps the segment of a Network it routes")
                .contains("zlpb141");
        provider.deleteNetwork("gone-a");
        String afterA = Netns.snapshot(host, PREFIX);
        assertThat(afterA).doesNotContain("zlpb141", "zlpv141", "zlpt141", "zlpl141", "zlpr-141", "198.51.100.20")
                .contains("zlpb142", "zlp-hypernetes");
        provider.deleteNetwork("gone-b");
        provider.deleteNetwork("gone-b"); // idempotent
        assertThat(Netns.snapshot(host, PREFIX)).isEqualTo(before);
        assertThat(provider.listNetworks()).isEmpty();
        assertThat(provider.getNetwork("gone-a")).isEmpty();
    }

    @Test
    void badInputIsInvalidAndChangesNothing() throws Exception {
        NetworkSpec good = network("good", 151, "10.3.0.0/24", "10.3.0.1");
        provider.createNetwork(good);
        String before = Netns.snapshot(host, PREFIX);
        List<NetworkSpec> bad = List.of(
                new NetworkSpec("overlap", "u", "p", 152, List.of(new NetworkSpec.Subnet("one", "10.4.0.0/16", "10.4.0.1"),
                        new NetworkSpec.Subnet("two", "10.4.1.0/24", "10.4.1.1"))),
                network("outside", 153, "10.5.0.0/24", "10.6.0.1"),
                network("badcidr", 154, "10.5.0.1/24", "10.5.0.2"),
                network("notcidr", 155, "10.5.0.0/33", "10.5.0.1"),
                network("vni-zero", 0, "10.5.0.0/24", "10.5.0.1"),
                network("vni-big", 16_777_216, "10.5.0.0/24", "10.5.0.1"),
                network("Not_A_Label", 156, "10.5.0.0/24", "10.5.0.1"),
                network("transit", 157, "100.64.0.0/24", "100.64.0.1"),
                network("vni-taken", 151, "10.5.0.0/24", "10.5.0.1"),
                new NetworkSpec("nosubnet", "u", "p", 158, List.of()));
        for (NetworkSpec spec : bad) {
            assertThatThrownBy(() -> provider.createNetwork(spec)).as(spec.name())
                    .isInstanceOfSatisfying(NetworkException.class, e -> {
                        assertThat(e.reason()).isEqualTo(NetworkException.Reason.INVALID);
                        assertThat(e.getMessage()).isNotBlank();
                    });
        }
        List<String> badIps = List.of("10.3.1.5", "10.3.0.0", "10.3.0.255", "10.3.0.1", "10.3.0", "10.3.0.256", "");
        for (String ip : badIps) {
            assertThatThrownBy(() -> provider.setupPod(new PodPortSpec("ns", "p", "uid-p", good, ip))).as(ip)
                    .isInstanceOfSatisfying(NetworkException.class,
                            e -> assertThat(e.reason()).isEqualTo(NetworkException.Reason.INVALID));
        }
        NetworkSpec elsewhere = network("elsewhere", 159, "10.7.0.0/24", "10.7.0.1");
        assertThatThrownBy(() -> provider.setupPod(new PodPortSpec("ns", "p", "uid-p", elsewhere, "10.7.0.1")))
                .hasMessageContaining("gateway");
        assertThatThrownBy(() -> provider.createLoadBalancer(new LoadBalancer("good", "ns", "web", "10.96.0.300", List.of(),
                List.of()))).hasMessageContaining("cluster IP");
        assertThatThrownBy(() -> provider.createLoadBalancer(new LoadBalancer("good", "ns", "web", "10.96.0.30", List.of(),
                List.of(new LoadBalancer.Port("x", "SCTP", 80, 0, List.of()))))).hasMessageContaining("SCTP");
        assertThatThrownBy(() -> provider.createLoadBalancer(new LoadBalancer("good", "ns", "web", "10.96.0.30", List.of(),
                List.of(new LoadBalancer.Port("x\n  chain evil {", "TCP", 80, 0, List.of()))))).hasMessageContaining("port name");
        assertThatThrownBy(() -> provider.setPeers(List.of("not-an-address"))).hasMessageContaining("not-an-address");

        assertThat(Netns.snapshot(host, PREFIX)).isEqualTo(before);
        assertThat(provider.listNetworks()).containsExactly("good");
        assertThat(provider.checkTenant("0123456789abcdef0123456789abcdef").ok()).isTrue();
        assertThat(provider.checkTenant("no spaces please").ok()).isFalse();
    }

    @Test
    void aNetworkThatFailsHalfwayIsRolledBack() throws Exception {
        // a device of someone else's in the way: a bridge where the router's lan0 veth end would go (a bridge cannot
        // join a bridge), so the build fails after the segment and the router namespace were made
        host.exec("ip", "link", "add", "zlpl171", "type", "bridge").check();
        try {
            String before = Netns.snapshot(host, PREFIX);
            assertThatThrownBy(() -> provider.createNetwork(network("halfway", 171, "10.0.0.0/24", "10.0.0.1")))
                    .isInstanceOfSatisfying(NetworkException.class, e -> {
                        assertThat(e.reason()).isEqualTo(NetworkException.Reason.UNAVAILABLE);
                        assertThat(e.getMessage()).contains("zlpl171");
                    });
            assertThat(Netns.snapshot(host, PREFIX)).isEqualTo(before);
            assertThat(provider.listNetworks()).isEmpty();
        } finally {
            host.exec("ip", "link", "del", "zlpl171");
        }
    }

    @Test
    void aRestartedProviderKnowsWhatItBuilt() throws Exception {
        NetworkSpec a = network("kept", 161, "10.8.0.0/24", "10.8.0.1");
        provider.createNetwork(a);
        PodPort port = provider.setupPod(new PodPortSpec("ns", "k1", "uid-k1", a, "10.8.0.7"));
        assertThat(port).isEqualTo(new PodPort("uid-k1", "kept", "zlpb161", "10.8.0.7", 24, "10.8.0.1", 1450,
                List.of("10.8.0.1")));
        assertThat(provider.setupPod(new PodPortSpec("ns", "k1", "uid-k1", a, "10.8.0.7"))).as("idempotent").isEqualTo(port);

        LinuxProvider restarted = new LinuxProvider(LinuxConfig.defaults(stateDir).withPrefix(PREFIX)
                .withHostNamespace(host.name));
        assertThat(restarted.listNetworks()).containsExactly("kept");
        assertThat(restarted.podStatus("uid-k1")).contains(port);
        NetworkStatus status = restarted.getNetwork("kept").orElseThrow();
        assertThat(status.ready()).isTrue();
        assertThat(status.details()).containsEntry("pods", "1");
        assertThat(restarted.createNetwork(a).ready()).as("creating what exists").isTrue();
    }
}
