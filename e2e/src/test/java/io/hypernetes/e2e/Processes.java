package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Commands the end-to-end tests run on the host: the repository's scripts and what the host's networking holds. */
final class Processes {
    private Processes() {}

    /** Runs a command to its end (with what Maven built, not a rebuild) and fails the test if it fails. */
    static String run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    /**
     * {@code hypernetes hyperd --stop-all} for a node's VMs, which outlive {@code up} by design (a restart reattaches
     * them): a test leaves none behind. The node's pod CIDR is the one {@code up} and {@code node} pick by its name.
     */
    static List<String> stopVms(Path dataDir, String node, String bridge) {
        return List.of(Cluster.ROOT.resolve("hypernetes").toString(), "hyperd", "--stop-all", "--state-dir",
                dataDir.resolve("nodes/" + node + "/hyperd").toString(), "--bridge", bridge, "--pool-size", "0",
                "--pod-cidr", "10.244." + Math.floorMod(node.hashCode(), 256) + ".0/24");
    }

    /**
     * The host's links, network namespaces and nftables tables by name, and its IPv4 routes (as {@code ip route}
     * prints them): what a test compares before and after.
     */
    record HostNetworking(List<String> links, List<String> namespaces, List<String> nftTables, List<String> routes) {
    }

    /**
     * What Hypernetes holds in the host's networking: links and network namespaces named {@code hn…} (kubestack's,
     * the VMs' taps) or {@code hy…} (hyperd's bridges), nftables tables named {@code hyper…}, routes through kubestack's
     * links (transit links to the routers, external IPs). Other programs on the machine come and go as they like.
     */
    static HostNetworking hostNetworking() throws Exception {
        List<String> links = ours(linkNames(run(List.of("ip", "-o", "link", "show"))));
        List<String> namespaces = ours(run(List.of("ip", "netns", "list")).lines().map(l -> l.split("\\s+")[0]).sorted().toList());
        List<String> tables = run(List.of("nft", "list", "tables")).lines().map(l -> l.replaceFirst("^table ", ""))
                .filter(t -> t.matches("\\S+ hyper.*")).sorted().toList();
        List<String> routes = run(List.of("ip", "-4", "route", "show")).lines().map(String::strip)
                .filter(r -> r.matches(".* dev hn\\S* ?.*")).sorted().toList();
        return new HostNetworking(links, namespaces, tables, routes);
    }

    private static List<String> ours(List<String> names) {
        return names.stream().filter(n -> n.startsWith("hn") || n.startsWith("hy")).toList();
    }

    /** The link names in what {@code ip -o link show} printed, sorted, without their {@code @peer}. */
    static List<String> linkNames(String ipLinkShow) {
        return ipLinkShow.lines().map(l -> l.split(":\\s+", 3)[1].replaceAll("@.*", "")).sorted().toList();
    }
}
