package io.hypernetes.e2e;

import static io.hypernetes.e2e.TenantWorkloads.http;
import static io.hypernetes.e2e.TenantWorkloads.podIp;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant Network across two nodes: {@code up} is the network node and node net-1; {@code hypernetes node} runs
 * net-2 on a stand-in machine (its own network namespace, a veth as its cable to this host). Each runs pod VMs and
 * its own kubestack; the Network's segments on the two are one L2 network over VXLAN. Pods reach each other and
 * the Service across the nodes; another tenant's pod on net-2, on the same CIDR, reaches none of it. The test
 * prints pod↔pod latency and throughput within a node and across nodes, and the pods' port set-up times; a node
 * whose tenant pods are gone holds no tenant bridge or VXLAN any more.
 */
class CrossNodeNetworkE2ETest {
    private static final String NODE_1 = "net-1";
    private static final String NODE_2 = "net-2";
    private static final String BRIDGE_1 = "hyn0";
    private static final String BRIDGE_2 = "hyn1";
    private static final Pattern RTT = Pattern.compile("round-trip min/avg/max = [\\d.]+/([\\d.]+)/[\\d.]+ ms");
    private static final Pattern REAL = Pattern.compile("real\\s+(\\d+)m\\s*([\\d.]+)s");
    private static final int STREAM_MIB = 32;

    @Test
    void podsOfOneNetworkReachEachOtherAcrossNodesAndAnotherTenantsDoNot(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path archive = dir.resolve("busybox.tar");
        Processes.run(List.of(Cluster.ROOT.resolve("examples/busybox-image.sh").toString(), archive.toString()));
        for (String node : List.of(NODE_1, NODE_2)) {
            Processes.run(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "image", "import", "--data-dir", data.toString(),
                    "--node", node, archive.toString()));
        }
        try (StandInMachine machine = StandInMachine.create("hn-e2e-net-2", 1)) {
            Processes.HostNetworking before = Processes.hostNetworking();
            List<String> machineBefore = machine.links();
            try (Cluster cluster = Cluster.start(data, "--node", "hyperd", "--node-name", NODE_1, "--kubelet-port", "0",
                    "--pool-size", "2", "--bridge", BRIDGE_1, "--bind-address", "0.0.0.0")) {
                NodeProcess node2 = null;
                try {
                    node2 = NodeProcess.vms(data, machine, NODE_2, "https://" + StandInMachine.hostName() + ":"
                            + URI.create(cluster.url()).getPort(), BRIDGE_2);
                    scenario(cluster, node2, machine, machineBefore);
                } catch (AssertionError | RuntimeException e) {
                    System.out.println("up's output:\n" + cluster.output());
                    if (node2 != null) System.out.println("node " + NODE_2 + "'s output:\n" + node2.output());
                    throw e;
                } finally {
                    if (node2 != null) node2.close();
                }
            } finally {
                Processes.run(Processes.stopVms(data, NODE_1, BRIDGE_1));
                machine.run(Processes.stopVms(data, NODE_2, BRIDGE_2));
                machine.run(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "kubestack", "--delete-all",
                        "--state-dir", data.resolve("nodes/" + NODE_2 + "/kubestack").toString()));
            }
            Processes.HostNetworking after = Processes.hostNetworking();
            assertThat(after.links()).as("links").containsExactlyInAnyOrderElementsOf(TenantWorkloads.withPool(before.links(), after.links(), BRIDGE_1));
            assertThat(after.namespaces()).as("network namespaces").containsExactlyInAnyOrderElementsOf(before.namespaces());
            assertThat(after.nftTables()).as("nftables tables").isSubsetOf(before.nftTables());
            assertThat(after.routes()).as("routes through kubestack's links").containsExactlyInAnyOrderElementsOf(before.routes());
        }
    }

    private static void scenario(Cluster cluster, NodeProcess node2, StandInMachine machine, List<String> machineBefore) throws Exception {
        Kubectl k = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
        OpenStack admin = OpenStack.fromRc(cluster.adminOpenrc());
        String[] ids = admin.batch("project create acme -f value -c id", "project create globex -f value -c id")
                .ok().stdout().strip().split("\n");
        Kubectl.poll(Duration.ofSeconds(120), () -> k.run("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"),
                r -> r.stdout().contains(NODE_1 + "=True") && r.stdout().contains(NODE_2 + "=True"));

        // acme: a client and a web server on net-1, another web server on net-2, one Service over both servers;
        // globex, on the same CIDR: one web server on net-2, beside acme's
        String acme = String.join("---\n", TenantWorkloads.network("net-acme", "ns-acme", ids[0]), TenantWorkloads.webService("ns-acme"),
                TenantWorkloads.sleeper("ns-acme", "client", NODE_1), TenantWorkloads.web("ns-acme", "near", "hello from near", NODE_1),
                TenantWorkloads.web("ns-acme", "far", "hello from far", NODE_2));
        String globex = String.join("---\n", TenantWorkloads.network("net-globex", "ns-globex", ids[1]),
                TenantWorkloads.web("ns-globex", "other", "hello from globex", NODE_2));
        k.run(Map.of(), acme.getBytes(), "apply", "-f", "-").ok();
        k.run(Map.of(), globex.getBytes(), "apply", "-f", "-").ok();
        TenantWorkloads.awaitRunning(k, "ns-acme", 3, Duration.ofSeconds(300));
        TenantWorkloads.awaitRunning(k, "ns-globex", 1, Duration.ofSeconds(300));
        assertThat(k.run("get", "pod", "far", "-n", "ns-acme", "-o", "jsonpath={.spec.nodeName}").ok().stdout()).isEqualTo(NODE_2);
        String near = podIp(k, "ns-acme", "near");
        String far = podIp(k, "ns-acme", "far");
        String other = podIp(k, "ns-globex", "other");

        // within the tenant, across the nodes: by IP, and through the Service (its router is on the network node)
        assertThat(acme(k, "ping -c1 -W5 " + far).exit()).isZero();
        assertThat(acme(k, http(far + " 8080")).stdout()).contains("hello from far");
        Kubectl.poll(Duration.ofSeconds(30), () -> acme(k, "for i in 1 2 3 4 5 6 7 8; do " + http("web") + "; done"),
                r -> r.stdout().contains("hello from far") && r.stdout().contains("hello from near"));

        // globex's pod shares net-2 with acme's: an address only acme has, acme's Service and acme's names stay out of reach
        String onlyAcme = far.equals(other) ? near : far;
        assertThat(globex(k, "ping -c1 -W3 " + onlyAcme).exit()).isNotZero();
        String acmeClusterIp = k.run("get", "svc", "web", "-n", "ns-acme", "-o", "jsonpath={.spec.clusterIP}").ok().stdout();
        assertThat(globex(k, http(acmeClusterIp)).stdout()).doesNotContain("hello");
        Kubectl.Result lookup = globex(k, "nslookup web.ns-acme.svc.cluster.local");
        assertThat(lookup.stdout() + lookup.stderr()).containsIgnoringCase("NXDOMAIN").doesNotContain(acmeClusterIp);

        // figures, VM to VM (virtio-net under TCG): printed, not asserted
        for (var target : Map.of("within a node", near, "across nodes", far).entrySet()) {
            Kubectl.Result ping = acme(k, "ping -c 10 " + target.getValue()).ok();
            Matcher rtt = RTT.matcher(ping.stdout());
            assertThat(rtt.find()).as(ping.stdout()).isTrue();
            List<Double> mibPerSecond = new ArrayList<>();
            for (int run = 0; run < 3; run++) mibPerSecond.add(STREAM_MIB / streamSeconds(k, target.getValue()));
            Collections.sort(mibPerSecond);
            System.out.printf("tenant networks, pod to pod %s: ping avg %s ms (10 pings), TCP %.1f MiB/s (median of 3 × %d MiB; %s)%n",
                    target.getKey(), rtt.group(1), mibPerSecond.get(1), STREAM_MIB, mibPerSecond);
        }
        System.out.printf("tenant networks: pod ports set up (ms, kubelet: Network read + kubestack setupPod): %s on %s, %s on %s%n",
                TenantWorkloads.plugTimes(cluster.output()), NODE_1, TenantWorkloads.plugTimes(node2.output()), NODE_2);

        // net-2's tenant pods go: its kubestack takes their Networks' bridges and VXLANs with them
        k.run("delete", "pod", "far", "-n", "ns-acme", "--wait=true", "--timeout=120s").ok();
        k.run("delete", "pod", "other", "-n", "ns-globex", "--wait=true", "--timeout=120s").ok();
        for (Instant end = Instant.now().plusSeconds(60); ; Thread.sleep(500)) {
            List<String> links = machine.links();
            List<String> allowed = TenantWorkloads.withPool(machineBefore, links, BRIDGE_2);
            if (Set.copyOf(links).equals(Set.copyOf(allowed)) || Instant.now().isAfter(end)) {
                assertThat(links).as("links of " + NODE_2 + " without tenant pods").containsExactlyInAnyOrderElementsOf(allowed);
                break;
            }
        }

        // the tenants go: namespaces first (their pods stopped), then their Networks
        for (String ns : List.of("ns-acme", "ns-globex")) k.run("delete", "namespace", ns, "--wait=true", "--timeout=180s").ok();
        for (String net : List.of("net-acme", "net-globex")) k.run("delete", "network", net, "--wait=true", "--timeout=60s").ok();
    }

    /** Streams {@value #STREAM_MIB} MiB from acme's client to {@code ip}:9000; the seconds busybox time measured. */
    private static double streamSeconds(Kubectl k, String ip) {
        // dd writes to the socket itself (nc -e), 64 KiB at a time: busybox nc's own copying goes 1 KiB at a time
        Kubectl.Result r = acme(k, "time nc " + ip + " 9000 -e dd if=/dev/zero bs=64k count=" + STREAM_MIB * 16).ok();
        Matcher m = REAL.matcher(r.stderr());
        assertThat(m.find()).as(r.stderr()).isTrue();
        return Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2));
    }

    private static Kubectl.Result acme(Kubectl k, String command) {
        return TenantWorkloads.sh(k, "ns-acme", "client", command);
    }

    private static Kubectl.Result globex(Kubectl k, String command) {
        return TenantWorkloads.sh(k, "ns-globex", "other", command);
    }
}
