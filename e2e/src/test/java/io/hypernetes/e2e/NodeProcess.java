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

    private NodeProcess(List<String> args) {
        process = new HypernetesProcess(args);
        process.await(JOINED, Duration.ofSeconds(120));
    }

    /** A node with the hollow runtime (a named fake: pods pretend to run), heartbeating every {@code leaseDuration}/4. */
    static NodeProcess hollow(Path dataDir, String name, String leaseDuration) {
        return new NodeProcess(List.of("node", "--data-dir", dataDir.toString(), "--name", name, "--hollow", "--port", "0",
                "--node-lease-duration", leaseDuration));
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
