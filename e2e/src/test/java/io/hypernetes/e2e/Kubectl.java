package io.hypernetes.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** A stock kubectl binary, run against one kubeconfig. */
record Kubectl(Path binary, Path kubeconfig) {
    private static final Path SDK = Path.of("/usr/lib/google-cloud-sdk/bin");

    /** What one run printed. */
    record Result(int exit, String stdout, String stderr) {
        Result ok() {
            if (exit != 0) throw new AssertionError("kubectl exited " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr);
            return this;
        }
    }

    /** The oldest and the newest versioned kubectl the machine has (kubectl.1.27 … kubectl.1.33). */
    static List<Path> oldestAndNewest() {
        try (Stream<Path> files = Files.list(SDK)) {
            List<Path> versioned = files.filter(p -> p.getFileName().toString().matches("kubectl\\.1\\.\\d+"))
                    .sorted(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring("kubectl.1.".length()))))
                    .toList();
            if (versioned.isEmpty()) throw new IllegalStateException("no versioned kubectl in " + SDK);
            return versioned.size() == 1 ? versioned : List.of(versioned.getFirst(), versioned.getLast());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The machine's default kubectl: the first {@code kubectl} on PATH. */
    static Path onPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "kubectl");
            if (Files.isExecutable(p)) return p;
        }
        throw new IllegalStateException("no kubectl on PATH");
    }

    /** The oldest versioned kubectl the machine has. */
    static Path oldest() {
        return oldestAndNewest().getFirst();
    }

    Kubectl withKubeconfig(Path other) {
        return new Kubectl(binary, other);
    }

    Result run(String... args) {
        return run(Map.of(), null, args);
    }

    Result run(Map<String, String> env, byte[] stdin, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.add("--kubeconfig=" + kubeconfig);
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("kubectl", ".out");
            Path err = Files.createTempFile("kubectl", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            environment(pb);
            pb.environment().putAll(env);
            Process p = pb.start();
            try {
                if (stdin != null) p.getOutputStream().write(stdin);
                p.getOutputStream().close();
                if (!p.waitFor(120, TimeUnit.SECONDS)) throw new AssertionError("kubectl " + String.join(" ", args) + " timed out");
            } finally {
                if (p.isAlive()) p.destroyForcibly();
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a long-running kubectl (e.g. {@code get -w}); the caller reads its output file and destroys it. */
    Process start(Path output, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.add("--kubeconfig=" + kubeconfig);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(output.toFile()).redirectErrorStream(true);
        environment(pb);
        return pb.start();
    }

    /**
     * HOME next to the kubeconfig (kubectl's discovery cache), none of the test's {@code OS_*} variables (an exec
     * credential plugin must live on its token cache, not on a password it happened to inherit), and the plugin
     * ({@code hypernetes credential}) runs what Maven built.
     */
    private void environment(ProcessBuilder pb) {
        pb.environment().keySet().removeIf(k -> k.startsWith("OS_"));
        pb.environment().put("HOME", kubeconfig.getParent().toString());
        pb.environment().put("HYPERNETES_SKIP_BUILD", "1");
    }

    /** Runs {@code attempt} until {@code done} holds (every 250 ms), failing after {@code timeout}. */
    static Kubectl.Result poll(Duration timeout, Supplier<Result> attempt, Predicate<Result> done) {
        Instant end = Instant.now().plus(timeout);
        Result last;
        do {
            last = attempt.get();
            if (done.test(last)) return last;
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        } while (Instant.now().isBefore(end));
        throw new AssertionError("not within " + timeout + "; last: exit " + last.exit() + "\n" + last.stdout() + last.stderr());
    }
}
