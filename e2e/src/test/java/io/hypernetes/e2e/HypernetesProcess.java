package io.hypernetes.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code ./hypernetes} command as an operator runs it: its own process (with the jar as built, never rebuilt
 * underneath the tests), its output collected, and lines awaited as signs that it is up. The tests stop it as a
 * user would (SIGTERM, SIGINT) or the hard way (SIGKILL).
 */
final class HypernetesProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final List<String> output = new ArrayList<>();
    private boolean ended;

    HypernetesProcess(List<String> args) {
        this(List.of(), args);
    }

    /** Run under {@code wrapper}, e.g. {@code ip netns exec NS} to run it on another (stand-in) machine. */
    HypernetesProcess(List<String> wrapper, List<String> args) {
        this.name = "hypernetes " + args.getFirst();
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(Cluster.ROOT.resolve("hypernetes").toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (this) {
                        output.add(line);
                        notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        });
    }

    /**
     * Waits for a line matching {@code pattern} (printed already or to come) and returns its first group, or the
     * whole match when it has none. Fails, with the output so far, when the process ends or time runs out first;
     * a process that does not start is killed.
     */
    synchronized String await(Pattern pattern, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        int seen = 0;
        try {
            while (true) {
                for (; seen < output.size(); seen++) {
                    Matcher m = pattern.matcher(output.get(seen));
                    if (m.find()) return m.groupCount() > 0 ? m.group(1) : m.group();
                }
                long left = Duration.between(Instant.now(), end).toMillis();
                if (ended || left <= 0) break;
                wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
        throw new IllegalStateException(name + (ended ? " exited" : " printed no line like /" + pattern + "/ within " + timeout)
                + ":\n" + output());
    }

    synchronized String output() {
        return String.join("\n", output);
    }

    long pid() {
        return process.pid();
    }

    /** Waits for the process to end by itself; returns its exit code. */
    int exit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " still running after " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    /** Ctrl-C: SIGINT, then wait for a clean exit; returns the exit code. */
    int interrupt() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException(name + " did not stop on SIGINT");
        return process.exitValue();
    }

    /** kill -9: the process vanishes without a word, as a crashed machine does. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException(name + " survived SIGKILL");
    }

    /** SIGTERM, then SIGKILL after 30 s. */
    @Override
    public void close() {
        if (!process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
