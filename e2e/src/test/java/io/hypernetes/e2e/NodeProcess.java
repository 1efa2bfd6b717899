package io.hypernetes.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./hypernetes node} as an operator starts it beside {@code up}: its own process, joined with credentials
 * minted from the cluster's data directory. The tests kill it the hard way to see the cluster notice.
 */
final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());

    private NodeProcess(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CompletableFuture<Void> joined = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    if (line.startsWith("Node ") && line.contains(" joined ")) joined.complete(null);
                }
            } catch (IOException ignored) {
                // the process ended
            }
            joined.completeExceptionally(new IllegalStateException("hypernetes node exited: " + output()));
        });
        try {
            joined.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("hypernetes node did not join: " + output(), e);
        }
    }

    /** A node with the hollow runtime (a named fake: pods pretend to run), heartbeating every {@code leaseDuration}/4. */
    static NodeProcess hollow(Path dataDir, String name, String leaseDuration) {
        return new NodeProcess(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "node", "--data-dir", dataDir.toString(),
                "--name", name, "--hollow", "--port", "0", "--node-lease-duration", leaseDuration));
    }

    String output() {
        return String.join("\n", output);
    }

    /** kill -9: the node vanishes without a word, as a crashed machine does. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}
