package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Pattern IPV4 = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)");

    @Test
    void twoTenantsOnTheSameCidrReachOnlyTheirOwnPodsAndServices(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path archive = dir.resolve("busybox.tar");
        Processes.run(List.of(Cluster.ROOT.resolve("examples/busybox-image.sh").toString(), archive.toString()));
        Processes.run(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "image", "import", "--data-dir", data.toString(),
                "--node", NODE, archive.toString()));
        Processes.HostNetworking before = Processes.hostNetworking();
        try (Cluster cluster = Cluster.start(data, "--node", "hyperd", "--node-name", NODE, "--kubelet-port", "0",
                "--pool-size", "3", "--bridge", "hyn0")) {
            try {
                scenario(cluster, before);
            } catch (AssertionError | RuntimeException e) {
                System.out.println("up's output:\n" + cluster.output());
                throw e;
            }
        } finally {
            Processes.run(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "hyperd", "--stop-all", "--state-dir",
                    data.resolve("nodes/" + NODE + "/hyperd").toString(), "--bridge", "hyn0", "--pool-size", "0",
                    "--pod-cidr", "10.244." + Math.floorMod(NODE.hashCode(), 256) + ".0/24"));
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

        // the seed's objects, once per tenant; globex has one pod more
        for (var t : tenants.entrySet()) {
            k.run(Map.of(), seed(t.getKey(), t.getValue(), t.getKey().equals("globex")).getBytes(), "apply", "-f", "-").ok();
        }
        for (String t : tenants.keySet()) {
            Kubectl.poll(Duration.ofSeconds(60), () -> k.run("get", "network", "net-" + t, "-o", "jsonpath={.status.phase}"),
                    r -> r.stdout().equals("Active"));
        }
        for (String t : tenants.keySet()) {
            Kubectl.poll(Duration.ofSeconds(300), () -> k.run("get", "pods", "-n", "ns-" + t, "-o", "jsonpath={.items[*].status.phase}"),
                    r -> !r.stdout().isBlank() && r.stdout().strip().chars().filter(c -> c == ' ').count() + 1 == (t.equals("globex") ? 3 : 2)
                            && r.stdout().replace("Running", "").isBlank());
        }
        Map<String, String> webIp = Map.of("acme", podIp(k, "acme", "web"), "globex", podIp(k, "globex", "web"));
        // globex has three pods to acme's two, so one of its addresses is not any acme pod's
        List<String> acmeIps = List.of(podIp(k, "acme", "web"), podIp(k, "acme", "client"));
        String onlyGlobex = Stream.of("web", "client", "lonely").map(p -> podIp(k, "globex", p))
                .filter(ip -> !acmeIps.contains(ip)).findFirst().orElseThrow();
        assertThat(webIp.get("acme")).startsWith("10.0.0.");
        assertThat(webIp.get("globex")).startsWith("10.0.0.");
        String globexClusterIp = k.run("get", "svc", "web", "-n", "ns-globex", "-o", "jsonpath={.spec.clusterIP}").ok().stdout();

        // within a tenant: pod to pod by IP, the Service by its short and its full name, the cluster IP
        assertThat(sh(k, "acme", "ping -c1 -W3 " + webIp.get("acme")).exit()).isZero();
        assertThat(poll(k, "acme", http("web")).stdout()).contains("hello from acme");
        assertThat(sh(k, "acme", http("web.ns-acme.svc.cluster.local")).stdout()).contains("hello from acme");
        assertThat(poll(k, "globex", http("web")).stdout()).contains("hello from globex");

        // across tenants: the same address is one's own pod; an address only the other tenant has, its Service's
        // cluster IP, its Service's name and its router answer nothing
        assertThat(sh(k, "acme", http(webIp.get("globex") + " 8080")).stdout()).doesNotContain("globex");
        assertThat(sh(k, "acme", "ping -c1 -W3 " + onlyGlobex).exit()).isNotZero();
        assertThat(sh(k, "acme", http(globexClusterIp)).stdout()).doesNotContain("hello");
        Kubectl.Result lookup = sh(k, "acme", "nslookup web.ns-globex.svc.cluster.local");
        assertThat(lookup.stdout() + lookup.stderr()).containsIgnoringCase("NXDOMAIN").doesNotContain(globexClusterIp);
        int globexVni = Integer.parseInt(k.run("get", "network", "net-globex", "-o", "jsonpath={.status.vni}").ok().stdout());
        assertThat(sh(k, "acme", "ping -c1 -W3 " + routerTransitAddress(globexVni)).exit()).isNotZero();

        // an endpoint change is live: a second web pod in acme answers through the Service within a second or so
        k.run(Map.of(), web("acme", "web-2", "hello again from acme").getBytes(), "apply", "-f", "-").ok();
        Kubectl.poll(Duration.ofSeconds(180), () -> k.run("get", "pod", "web-2", "-n", "ns-acme", "-o", "jsonpath={.status.phase}"),
                r -> r.stdout().equals("Running"));
        long t0 = System.nanoTime();
        Kubectl.poll(Duration.ofSeconds(30), () -> sh(k, "acme", "for i in 1 2 3 4 5 6 7 8; do " + http("web") + "; done"),
                r -> r.stdout().contains("hello again from acme"));
        System.out.printf("tenant networks: the new endpoint answered through the Service %d ms after its pod was Running%n",
                (System.nanoTime() - t0) / 1_000_000);

        // deleting the tenants' namespaces and Networks takes everything on the host with them
        for (String t : tenants.keySet()) k.run("delete", "namespace", "ns-" + t, "--wait=true", "--timeout=180s").ok();
        for (String t : tenants.keySet()) k.run("delete", "network", "net-" + t, "--wait=true", "--timeout=60s").ok();
        Processes.HostNetworking after = Processes.hostNetworking();
        assertThat(after.links()).as("links").containsExactlyInAnyOrderElementsOf(withPool(before.links(), after.links()));
        assertThat(after.namespaces()).as("network namespaces").containsExactlyInAnyOrderElementsOf(before.namespaces());
        assertThat(after.nftTables()).as("nftables tables").isSubsetOf(withHostTable(before.nftTables(), after.nftTables()));
    }

    /** Where the linux provider puts a Network's router on the host side: the .2 of the vni-th /30 of 100.64.0.0/10. */
    private static String routerTransitAddress(int vni) {
        long a = (100L << 24 | 64L << 16) + 4L * vni + 2;
        return (a >> 24 & 255) + "." + (a >> 16 & 255) + "." + (a >> 8 & 255) + "." + (a & 255);
    }

    /** The pool's VMs keep their taps on the default bridge; anything else new is a leak. */
    private static List<String> withPool(List<String> before, List<String> after) {
        List<String> expected = new ArrayList<>(before);
        after.stream().filter(l -> !before.contains(l) && (l.equals("hyn0") || l.matches("hn[0-9a-f]{13}"))).forEach(expected::add);
        return expected;
    }

    /** The host's own table of kubestack stays while the network node runs; a Network's rules live in it or its router. */
    private static List<String> withHostTable(List<String> before, List<String> after) {
        List<String> allowed = new ArrayList<>(before);
        after.stream().filter(t -> t.endsWith(" hypernetes")).forEach(allowed::add);
        return allowed;
    }

    private static String podIp(Kubectl k, String tenant, String pod) {
        String ip = k.run("get", "pod", pod, "-n", "ns-" + tenant, "-o", "jsonpath={.status.podIP}").ok().stdout();
        Matcher m = IPV4.matcher(ip);
        assertThat(m.matches()).as("pod " + pod + " of " + tenant + " has an IPv4 address: " + ip).isTrue();
        return ip;
    }

    /**
     * An HTTP GET as a shell command ({@code host} or {@code host port}, port 80 by default). busybox nc, not wget:
     * Debian's static busybox wget crashes on every request.
     */
    private static String http(String hostAndPort) {
        return "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + hostAndPort + (hostAndPort.contains(" ") ? "" : " 80");
    }

    /** A command in the tenant's client pod, inside its VM. */
    private static Kubectl.Result sh(Kubectl k, String tenant, String command) {
        return k.run("exec", "client", "-n", "ns-" + tenant, "--", "sh", "-c", command);
    }

    /** The same, until it succeeds: the first request may race the Service's first programming. */
    private static Kubectl.Result poll(Kubectl k, String tenant, String command) {
        return Kubectl.poll(Duration.ofSeconds(30), () -> sh(k, tenant, command), r -> r.exit() == 0);
    }

    private static String seed(String tenant, String tenantId, boolean lonely) {
        return """
                apiVersion: v1
                kind: Network
                metadata: {name: net-%1$s}
                spec: {tenantID: %2$s}
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: ns-%1$s
                  labels: {hypernetes.io/tenant: %2$s}
                spec: {network: net-%1$s}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: ns-%1$s}
                spec:
                  selector: {app: web}
                  ports: [{port: 80, targetPort: 8080}]
                ---
                %3$s
                ---
                %4$s
                """.formatted(tenant, tenantId, web(tenant, "web", "hello from " + tenant), sleeper(tenant, "client"))
                + (lonely ? "---\n" + sleeper(tenant, "lonely") : "");
    }

    private static String web(String tenant, String name, String greeting) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: ns-%s, labels: {app: web}}
                spec:
                  terminationGracePeriodSeconds: 2
                  containers:
                  - name: web
                    image: localhost/busybox:latest
                    imagePullPolicy: Never
                    command: ["sh", "-c", "mkdir -p /www && echo '%s' > /www/index.html && exec httpd -f -p 8080 -h /www"]
                    ports: [{containerPort: 8080}]
                """.formatted(name, tenant, greeting);
    }

    private static String sleeper(String tenant, String name) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: ns-%s}
                spec:
                  terminationGracePeriodSeconds: 2
                  containers:
                  - name: sh
                    image: localhost/busybox:latest
                    imagePullPolicy: Never
                    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
                """.formatted(name, tenant);
    }
}
