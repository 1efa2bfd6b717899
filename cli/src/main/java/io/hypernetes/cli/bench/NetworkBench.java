package io.hypernetes.cli.bench;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import io.hypernetes.network.linux.LinuxConfig;
import io.hypernetes.network.linux.LinuxProvider;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hypernetes bench network}: what tenant networks cost on kubestack's {@code linux} provider, measured on the
 * real provider with real packets.
 *
 * <p>The provider's "hosts" are network namespaces ({@code hb-h1}, the network node with the routers, and
 * {@code hb-h2}, a compute node), joined by a veth underlay that carries VXLAN, as in the network module's
 * {@code TwoHostsTest}: the machine's own networking is not touched. Pods are <em>not VMs</em>: each is a network
 * namespace with a veth into the Network's bridge where hyperd would put a VM's tap, so the figures are the fabric's
 * (bridge, VXLAN, router namespace, nftables) without virtio or an emulated CPU in the path.
 *
 * <ol>
 *   <li>{@code createNetwork}/{@code deleteNetwork} of {@code --networks} Networks beside the one the pods use;
 *       {@code setupPod}/{@code teardownPod} of {@code --pods} pods, each as the provider call alone and as the whole
 *       plug-in (the call plus namespace, veth into the bridge, address and route; unplug: the call plus removing them).
 *   <li>Service programming: two backends serve different bodies (busybox httpd); {@code --changes} times
 *       {@code updateLoadBalancer} switches the Service to the other one, timed from the call's start until a request
 *       from the client pod gets the new body. The client is a {@link PodTraffic} JVM in the client pod probing with
 *       one TCP connection per GET, from the call's start on (so it competes for the CPUs during the call, as clients
 *       would); one probe's duration (printed) is the resolution.
 *   <li>Pod to pod, on one bridge and across the two hosts over VXLAN: {@code busybox ping} RTT (median of
 *       {@code --pings}) and TCP throughput of {@code --megabytes} MB of zeros (median of {@code --transfers}), once
 *       through {@code busybox nc} ({@code dd | busybox nc} to {@code busybox nc -l}), whose 1 KiB copies make it a
 *       floor, and once between two {@link PodTraffic} JVMs writing 64 KiB at a time, nearer the fabric's limit.
 * </ol>
 *
 * <p>Everything it makes carries the prefix {@code hb} (namespaces {@code hb-*} and the provider's routers
 * {@code hbr-*}; every device lives inside them) plus a temporary state directory, and is removed at the end, also
 * after a failure or Ctrl-C; leftovers of a run killed outright are removed when the next one starts, so run one at a
 * time. Needs root.
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Tenant network fabric on the linux provider (pods are network namespaces, not VMs): "
                + "pod and Network setup, Service change to traffic, pod-to-pod RTT and TCP throughput.")
public final class NetworkBench implements Callable<Integer> {
    @Option(names = "--pods", defaultValue = "20", description = "Pods set up and torn down (default: ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--changes", defaultValue = "50", description = "Service backend switches (default: ${DEFAULT-VALUE}).")
    int changes;

    @Option(names = "--networks", defaultValue = "5", description = "Networks created and deleted (default: ${DEFAULT-VALUE}).")
    int networks;

    @Option(names = "--pings", defaultValue = "20", description = "Pings per pod pair (default: ${DEFAULT-VALUE}).")
    int pings;

    @Option(names = "--megabytes", defaultValue = "200", description = "MB (10^6 bytes) per TCP transfer (default: ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(names = "--transfers", defaultValue = "3", description = "TCP transfers per pod pair (default: ${DEFAULT-VALUE}).")
    int transfers;

    @Spec
    CommandSpec spec;

    private static final String PREFIX = "hb";
    private static final String NODE1 = PREFIX + "-h1";
    private static final String NODE2 = PREFIX + "-h2";
    private static final String UNDERLAY1 = "192.168.253.1";
    private static final String UNDERLAY2 = "192.168.253.2";
    private static final NetworkSpec NETWORK = new NetworkSpec("bench", "uid-bench", "bench", 1,
            List.of(new NetworkSpec.Subnet("main", "10.30.0.0/16", "10.30.0.1")));
    private static final String SERVICE_IP = "10.96.0.10";
    private static final String BACKEND_A = "10.30.0.11";
    private static final String BACKEND_B = "10.30.0.12";
    private static final String CLIENT = "10.30.0.13";
    private static final String REMOTE = "10.30.0.21";
    private static final int TCP_PORT = 5001;
    private static final long COMMAND_DEADLINE_SECONDS = 60;

    private final List<Process> background = new ArrayList<>();
    private Path stateDir;
    private LinuxProvider networkNode;
    private LinuxProvider computeNode;
    private volatile boolean cleaning;
    private boolean cleaned;

    @Override
    public Integer call() throws Exception {
        check(pods, 1, 2000, "--pods");
        check(changes, 1, 10_000, "--changes");
        check(networks, 1, 50, "--networks");
        check(pings, 1, 1000, "--pings");
        check(megabytes, 1, 100_000, "--megabytes");
        check(transfers, 1, 100, "--transfers");
        if (!run("id", "-u").strip().equals("0")) {
            throw new IllegalStateException("needs root: it makes network namespaces, bridges, VXLAN and nftables");
        }
        System.out.printf("network bench: kubestack linux provider, %d cores, kernel %s, load %s%n",
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(),
                String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).strip().split(" "), 3)));
        System.out.println("pods are network namespaces with a veth into the Network's bridge (where hyperd puts a VM's tap),"
                + " not VMs: the figures are the fabric's (bridge, VXLAN, router netns, nftables), without virtio or TCG");
        System.out.printf("hosts: netns %s (network node) and %s (compute node), VXLAN over a veth underlay; names start with %s%n%n",
                NODE1, NODE2, PREFIX);

        removeLeftovers();
        stateDir = Files.createTempDirectory("hypernetes-bench-network");
        Thread benchThread = Thread.currentThread();
        Thread onInterrupt = new Thread(() -> {
            // Ctrl-C: stop the bench and let its finally clean up (the bench thread cannot end: once it is done,
            // picocli's System.exit waits for this hook), or do it here if the bench does not get there
            if (!cleaning) {
                benchThread.interrupt();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!cleaning && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    break;
                }
            }
            cleanup();
        });
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try {
            hosts();
            System.out.printf("%-50s %6s %9s %9s %9s%n", "figure", "count", "p50 ms", "p99 ms", "max ms");
            networks();
            pods();
            serviceChanges();
            podToPod();
        } finally {
            cleanup();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this cleanup
            }
        }
        return 0;
    }

    private void check(int value, int min, int max, String option) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), option + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    /** Two host namespaces joined by a veth underlay, a provider in each, each other's VXLAN peer. */
    private void hosts() throws NetworkException {
        addNamespace(NODE1);
        addNamespace(NODE2);
        ip(NODE1, "link add " + PREFIX + "u1 type veth peer name " + PREFIX + "u2 netns " + NODE2,
                "addr add " + UNDERLAY1 + "/24 dev " + PREFIX + "u1", "link set " + PREFIX + "u1 up");
        ip(NODE2, "addr add " + UNDERLAY2 + "/24 dev " + PREFIX + "u2", "link set " + PREFIX + "u2 up");
        networkNode = new LinuxProvider(LinuxConfig.defaults(stateDir.resolve("h1")).withPrefix(PREFIX)
                .withHostNamespace(NODE1).withUnderlayLocal(UNDERLAY1));
        computeNode = new LinuxProvider(LinuxConfig.defaults(stateDir.resolve("h2")).withPrefix(PREFIX)
                .withHostNamespace(NODE2).withUnderlayLocal(UNDERLAY2));
        networkNode.setPeers(List.of(UNDERLAY2));
        computeNode.setPeers(List.of(UNDERLAY1));
        networkNode.createNetwork(NETWORK);
    }

    /** Networks beside the pods' one, each with its router namespace, transit link and rules, created then deleted. */
    private void networks() throws NetworkException {
        Latencies created = new Latencies(networks);
        Latencies deleted = new Latencies(networks);
        for (int i = 1; i <= networks; i++) {
            NetworkSpec network = new NetworkSpec("bench-" + i, "uid-bench-" + i, "bench", 100 + i,
                    List.of(new NetworkSpec.Subnet("main", "10.40." + i + ".0/24", "10.40." + i + ".1")));
            long start = System.nanoTime();
            networkNode.createNetwork(network);
            created.record(System.nanoTime() - start);
        }
        for (int i = 1; i <= networks; i++) {
            long start = System.nanoTime();
            networkNode.deleteNetwork("bench-" + i);
            deleted.record(System.nanoTime() - start);
        }
        row("createNetwork (bridge, VXLAN, router netns, nft)", created);
        row("deleteNetwork", deleted);
    }

    /** Pods plugged in one after another on the network node, then unplugged. */
    private void pods() throws NetworkException {
        Latencies setupCall = new Latencies(pods);
        Latencies setupWhole = new Latencies(pods);
        for (int i = 0; i < pods; i++) {
            String ip = "10.30." + (1 + i / 200) + "." + (10 + i % 200);
            long start = System.nanoTime();
            PodPort port = networkNode.setupPod(podSpec("p" + i, ip));
            long called = System.nanoTime();
            attach(NODE1, "p" + i, port);
            long done = System.nanoTime();
            setupCall.record(called - start);
            setupWhole.record(done - start);
        }
        Latencies teardownCall = new Latencies(pods);
        Latencies teardownWhole = new Latencies(pods);
        for (int i = 0; i < pods; i++) {
            long start = System.nanoTime();
            networkNode.teardownPod("uid-p" + i);
            long called = System.nanoTime();
            detach(NODE1, "p" + i);
            long done = System.nanoTime();
            teardownCall.record(called - start);
            teardownWhole.record(done - start);
        }
        row("setupPod (provider call)", setupCall);
        row("setupPod + netns, veth into bridge, address", setupWhole);
        row("teardownPod (provider call)", teardownCall);
        row("teardownPod + veth and netns removed", teardownWhole);
    }

    private static PodPortSpec podSpec(String name, String ip) {
        return new PodPortSpec("bench", name, "uid-" + name, NETWORK, ip);
    }

    /**
     * The stand-in for hyperd's tap: pod namespace {@code hb-NAME} with eth0 at the port's address and default route,
     * its veth peer {@code hbpNAME} in the port's bridge on {@code host}.
     */
    private static void attach(String host, String name, PodPort port) {
        String pod = PREFIX + "-" + name;
        String link = PREFIX + "p" + name;
        addNamespace(pod);
        ip(host, "link add " + link + " mtu " + port.mtu() + " type veth peer name eth0 mtu " + port.mtu() + " netns " + pod,
                "link set " + link + " master " + port.bridge() + " up");
        ip(pod, "link set eth0 up", "addr add " + port.ip() + "/" + port.prefix() + " dev eth0",
                "route add default via " + port.gateway());
    }

    private static void detach(String host, String name) {
        run("ip", "-n", host, "link", "del", PREFIX + "p" + name);
        run("ip", "netns", "del", PREFIX + "-" + name);
    }

    private void plug(LinuxProvider provider, String host, String name, String ip) throws NetworkException {
        attach(host, name, provider.setupPod(podSpec(name, ip)));
    }

    /** A Service switched between two backends; the client pod's probe says when traffic follows. */
    private void serviceChanges() throws Exception {
        plug(networkNode, NODE1, "a", BACKEND_A);
        plug(networkNode, NODE1, "b", BACKEND_B);
        plug(networkNode, NODE1, "c", CLIENT);
        serve("a", "A");
        serve("b", "B");
        networkNode.createLoadBalancer(service(BACKEND_A));

        Path probeErrors = stateDir.resolve("probe.err");
        Process probe = start(podTraffic(PREFIX + "-c", "probe", SERVICE_IP, "80").redirectError(probeErrors.toFile()));
        Writer toProbe = new OutputStreamWriter(probe.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader fromProbe = new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8));
        awaitBody(toProbe, fromProbe, "A", probeErrors); // the probe has started and the Service works

        Latencies call = new Latencies(changes);
        Latencies follows = new Latencies(changes);
        Latencies probeCost = new Latencies(changes);
        long probes = 0;
        for (int i = 0; i < changes; i++) {
            boolean toB = i % 2 == 0;
            toProbe.write((toB ? "B" : "A") + "\n");
            toProbe.flush();
            Instant start = Instant.now();
            long startNanos = System.nanoTime();
            networkNode.updateLoadBalancer(service(toB ? BACKEND_B : BACKEND_A));
            call.record(System.nanoTime() - startNanos);
            String[] answer = awaitBody(null, fromProbe, toB ? "B" : "A", probeErrors);
            long answeredMicros = Long.parseLong(answer[0]);
            follows.record(Math.max(0, (answeredMicros - ChronoUnit.MICROS.between(Instant.EPOCH, start)) * 1000));
            long n = Long.parseLong(answer[1]);
            probes += n;
            probeCost.record(Long.parseLong(answer[2]) * 1000 / n);
        }
        toProbe.close();
        row("updateLoadBalancer (provider call)", call);
        row("Service change → client gets new backend", follows);
        System.out.printf("%-50s %6d %9.2f %9.2f %9.2f%n", "  resolution: one probe (TCP connect + GET)", probes,
                probeCost.percentileMillis(0.5), probeCost.percentileMillis(0.99), probeCost.percentileMillis(1.0));
        System.out.println("  (the client pod's probe is a JVM GETting over a new connection each time, from the call's start on;"
                + " per change its mean GET)");
        System.out.println("  (traffic follows before the call returns: the router's ruleset is loaded first, then the host's,"
                + " then the provider's state is written)");
    }

    /** A {@link PodTraffic} JVM in namespace {@code pod}. */
    private static ProcessBuilder podTraffic(String pod, String... args) {
        Path jar;
        try {
            jar = Path.of(PodTraffic.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot find the classes of " + PodTraffic.class.getName(), e);
        }
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", pod, java, "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", jar.toString(), PodTraffic.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private static LoadBalancer service(String backend) {
        return new LoadBalancer(NETWORK.name(), "bench", "web", SERVICE_IP, List.of(), List.of(
                new LoadBalancer.Port("http", "TCP", 80, 0, List.of(new LoadBalancer.Backend(backend, 80)))));
    }

    /** Asks the probe for {@code body} (when {@code toProbe} is given) and answers its reply's fields. */
    private static String[] awaitBody(Writer toProbe, BufferedReader fromProbe, String body, Path probeErrors) throws IOException {
        if (toProbe != null) {
            toProbe.write(body + "\n");
            toProbe.flush();
        }
        String line = fromProbe.readLine();
        if (line == null || line.startsWith("timeout")) {
            String errors = Files.exists(probeErrors) ? Files.readString(probeErrors).strip() : "";
            throw new IllegalStateException("the client pod did not get \"" + body + "\" from the Service "
                    + (line == null ? "(the probe exited: " + errors + ")" : "within 10 s (" + line + ")"));
        }
        return line.split(" ");
    }

    /** busybox httpd in pod {@code hb-NAME} serving {@code body} at /, once it answers. */
    private void serve(String name, String body) throws IOException, InterruptedException {
        Path www = Files.createDirectories(stateDir.resolve("www-" + name));
        Files.writeString(www.resolve("index.html"), body + "\n");
        String pod = PREFIX + "-" + name;
        start(new ProcessBuilder("ip", "netns", "exec", pod, "busybox", "httpd", "-f", "-p", "80", "-h", www.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD));
        await(() -> attempt(List.of("ip", "netns", "exec", pod, "sh", "-c",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc 127.0.0.1 80"), null).out().endsWith("\r\n\r\n" + body + "\n"),
                "busybox httpd in " + pod);
    }

    /** Ping RTT and TCP throughput from the client pod to a pod on its bridge and to one on the other host. */
    private void podToPod() throws Exception {
        plug(computeNode, NODE2, "d", REMOTE);
        System.out.printf("%n%-40s %13s %16s %18s%n", "pod → pod, from " + CLIENT, "ping RTT ms", "busybox nc MB/s",
                "TCP 64 KiB MB/s");
        System.out.printf("%-40s %13s %35s%n", "", "median of " + pings, "median of " + transfers + " × " + megabytes + " MB");
        pair("same host, one bridge (" + BACKEND_A + ")", "a", BACKEND_A);
        pair("across hosts, VXLAN (" + REMOTE + ")", "d", REMOTE);
    }

    private void pair(String what, String to, String address) throws Exception {
        String from = PREFIX + "-c";
        await(() -> attempt(List.of("ip", "netns", "exec", from, "busybox", "ping", "-c1", "-W1", address), null).exit() == 0,
                from + " reaching " + address);
        String out = run("ip", "netns", "exec", from, "busybox", "ping", "-c", Integer.toString(pings), "-i", "0.2", "-W", "2", address);
        List<Double> rtts = new ArrayList<>();
        Matcher time = Pattern.compile("time=([0-9.]+) ms").matcher(out);
        while (time.find()) {
            rtts.add(Double.parseDouble(time.group(1)));
        }
        if (rtts.isEmpty()) {
            throw new IllegalStateException("no ping from " + from + " to " + address + " came back: " + out.strip());
        }
        List<Double> busybox = new ArrayList<>();
        for (int i = 0; i < transfers; i++) {
            busybox.add(busyboxTransfer(from, PREFIX + "-" + to, address));
        }
        System.out.printf("%-40s %13.3f %16.0f %18.0f%n", what + (rtts.size() < pings ? " (" + rtts.size() + " replies)" : ""),
                median(rtts), median(busybox), median(streams(from, PREFIX + "-" + to, address)));
    }

    /** MB/s of {@code --transfers} streams of {@code --megabytes} MB between two {@link PodTraffic} JVMs. */
    private List<Double> streams(String from, String to, String address) throws IOException {
        Path errors = stateDir.resolve("traffic.err");
        Process sink = start(podTraffic(to, "sink", Integer.toString(TCP_PORT + 1)).redirectError(errors.toFile()));
        try {
            BufferedReader sinkSays = new BufferedReader(new InputStreamReader(sink.getInputStream(), StandardCharsets.UTF_8));
            if (!"listening".equals(sinkSays.readLine())) {
                throw new IllegalStateException("the sink in " + to + " did not start: " + Files.readString(errors).strip());
            }
            Ran sent = attempt(podTraffic(from, "send", address, Integer.toString(TCP_PORT + 1),
                    Long.toString(megabytes * 1_000_000L), Integer.toString(transfers)).command(), null,
                    transfers * transferDeadlineSeconds());
            List<Double> rates = new ArrayList<>();
            for (String line : sent.out().strip().split("\n")) {
                if (sent.exit() == 0 && line.matches("\\d+")) {
                    rates.add(megabytes / (Long.parseLong(line) / 1e6));
                }
            }
            if (sent.exit() != 0 || rates.size() != transfers) {
                throw new IllegalStateException("streaming from " + from + " to " + address + " failed: " + sent.out().strip());
            }
            return rates;
        } finally {
            sink.destroyForcibly();
        }
    }

    /** MB/s of {@code --megabytes} MB of zeros sent with busybox nc from one pod to a busybox nc listener in another. */
    private double busyboxTransfer(String from, String to, String address) throws Exception {
        Process receiver = start(new ProcessBuilder("ip", "netns", "exec", to, "busybox", "nc", "-l", "-p", Integer.toString(TCP_PORT))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD));
        // busybox nc listens on IPv6's any address (tcp6), which takes IPv4 as well
        Pattern listening = Pattern.compile(String.format(":%04X 0+:0000 0A", TCP_PORT));
        await(() -> listening.matcher(attempt(List.of("ip", "netns", "exec", to, "cat", "/proc/net/tcp", "/proc/net/tcp6"), null)
                .out()).find(), "busybox nc listening in " + to);
        long start = System.nanoTime();
        Process sender = new ProcessBuilder("ip", "netns", "exec", from, "sh", "-c", "dd if=/dev/zero bs=1000000 count="
                + megabytes + " 2>/dev/null | busybox nc " + address + " " + TCP_PORT).redirectErrorStream(true).start();
        sender.getOutputStream().close();
        boolean received = receiver.waitFor(transferDeadlineSeconds(), TimeUnit.SECONDS);
        long elapsed = System.nanoTime() - start;
        boolean sent = sender.waitFor(COMMAND_DEADLINE_SECONDS, TimeUnit.SECONDS);
        String senderOutput = sent ? new String(sender.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip() : "";
        if (!received || !sent || receiver.exitValue() != 0 || sender.exitValue() != 0) {
            receiver.destroyForcibly();
            sender.destroyForcibly();
            throw new IllegalStateException("sending " + megabytes + " MB from " + from + " to " + address + " failed"
                    + (senderOutput.isEmpty() ? "" : ": " + senderOutput));
        }
        return megabytes / (elapsed / 1e9);
    }

    /** One transfer may take a minute, or longer at 1 MB/s. */
    private long transferDeadlineSeconds() {
        return Math.max(COMMAND_DEADLINE_SECONDS, megabytes);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void row(String what, Latencies l) {
        System.out.printf("%-50s %6d %9.2f %9.2f %9.2f%n", what, l.count(), l.percentileMillis(0.5),
                l.percentileMillis(0.99), l.percentileMillis(1.0));
    }

    // --- processes and namespaces ---

    /** What a finished command printed (stdout and stderr together) and its exit status. */
    private record Ran(int exit, String out) {
    }

    private Process start(ProcessBuilder builder) throws IOException {
        Process process = builder.start();
        synchronized (background) {
            background.add(process);
        }
        return process;
    }

    /** Runs a command to its end; any exit but 0 fails the bench. */
    private static String run(String... argv) {
        Ran ran = attempt(List.of(argv), null);
        if (ran.exit() != 0) {
            throw new IllegalStateException("`" + String.join(" ", argv) + "` failed (exit " + ran.exit() + "): " + ran.out().strip());
        }
        return ran.out();
    }

    /** {@code ip -n NAMESPACE -batch -}: several {@code ip} commands in one process. */
    private static void ip(String namespace, String... commands) {
        List<String> argv = List.of("ip", "-n", namespace, "-batch", "-");
        Ran ran = attempt(argv, String.join("\n", commands) + "\n");
        if (ran.exit() != 0) {
            throw new IllegalStateException("`" + String.join(" ", argv) + "` with " + Arrays.toString(commands)
                    + " failed (exit " + ran.exit() + "): " + ran.out().strip());
        }
    }

    private static Ran attempt(List<String> argv, String input) {
        return attempt(argv, input, COMMAND_DEADLINE_SECONDS);
    }

    private static Ran attempt(List<String> argv, String input, long deadlineSeconds) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            try (var in = process.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (InputStream in = process.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // the process is gone; what it printed so far is what there is
                }
            });
            if (!process.waitFor(deadlineSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("`" + String.join(" ", argv) + "` did not finish within " + deadlineSeconds + " s");
            }
            reader.join(5_000);
            synchronized (out) {
                return new Ran(process.exitValue(), out.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run `" + String.join(" ", argv) + "`", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running `" + String.join(" ", argv) + "`");
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not happen within 10 s");
            }
            Thread.sleep(20);
        }
    }

    private static void addNamespace(String name) {
        run("ip", "netns", "add", name);
        run("ip", "-n", name, "link", "set", "lo", "up");
    }

    /**
     * Kills what runs in the bench's namespaces and deletes them: pods, hosts and the provider's routers. Every device
     * the bench or the provider made lives in one of them, so nothing else is left.
     */
    private static void removeLeftovers() {
        for (String name : ownNamespaces()) {
            for (String pid : attempt(List.of("ip", "netns", "pids", name), null).out().split("\\s+")) {
                if (!pid.isBlank()) {
                    attempt(List.of("kill", "-9", pid), null);
                }
            }
            attempt(List.of("ip", "netns", "del", name), null);
        }
    }

    private static List<String> ownNamespaces() {
        try (Stream<Path> entries = Files.list(Path.of("/run/netns"))) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(PREFIX + "-") || n.startsWith(PREFIX + "r-")).sorted().toList();
        } catch (IOException e) {
            return List.of(); // no /run/netns: no namespaces
        }
    }

    /** Once, from the bench's finally or from the shutdown hook on Ctrl-C, whichever comes first. */
    private synchronized void cleanup() {
        if (cleaned) {
            return;
        }
        cleaning = true;
        boolean interrupted = Thread.interrupted(); // the commands below must run to their end
        synchronized (background) {
            for (Process process : background) {
                process.destroyForcibly();
            }
        }
        removeLeftovers();
        if (stateDir != null) {
            try (Stream<Path> files = Files.walk(stateDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("bench network: could not remove " + stateDir + ": " + e.getMessage());
            }
        }
        List<String> left = ownNamespaces();
        if (!left.isEmpty()) {
            System.err.println("bench network: could not remove network namespaces " + left);
        }
        cleaned = true;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
