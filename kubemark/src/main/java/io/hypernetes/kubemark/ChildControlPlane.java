package io.hypernetes.kubemark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./hypernetes up} as a child process on a fresh data directory, loopback only, free ports: the whole
 * control plane (API server, identity, controllers, scheduler) as a user runs it, in its own JVM, so its CPU
 * seconds and peak memory are its own. Its output is kept (the last lines go into errors); {@link #close} stops it
 * as Ctrl-C would, and kills it if it does not stop within 30 s.
 */
public final class ChildControlPlane implements ControlPlane {
    private static final Pattern UP = Pattern.compile("Hypernetes is up in \\d+ ms: (https://\\S+)");

    private final Path dataDir;
    private final Process process;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final String url;

    private ChildControlPlane(Path script, Path dataDir, String javaOpts) {
        this.dataDir = dataDir;
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "up", "--data-dir", dataDir.toString(),
                "--port", "0", "--identity-port", "0", "--bind-address", "127.0.0.1", "--node", "none").redirectErrorStream(true);
        // Kubemark runs from a built jar; the child must run the same build, not rebuild a tree others are editing
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        if (javaOpts != null) pb.environment().put("HYPERNETES_JAVA_OPTS", javaOpts);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + script + " up: " + e.getMessage(), e);
        }
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("control-plane-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (output.size() > 2000) output.removeFirst();
                    output.add(line);
                    Matcher m = UP.matcher(line);
                    if (m.find()) ready.complete(m.group(1));
                }
            } catch (IOException ignored) {
                // the process ended
            }
            ready.completeExceptionally(new IllegalStateException("hypernetes up exited: " + tail()));
        });
        try {
            url = ready.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the control plane (hypernetes up) did not start: " + tail(), e);
        }
    }

    /**
     * Starts {@code script up} (the repository's {@code hypernetes}) on {@code dataDir}, which must be empty or
     * absent, and returns once it serves. {@code javaOpts}: the child JVM's options ({@code HYPERNETES_JAVA_OPTS}),
     * null to inherit.
     */
    public static ChildControlPlane start(Path script, Path dataDir, String javaOpts) throws IOException {
        if (!Files.isExecutable(script)) throw new IllegalArgumentException("cannot run " + script + ": not an executable");
        if (Files.isDirectory(dataDir)) {
            try (var entries = Files.list(dataDir)) {
                if (entries.findAny().isPresent()) throw new IllegalArgumentException(dataDir + " is not empty: Kubemark starts its control plane fresh");
            }
        }
        Files.createDirectories(dataDir);
        return new ChildControlPlane(script, dataDir, javaOpts);
    }

    public String url() {
        return url;
    }

    @Override
    public Path adminKubeconfig() {
        return dataDir.resolve("admin.kubeconfig");
    }

    @Override
    public Path nodeKubeconfig(String nodeName) {
        return ControlPlane.mintNodeKubeconfig(dataDir, url, nodeName);
    }

    @Override
    public OptionalLong pid() {
        // the script execs java, so the child's pid is the control plane JVM's
        return OptionalLong.of(process.pid());
    }

    @Override
    public String description() {
        return "hypernetes up (child process " + process.pid() + ") at " + url + ", data in " + dataDir;
    }

    private String tail() {
        synchronized (output) {
            return String.join("\n", output.subList(Math.max(0, output.size() - 30), output.size()));
        }
    }

    @Override
    public void close() {
        if (!process.isAlive()) return;
        process.destroy(); // SIGTERM: up's shutdown hook stops the components and closes the store
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
