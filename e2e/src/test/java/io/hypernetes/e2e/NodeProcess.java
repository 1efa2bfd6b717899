package io.hypernetes.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code ./hypernetes node} as an operator starts it beside {@code up}: its own process, joined with credentials
 * minted from the cluster's data directory. The tests kill it the hard way to see the cluster notice.
 */
final class NodeProcess implements AutoCloseable {
    private static final Pattern JOINED = Pattern.compile("^Node \\S+ joined ");
    private final HypernetesProcess process;

    private NodeProcess(List<String> wrapper, List<String> args) {
        process = new HypernetesProcess(wrapper, args);
        process.await(JOINED, Duration.ofSeconds(120));
    }

    /** A node with the hollow runtime (a named fake: pods pretend to run), heartbeating every {@code leaseDuration}/4. */
    static NodeProcess hollow(Path dataDir, String name, String leaseDuration) {
        return new NodeProcess(List.of(), List.of("node", "--data-dir", dataDir.toString(), "--name", name, "--hollow", "--port", "0",
                "--node-lease-duration", leaseDuration));
    }

    /**
     * A node running pod VMs (hyperd, with a pool of one) on a stand-in machine, joined to the cluster at
     * {@code server} by this host's name, with its own kubestack whose VXLANs reach the network node (this host).
     */
    static NodeProcess vms(Path dataDir, StandInMachine machine, String name, String server, String bridge) {
        return new NodeProcess(machine.wrapper(), List.of("node", "--data-dir", dataDir.toString(), "--name", name,
                "--port", "0", "--address", machine.address, "--server", server, "--network-node", machine.hostAddress,
                "--pool-size", "1", "--bridge", bridge));
    }

    String output() {
        return process.output();
    }

    /** kill -9: the node vanishes without a word, as a crashed machine does. */
    void kill() throws InterruptedException {
        process.kill();
    }

    @Override
    public void close() {
        process.close();
    }
}
