package io.hypernetes.network.linux;

import io.hypernetes.network.NetworkException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code ip}, {@code bridge}, {@code nft}, {@code sysctl} in the host namespace or in a router namespace, each
 * with a deadline. A command that fails or overruns is a {@link NetworkException} of reason UNAVAILABLE naming the
 * command and its stderr: the host could not do it now, and the caller's retry may succeed.
 */
final class Shell {
    private final Optional<String> hostNamespace;
    private final Duration timeout;

    Shell(Optional<String> hostNamespace, Duration timeout) {
        this.hostNamespace = hostNamespace;
        this.timeout = timeout;
    }

    /** What a finished command printed. */
    record Result(int exit, String stdout, String stderr) {
        boolean ok() {
            return exit == 0;
        }
    }

    /** Runs in the host namespace; fails unless the command exits 0. */
    String host(String... argv) throws NetworkException {
        return run(inHost(List.of(argv)), null, true).stdout();
    }

    /** Runs in the host namespace and returns whatever happened (for probes and best-effort removals). */
    Result hostTry(String... argv) throws NetworkException {
        return run(inHost(List.of(argv)), null, false);
    }

    /** Feeds {@code input} to a host-namespace command's stdin ({@code nft -f -}). */
    String hostInput(String input, String... argv) throws NetworkException {
        return run(inHost(List.of(argv)), input, true).stdout();
    }

    /** Runs in a named network namespace (a router). Named namespaces are global, so no host namespace wraps it. */
    String in(String namespace, String... argv) throws NetworkException {
        return run(inNamespace(namespace, List.of(argv)), null, true).stdout();
    }

    Result inTry(String namespace, String... argv) throws NetworkException {
        return run(inNamespace(namespace, List.of(argv)), null, false);
    }

    String inInput(String namespace, String input, String... argv) throws NetworkException {
        return run(inNamespace(namespace, List.of(argv)), input, true).stdout();
    }

    /**
     * Runs in the machine's own namespace: {@code ip netns add/del}, whose bind mounts under /run/netns must be made
     * outside {@code ip netns exec}'s private mount namespace to be seen by anyone else.
     */
    String global(String... argv) throws NetworkException {
        return run(List.of(argv), null, true).stdout();
    }

    Result globalTry(String... argv) throws NetworkException {
        return run(List.of(argv), null, false);
    }

    private List<String> inHost(List<String> argv) {
        return hostNamespace.map(ns -> inNamespace(ns, argv)).orElse(argv);
    }

    private static List<String> inNamespace(String namespace, List<String> argv) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        command.addAll(argv);
        return command;
    }

    private Result run(List<String> command, String input, boolean mustSucceed) throws NetworkException {
        String shown = String.join(" ", command);
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "cannot run `" + shown + "`: " + e.getMessage(), e);
        }
        CompletableFuture<String> stdout = drain(process.getInputStream());
        CompletableFuture<String> stderr = drain(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the command exited without reading: its exit status and stderr say why
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new NetworkException(NetworkException.Reason.UNAVAILABLE,
                        "`" + shown + "` did not finish within " + timeout.toSeconds() + " s");
            }
            Result result = new Result(process.exitValue(), stdout.get(timeout.toMillis(), TimeUnit.MILLISECONDS),
                    stderr.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
            if (mustSucceed && !result.ok()) {
                throw failed(shown, result);
            }
            return result;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "interrupted while running `" + shown + "`", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "cannot read the output of `" + shown + "`", e);
        }
    }

    private static NetworkException failed(String shown, Result result) {
        return new NetworkException(NetworkException.Reason.UNAVAILABLE,
                "`" + shown + "` failed (exit " + result.exit() + "): " + result.stderr().strip());
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(new UncheckedIOException(e));
            }
        });
        return text;
    }
}
