package io.hypernetes.e2e;

import static io.hypernetes.e2e.TenantWorkloads.http;
import static io.hypernetes.e2e.TenantWorkloads.podIp;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 as the seed tells it: a tenant creates a Network, puts a Namespace on it, and its pods (each a VM) reach
 * each other by IP and a Service by name; a second tenant on the very same CIDR (10.0.0.0/24) reaches none of it.
 * Real packets through the pods' VMs, the Networks' bridges and router namespaces, nftables and the tenant DNS.
 * Afterwards the test lists the host's links, network namespaces and nftables tables: the Networks leave nothing.
 */
class TenantNetworkE2ETest {
    private static final String NODE = "net-1";
    private static final String BRIDGE = "hyn0";

    @Test
    void twoTenantsOnTheSameCidrReachOnlyTheirOwnPodsAndServices(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path archive = dir.resolve("busybox.tar");
        Processes.run(List.of(Cluster.ROOT.resolve("examples/busybox-image.sh").toString(), archive.toString()));
        Processes.run(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "image", "import", "--data-dir", data.toString(),
                "--node", NODE, archive.toString()));
        Processes.HostNetworking before = Processes.hostNetworking();
        try (Cluster cluster = Cluster.start(data, "--node", "hyperd", "--node-name", NODE, "--kubelet-port", "0",
                "--pool-size", "3", "--bridge", BRIDGE)) {
            try {
                scenario(cluster, before);
            } catch (AssertionError | RuntimeException e) {
                System.out.println("up's output:\n" + cluster.output());
                throw e;
            }
        } finally {
            Processes.run(Processes.stopVms(data, NODE, BRIDGE));
        }
    }

    private static void scenario(Cluster cluster, Processes.HostNetworking before) throws Exception {
        Kubectl k = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
        OpenStack admin = OpenStack.fromRc(cluster.adminOpenrc());
        String[] ids = admin.batch("project create acme -f value -c id", "project create globex -f value -c id")
                .ok().stdout().strip().split("\n");
        Map<String, String> tenants = Map.of("acme", ids[0], "globex", ids[1]);
        Kubectl.poll(Duration.ofSeconds(120), () -> k.run("get", "node", NODE, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"),
                r -> r.stdout().equals("True"));

        // the seed's objects, once per tenant: a Network, a Namespace on it, a Service, a web server and a client;
        // globex has one pod more
        for (var t : tenants.entrySet()) {
            String ns = "ns-" + t.getKey();
            String manifests = String.join("---\n", TenantWorkloads.network("net-" + t.getKey(), ns, t.getValue()),
                    TenantWorkloads.webService(ns), TenantWorkloads.web(ns, "web", "hello from " + t.getKey(), null),
                    TenantWorkloads.sleeper(ns, "client", null))
                    + (t.getKey().equals("globex") ? "---\n" + TenantWorkloads.sleeper(ns, "lonely", null) : "");
            k.run(Map.of(), manifests.getBytes(), "apply", "-f", "-").ok();
        }
        // and the administrators' pod on the node's default network, which no tenant reaches either
        k.run(Map.of(), TenantWorkloads.sleeper("default", "admin", null).getBytes(), "apply", "-f", "-").ok();
        for (String t : tenants.keySet()) {
            Kubectl.poll(Duration.ofSeconds(60), () -> k.run("get", "network", "net-" + t, "-o", "jsonpath={.status.phase}"),
                    r -> r.stdout().equals("Active"));
        }
        for (String t : tenants.keySet()) TenantWorkloads.awaitRunning(k, "ns-" + t, t.equals("globex") ? 3 : 2, Duration.ofSeconds(300));
        String acmeWeb = podIp(k, "ns-acme", "web");
        String globexWeb = podIp(k, "ns-globex", "web");
        assertThat(acmeWeb).startsWith("10.0.0.");
        assertThat(globexWeb).startsWith("10.0.0.");
        // globex has three pods to acme's two, so one of its addresses is not any acme pod's
        List<String> acmeIps = List.of(acmeWeb, podIp(k, "ns-acme", "client"));
        String onlyGlobex = Stream.of("web", "client", "lonely").map(p -> podIp(k, "ns-globex", p))
                .filter(ip -> !acmeIps.contains(ip)).findFirst().orElseThrow();
        TenantWorkloads.awaitRunning(k, "default", 1, Duration.ofSeconds(300));
        String adminPod = podIp(k, "default", "admin");
        String globexClusterIp = k.run("get", "svc", "web", "-n", "ns-globex", "-o", "jsonpath={.spec.clusterIP}").ok().stdout();

        // within a tenant: pod to pod by IP, the Service by its short and its full name
        assertThat(acme(k, "ping -c1 -W3 " + acmeWeb).exit()).isZero();
        assertThat(TenantWorkloads.poll(k, "ns-acme", "client", http("web")).stdout()).contains("hello from acme");
        assertThat(acme(k, http("web.ns-acme.svc.cluster.local")).stdout()).contains("hello from acme");
        assertThat(TenantWorkloads.poll(k, "ns-globex", "client", http("web")).stdout()).contains("hello from globex");

        // across tenants: the same address is one's own pod; an address only the other tenant has, its Service's
        // cluster IP, its Service's name and its router answer nothing; nor does the default network's pod
        assertThat(acme(k, http(globexWeb + " 8080")).stdout()).doesNotContain("globex");
        assertThat(acme(k, "ping -c1 -W3 " + onlyGlobex).exit()).isNotZero();
        assertThat(acme(k, http(globexClusterIp)).stdout()).doesNotContain("hello");
        Kubectl.Result lookup = acme(k, "nslookup web.ns-globex.svc.cluster.local");
        assertThat(lookup.stdout() + lookup.stderr()).containsIgnoringCase("NXDOMAIN").doesNotContain(globexClusterIp);
        int globexVni = Integer.parseInt(k.run("get", "network", "net-globex", "-o", "jsonpath={.status.vni}").ok().stdout());
        assertThat(acme(k, "ping -c1 -W3 " + TenantWorkloads.routerTransitAddress(globexVni)).exit()).isNotZero();
        assertThat(acme(k, "ping -c1 -W3 " + adminPod).exit()).isNotZero();

        // an endpoint change is live: a second web pod in acme answers through the Service within a second or so
        k.run(Map.of(), TenantWorkloads.web("ns-acme", "web-2", "hello again from acme", null).getBytes(), "apply", "-f", "-").ok();
        Kubectl.poll(Duration.ofSeconds(180), () -> k.run("get", "pod", "web-2", "-n", "ns-acme", "-o", "jsonpath={.status.phase}"),
                r -> r.stdout().equals("Running"));
        long t0 = System.nanoTime();
        Kubectl.poll(Duration.ofSeconds(30), () -> acme(k, "for i in 1 2 3 4 5 6 7 8; do " + http("web") + "; done"),
                r -> r.stdout().contains("hello again from acme"));
        System.out.printf("tenant networks: the new endpoint answered through the Service %d ms after its pod was Running%n",
                (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("tenant networks: pod ports set up (ms, kubelet: Network read + kubestack setupPod): %s%n",
                TenantWorkloads.plugTimes(cluster.output()));

        // deleting the tenants' namespaces and Networks takes everything on the host with them
        for (String t : tenants.keySet()) k.run("delete", "namespace", "ns-" + t, "--wait=true", "--timeout=180s").ok();
        for (String t : tenants.keySet()) k.run("delete", "network", "net-" + t, "--wait=true", "--timeout=60s").ok();
        Processes.HostNetworking after = Processes.hostNetworking();
        assertThat(after.links()).as("links").containsExactlyInAnyOrderElementsOf(TenantWorkloads.withPool(before.links(), after.links(), BRIDGE));
        assertThat(after.namespaces()).as("network namespaces").containsExactlyInAnyOrderElementsOf(before.namespaces());
        assertThat(after.nftTables()).as("nftables tables").isSubsetOf(TenantWorkloads.withHostTable(before.nftTables(), after.nftTables()));
        assertThat(after.routes()).as("routes through kubestack's links").containsExactlyInAnyOrderElementsOf(before.routes());
    }

    /** A command in acme's client pod, inside its VM. */
    private static Kubectl.Result acme(Kubectl k, String command) {
        return TenantWorkloads.sh(k, "ns-acme", "client", command);
    }
}
