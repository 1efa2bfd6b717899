package io.hypernetes.network.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Network on two "hosts" (two netns joined by a veth underlay): the network node holds the router, the compute
 * node only the segment; pods on both reach each other and the router over VXLAN.
 */
class TwoHostsTest {
    static final String PREFIX = "zth";
    static final String UNDERLAY1 = "192.168.251.1";
    static final String UNDERLAY2 = "192.168.251.2";
    static Netns networkNode;
    static Netns computeNode;

    @TempDir
    Path stateDir;
    LinuxProvider first;
    LinuxProvider second;
    final List<Netns> pods = new ArrayList<>();

    @BeforeAll
    static void hosts() {
        networkNode = Netns.create(PREFIX + "-h1");
        computeNode = Netns.create(PREFIX + "-h2");
        networkNode.exec("ip", "link", "add", PREFIX + "u1", "type", "veth", "peer", "name", PREFIX + "u2", "netns",
                computeNode.name).check();
        networkNode.exec("ip", "addr", "add", UNDERLAY1 + "/24", "dev", PREFIX + "u1").check();
        networkNode.exec("ip", "link", "set", PREFIX + "u1", "up").check();
        computeNode.exec("ip", "addr", "add", UNDERLAY2 + "/24", "dev", PREFIX + "u2").check();
        computeNode.exec("ip", "link", "set", PREFIX + "u2", "up").check();
    }

    @AfterAll
    static void removeHosts() {
        if (networkNode != null) {
            networkNode.close();
        }
        if (computeNode != null) {
            computeNode.close();
        }
        LinuxProviderTest.removeRouters(PREFIX);
    }

    @BeforeEach
    void providers() throws NetworkException {
        first = new LinuxProvider(LinuxConfig.defaults(stateDir.resolve("h1")).withPrefix(PREFIX)
                .withHostNamespace(networkNode.name).withUnderlayLocal(UNDERLAY1));
        second = new LinuxProvider(LinuxConfig.defaults(stateDir.resolve("h2")).withPrefix(PREFIX)
                .withHostNamespace(computeNode.name).withUnderlayLocal(UNDERLAY2));
    }

    @AfterEach
    void cleanup() throws NetworkException {
        pods.forEach(Netns::close);
        pods.clear();
        try {
            for (LinuxProvider provider : List.of(first, second)) {
                for (String network : provider.listNetworks()) {
                    provider.deleteNetwork(network);
                }
            }
        } finally {
            LinuxProviderTest.removeRouters(PREFIX);
        }
    }

    Netns pod(LinuxProvider provider, Netns host, NetworkSpec network, String name, String ip) throws NetworkException {
        PodPort port = provider.setupPod(new PodPortSpec("ns", name, "uid-" + name, network, ip));
        Netns pod = Netns.pod(host, port.bridge(), PREFIX + "-" + name, PREFIX + "p" + name, port.ip(), port.prefix(),
                port.gateway(), port.mtu());
        pods.add(pod);
        return pod;
    }

    @Test
    void podsOnBothHostsReachEachOtherAndTheRouterOverVxlan() throws Exception {
        NetworkSpec network = LinuxProviderTest.network("shared", 201, "10.20.0.0/24", "10.20.0.1");
        first.createNetwork(network);
        first.setPeers(List.of(UNDERLAY1, UNDERLAY2)); // its own address is left out
        second.setPeers(List.of(UNDERLAY1));
        Netns here = pod(first, networkNode, network, "x1", "10.20.0.11");
        String computeBefore = Netns.snapshot(computeNode, PREFIX);
        Netns there = pod(second, computeNode, network, "x2", "10.20.0.12");

        assertThat(networkNode.exec("bridge", "fdb", "show", "dev", "zthv201").out())
                .contains("00:00:00:00:00:00 dst " + UNDERLAY2).doesNotContain("dst " + UNDERLAY1);
        Netns.poll(() -> there.ping("10.20.0.11"), Duration.ofSeconds(10), "x2 reaching x1 over VXLAN");
        Netns.poll(() -> there.ping("10.20.0.1"), Duration.ofSeconds(10), "x2 reaching the router on the network node");
        assertThat(here.ping("10.20.0.12")).isTrue();
        assertThat(second.getNetwork("shared").orElseThrow().dnsAddress()).as("no router on the compute node").isEmpty();

        // a Service on the network node balancing to a backend on the compute node
        there.serve("x2", stateDir.resolve("www-x2"));
        first.createLoadBalancer(new LoadBalancer("shared", "ns", "web", "10.96.0.10", List.of(), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 0, List.of(new LoadBalancer.Backend("10.20.0.12", 80))))));
        assertThat(here.get("10.96.0.10", 80)).isEqualTo("x2");

        // peers replaced: with none left the segment is cut off, and restoring them heals it
        first.setPeers(List.of());
        assertThat(networkNode.exec("bridge", "fdb", "show", "dev", "zthv201").out()).doesNotContain("00:00:00:00:00:00 dst");
        networkNode.exec("bridge", "fdb", "flush", "dev", "zthv201", "dynamic");
        networkNode.exec("ip", "netns", "exec", "zthr-201", "ip", "neigh", "flush", "all");
        networkNode.exec("ip", "netns", "exec", "zth-x1", "ip", "neigh", "flush", "all");
        assertThat(here.ping("10.20.0.12")).isFalse();
        first.setPeers(List.of(UNDERLAY2));
        Netns.poll(() -> here.ping("10.20.0.12"), Duration.ofSeconds(10), "x1 reaching x2 after the peers came back");

        // the compute node's last pod takes the segment with it
        pods.remove(there);
        there.close();
        second.teardownPod("uid-x2");
        assertThat(Netns.snapshot(computeNode, PREFIX)).isEqualTo(computeBefore);
        assertThat(second.listNetworks()).isEmpty();
    }
}
