package io.hypernetes.kubelet.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Stock kubectl as a process: one fixed version, one kubeconfig. */
record Kubectl(String binary, Path kubeconfig) {
    static final String NEWEST = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
    static final String OLDEST = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary, "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /** Runs to the end with nothing on stdin. */
    Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs to the end with {@code stdin} piped in (null: stdin closed at once). */
    Result runWithInput(String stdin, String... args) {
        try {
            Process p = builder(args).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            StringBuilder o = new StringBuilder(), e = new StringBuilder();
            Thread ro = Thread.ofVirtual().start(() -> o.append(read(p.getInputStream())));
            Thread re = Thread.ofVirtual().start(() -> e.append(read(p.getErrorStream())));
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl " + String.join(" ", args) + " did not end within " + TIMEOUT);
            }
            ro.join();
            re.join();
            return new Result(p.exitValue(), o.toString(), e.toString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Starts a kubectl that does not end by itself (logs -f, attach), collects {@code lines} lines of its output
     * that match {@code pattern}, then kills it. Fails if they do not come within the timeout.
     */
    List<String> linesThenKill(int lines, String pattern, String... args) {
        try {
            Process p = builder(args).start();
            p.getOutputStream().close();
            BlockingQueue<String> queue = new LinkedBlockingQueue<>();
            StringBuilder err = new StringBuilder();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) queue.add(line);
                } catch (IOException ignored) {
                    // killed
                }
            });
            Thread.ofVirtual().start(() -> err.append(read(p.getErrorStream())));
            List<String> seen = new ArrayList<>();
            List<String> all = new ArrayList<>();
            Instant deadline = Instant.now().plus(TIMEOUT);
            try {
                while (seen.size() < lines) {
                    String line = queue.poll(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
                    if (line == null) {
                        throw new AssertionError("kubectl " + String.join(" ", args) + " gave only " + all + " (stderr: " + err
                                + ", alive: " + p.isAlive() + ")");
                    }
                    all.add(line);
                    if (line.matches(pattern)) seen.add(line);
                }
                return seen;
            } finally {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
