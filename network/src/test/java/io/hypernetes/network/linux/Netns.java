package io.hypernetes.network.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A network namespace made by a test: a "host" the provider builds in, or a "pod" (a netns with a veth into a bridge,
 * standing in for hyperd's VM). Closing it kills what the test started in it and deletes it.
 */
final class Netns implements AutoCloseable {
    final String name;
    private final List<Process> processes = new ArrayList<>();
    /** A pod's veth end in its host: deleted at once (a deleted namespace's devices go away only eventually). */
    private Runnable removeHostSide = () -> { };

    private Netns(String name) {
        this.name = name;
    }

    /** A fresh namespace with lo up; a leftover of the same name from a crashed run is deleted first. */
    static Netns create(String name) {
        remove(name);
        run("ip", "netns", "add", name).check();
        Netns netns = new Netns(name);
        netns.exec("ip", "link", "set", "lo", "up").check();
        return netns;
    }

    /**
     * A pod on {@code bridge} of {@code host}: netns {@code name} with eth0 (address {@code ip/prefix}, default route
     * via {@code gateway}), its veth peer {@code hostLink} in the bridge.
     */
    static Netns pod(Netns host, String bridge, String name, String hostLink, String ip, int prefix, String gateway, int mtu) {
        Netns pod = create(name);
        host.exec("ip", "link", "add", hostLink, "mtu", Integer.toString(mtu), "type", "veth", "peer", "name", "eth0",
                "netns", name).check();
        host.exec("ip", "link", "set", hostLink, "master", bridge, "up").check();
        pod.exec("ip", "link", "set", "eth0", "mtu", Integer.toString(mtu), "up").check();
        pod.exec("ip", "addr", "add", ip + "/" + prefix, "dev", "eth0").check();
        pod.exec("ip", "route", "add", "default", "via", gateway).check();
        pod.removeHostSide = () -> host.exec("ip", "link", "del", hostLink);
        return pod;
    }

    record Result(int exit, String out, String err, List<String> command) {
        Result check() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (" + exit + "): " + err + out);
            }
            return this;
        }

        boolean ok() {
            return exit == 0;
        }
    }

    Result exec(String... argv) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(Arrays.asList(argv));
        return run(command.toArray(String[]::new));
    }

    boolean ping(String address) {
        return exec("busybox", "ping", "-c1", "-W1", address).ok();
    }

    /**
     * An HTTP GET of {@code /} with {@code busybox nc} (this machine's static busybox wget crashes): the body, or null
     * when the connection failed.
     */
    String get(String address, int port) {
        Result result = http(address, port);
        if (!result.ok() || !result.out().startsWith("HTTP/1.")) {
            return null;
        }
        int body = result.out().indexOf("\r\n\r\n");
        return body < 0 ? null : result.out().substring(body + 4).strip();
    }

    Result http(String address, int port) {
        return exec("sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 " + address + " " + port);
    }

    /** Serves {@code body} at {@code /} on port 80 with busybox httpd, and waits until it answers locally. */
    void serve(String body, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("index.html"), body + "\n");
        background("busybox", "httpd", "-f", "-p", "80", "-h", dir.toString());
        poll(() -> body.equals(get("127.0.0.1", 80)), Duration.ofSeconds(10), "httpd in " + name);
    }

    /** Starts a process in the namespace that lives until {@link #close}. */
    Process background(String... argv) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(Arrays.asList(argv));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(process);
        return process;
    }

    @Override
    public void close() {
        removeHostSide.run();
        for (Process process : processes) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        remove(name);
    }

    /** Kills whatever still runs in the namespace and deletes it (its veths go with it). */
    static void remove(String name) {
        if (!Files.exists(Path.of("/run/netns", name))) {
            return;
        }
        for (String pid : run("ip", "netns", "pids", name).out().split("\\s+")) {
            if (!pid.isBlank()) {
                run("kill", "-9", pid);
            }
        }
        run("ip", "netns", "del", name);
    }

    static Result run(String... argv) {
        try {
            Process process = new ProcessBuilder(argv).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " did not finish in 30 s");
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(err, StandardCharsets.UTF_8), List.of(argv));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Polls until the condition holds, failing after the deadline. */
    static void poll(Supplier<Boolean> condition, Duration deadline, String what) {
        Instant end = Instant.now().plus(deadline);
        while (!condition.get()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError(what + " did not happen within " + deadline.toSeconds() + " s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /**
     * Devices, IPv4 routes (IPv6 link-locals come and go with DAD), the prefix's router namespaces and nft tables as
     * seen from {@code host}: compared before and after.
     */
    static String snapshot(Netns host, String prefix) {
        List<String> links = new ArrayList<>();
        for (String line : host.exec("ip", "-o", "link").check().out().split("\n")) {
            String[] fields = line.split(":\\s+");
            if (fields.length > 1) {
                links.add(fields[1].replaceAll("@.*", ""));
            }
        }
        List<String> namespaces = Arrays.stream(run("ip", "netns", "list").out().split("\n"))
                .map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith(prefix + "r-")).sorted().toList();
        return "links " + links.stream().sorted().toList() + "\nnetns " + namespaces
                + "\nroutes " + host.exec("ip", "-4", "route", "show", "table", "all").out().strip()
                + "\nnft " + host.exec("nft", "list", "tables").out().strip();
    }
}
