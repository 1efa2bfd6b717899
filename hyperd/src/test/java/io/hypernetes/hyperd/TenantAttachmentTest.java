package io.hypernetes.hyperd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hypernetes.image.TestRegistry;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerMetadata;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.DnsConfig;
import io.hypernetes.runtime.v1.ExecSyncRequest;
import io.hypernetes.runtime.v1.ExecSyncResponse;
import io.hypernetes.runtime.v1.ImageServiceGrpc;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.PodNetworkAttachment;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PodSandboxState;
import io.hypernetes.runtime.v1.PodSandboxStatus;
import io.hypernetes.runtime.v1.PodSandboxStatusRequest;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import io.hypernetes.runtime.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A pod VM on a tenant Network, proven with real packets. The test plays kubestack's part by hand: a bridge with a
 * name of its own (no address on it) and a "router" network namespace with a veth port on that bridge holding the
 * gateway; hyperd (a pool of one VM, TCG) must move the VM's tap onto that bridge and give the guest the attachment's
 * address, route and MTU. Every device and namespace carries this run's random {@code hta…} prefix and is removed at
 * the end, as is every QEMU started under this test's state directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantAttachmentTest {
    private static final String PREFIX = "hta" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 5);
    private static final String BRIDGE = PREFIX + "b";
    private static final String ROUTER = PREFIX + "r";
    private static final String VETH = PREFIX + "v";
    private static final String DEFAULT_BRIDGE = PREFIX + "d";
    private static final String POD_IP = "10.77.0.5";
    private static final String GATEWAY = "10.77.0.1";
    private static final String OTHER_POD_IP = "10.77.0.6";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static TestRegistry registry;
    private static Path state;
    private static Hyperd.Config config;
    private static Hyperd hyperd;
    private static RuntimeEndpoint.Serving serving;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        must("ip", "link", "add", BRIDGE, "type", "bridge");
        must("ip", "link", "set", BRIDGE, "mtu", "1450", "up");
        must("ip", "netns", "add", ROUTER);
        must("ip", "link", "add", VETH, "mtu", "1450", "type", "veth", "peer", "name", PREFIX + "g", "mtu", "1450", "netns", ROUTER);
        must("ip", "link", "set", VETH, "master", BRIDGE, "up");
        must("ip", "netns", "exec", ROUTER, "ip", "addr", "add", GATEWAY + "/24", "dev", PREFIX + "g");
        must("ip", "netns", "exec", ROUTER, "ip", "link", "set", PREFIX + "g", "up");
        must("ip", "netns", "exec", ROUTER, "ip", "link", "set", "lo", "up");
        registry = TestRegistry.start();
        state = Files.createTempDirectory("hyperd-tenant");
        config = Hyperd.Config.defaults(state, "10.78." + ThreadLocalRandom.current().nextInt(256) + ".0/24")
                .withBridge(DEFAULT_BRIDGE).withPoolSize(1).withRegistries(registry.config());
        open();
        hyperd.awaitPool(1);
        ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(registry.busybox())).build());
    }

    private static void open() throws IOException {
        hyperd = Hyperd.open(config);
        serving = new RuntimeEndpoint.InProcess("hyperd-tenant-" + PREFIX).serve(hyperd.services());
        channel = new RuntimeEndpoint.InProcess("hyperd-tenant-" + PREFIX).connect();
    }

    /** hyperd exits (its VMs keep running), {@code whileDown} happens, a new one starts on the same state directory. */
    private static void restart(Runnable whileDown) throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        serving.close();
        hyperd.close();
        whileDown.run();
        open();
    }

    @AfterAll
    static void stop() throws Exception {
        List<Exception> failures = new ArrayList<>();
        Runnable[] steps = {
            () -> channel.shutdownNow(),
            () -> close(serving),
            () -> hyperd.shutdown(),
            () -> close(registry),
            () -> killQemuUnder(state),
            () -> deletePortsOf(BRIDGE),
            () -> deletePortsOf(DEFAULT_BRIDGE),
            () -> quietly("ip", "netns", "del", ROUTER),
            () -> quietly("ip", "link", "del", VETH),
            () -> quietly("ip", "link", "del", BRIDGE),
            () -> quietly("ip", "link", "del", DEFAULT_BRIDGE),
            () -> PodVms.deleteTree(state),
        };
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                failures.add(e); // a setup that failed half way leaves some of these null
            }
        }
        assertThat(links()).noneMatch(l -> l.startsWith(PREFIX));
        assertThat(failures.stream().filter(e -> !(e instanceof NullPointerException)).toList()).isEmpty();
    }

    @Test
    @Order(1)
    void badAttachmentsAreRefusedBeforeAVmIsTaken() throws Exception {
        Snapshot before = snapshot();
        List<PodNetworkAttachment.Builder> bad = List.of(
                attachment("", POD_IP, 24, GATEWAY, 1450),
                attachment("a-much-too-long-bridge", POD_IP, 24, GATEWAY, 1450),
                attachment("..", POD_IP, 24, GATEWAY, 1450),
                attachment("br;rm", POD_IP, 24, GATEWAY, 1450),
                attachment(BRIDGE, "10.77.0.256", 24, GATEWAY, 1450),
                attachment(BRIDGE, "10.77.0", 24, GATEWAY, 1450),
                attachment(BRIDGE, "", 24, GATEWAY, 1450),
                attachment(BRIDGE, "10.77.0.0", 24, GATEWAY, 1450),
                attachment(BRIDGE, "10.77.0.255", 24, GATEWAY, 1450),
                attachment(BRIDGE, POD_IP, 0, GATEWAY, 1450),
                attachment(BRIDGE, POD_IP, 31, GATEWAY, 1450),
                attachment(BRIDGE, POD_IP, 24, "10.78.0.1", 1450),
                attachment(BRIDGE, POD_IP, 24, POD_IP, 1450),
                attachment(BRIDGE, POD_IP, 24, "", 1450),
                attachment(BRIDGE, POD_IP, 24, GATEWAY, 575),
                attachment(BRIDGE, POD_IP, 24, GATEWAY, 9001),
                attachment(BRIDGE, POD_IP, 24, GATEWAY, -1));
        for (PodNetworkAttachment.Builder a : bad) {
            StatusRuntimeException e = refusal(() -> run("bad", a));
            assertThat(e.getStatus().getCode()).as("%s", a).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith("config.attachment: ");
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    @Order(2)
    void aBridgeThatIsNotThereIsAClearErrorAndLeavesNothing() throws Exception {
        Snapshot before = snapshot();
        for (String bridge : List.of(PREFIX + "x", VETH)) { // absent; a device that is no bridge
            StatusRuntimeException e = refusal(() -> run("nobridge", attachment(bridge, POD_IP, 24, GATEWAY, 1450)));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).contains("bridge " + bridge + " ", "does not exist");
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    @Order(3)
    void aPodOnATenantNetworkTalksToItsRouterAndKeepsItsPortAcrossARestart() throws Exception {
        Set<String> portsBefore = ports(BRIDGE);
        String sandbox = run("web", attachment(BRIDGE, POD_IP, 24, GATEWAY, 1450));
        PodSandboxStatus status = status(sandbox);
        assertThat(status.getNetwork().getIp()).isEqualTo(POD_IP);
        String vmId = Path.of(status.getInfoOrThrow("vmDir")).getFileName().toString();
        long qemuPid = Long.parseLong(status.getInfoOrThrow("qemuPid"));
        String tap = tapOf(status);

        // the tap is a port of the tenant bridge with its MTU, and no longer of the default one
        assertThat(master(tap)).isEqualTo(BRIDGE);
        assertThat(ports(BRIDGE)).isEqualTo(union(portsBefore, tap));
        assertThat(ports(DEFAULT_BRIDGE)).doesNotContain(tap);
        assertThat(Files.readString(Path.of("/sys/class/net", tap, "mtu")).strip()).isEqualTo("1450");
        // the default network's address went back; the tap stayed
        assertThat(defaultAssignments()).doesNotContain(vmId);

        String container = startContainer(sandbox);
        awaitTrue("the router pings the pod", () -> routerPings(POD_IP));
        awaitTrue("the pod pings its gateway", () -> exec(container, "ping", "-c1", "-W2", GATEWAY).getExitCode() == 0);
        assertThat(out(exec(container, "ip", "link", "show", "eth0"))).contains("mtu 1450");
        assertThat(out(exec(container, "ip", "-4", "addr", "show", "eth0"))).contains("inet " + POD_IP + "/24");
        assertThat(out(exec(container, "ip", "route"))).contains("default via " + GATEWAY);
        assertThat(out(exec(container, "cat", "/etc/hosts"))).contains(POD_IP + "\tweb");
        assertThat(out(exec(container, "cat", "/etc/resolv.conf"))).contains("nameserver " + GATEWAY, "search tenant.svc.cluster.local");

        // a second pod on the same Network (MTU 0: the bridge's) reaches the first across the bridge
        hyperd.awaitPool(1);
        String other = run("db", attachment(BRIDGE, OTHER_POD_IP, 24, GATEWAY, 0));
        PodSandboxStatus otherStatus = status(other);
        String otherTap = tapOf(otherStatus);
        assertThat(master(otherTap)).isEqualTo(BRIDGE);
        assertThat(Files.readString(Path.of("/sys/class/net", otherTap, "mtu")).strip()).isEqualTo("1450");
        assertThat(macOf(otherStatus)).isNotEqualTo(macOf(status));
        String otherContainer = startContainer(other);
        assertThat(out(exec(otherContainer, "ip", "link", "show", "eth0"))).contains("mtu 1450");
        awaitTrue("one pod pings the other", () -> exec(container, "ping", "-c1", "-W2", OTHER_POD_IP).getExitCode() == 0);

        // hyperd restarts, and the second pod's QEMU dies while it is down: the first pod keeps its port and address
        // (nothing plugs it back into the default bridge); the second one's tap is deleted, its sandbox not ready
        hyperd.awaitPool(1); // no boot in flight while hyperd goes away
        long otherPid = Long.parseLong(otherStatus.getInfoOrThrow("qemuPid"));
        restart(() -> ProcessHandle.of(otherPid).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        }));
        assertThat(status(other).getState()).isEqualTo(PodSandboxState.SANDBOX_NOTREADY);
        assertThat(Files.exists(Path.of("/sys/class/net", otherTap))).isFalse();
        assertThat(Files.exists(Path.of(otherStatus.getInfoOrThrow("vmDir")))).isFalse();
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(other).build());
        PodSandboxStatus again = status(sandbox);
        assertThat(again.getNetwork().getIp()).isEqualTo(POD_IP);
        assertThat(master(tap)).isEqualTo(BRIDGE);
        assertThat(ports(DEFAULT_BRIDGE)).doesNotContain(tap);
        assertThat(defaultAssignments()).doesNotContain(vmId);
        assertThat(routerPings(POD_IP)).isTrue();
        assertThat(exec(container, "ping", "-c1", "-W2", GATEWAY).getExitCode()).isZero();

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());
        assertThat(Files.exists(Path.of("/sys/class/net", tap))).isFalse();
        assertThat(ports(BRIDGE)).isEqualTo(portsBefore);
        assertThat(ProcessHandle.of(qemuPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(routerPings(POD_IP)).isFalse();
    }

    // ---- the runtime, as the node agent drives it

    private static RuntimeServiceGrpc.RuntimeServiceBlockingStub rt() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static PodNetworkAttachment.Builder attachment(String bridge, String ip, int prefix, String gateway, int mtu) {
        return PodNetworkAttachment.newBuilder().setBridge(bridge).setIp(ip).setPrefixLength(prefix).setGateway(gateway).setMtu(mtu);
    }

    private static String run(String name, PodNetworkAttachment.Builder attachment) {
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("tenant").setUid(PREFIX + "-" + name))
                .setHostname(name)
                .setNetwork("blue")
                .setAttachment(attachment)
                .setDnsConfig(DnsConfig.newBuilder().addServers(GATEWAY).addSearches("tenant.svc.cluster.local"))
                .build();
        return rt().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
    }

    private static PodSandboxStatus status(String id) {
        return rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
    }

    private static String startContainer(String sandbox) {
        ContainerConfig.Builder c = ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("sleeper"))
                .setImage(registry.busybox()).addCommand("/bin/sh").addArgs("-c")
                .addArgs("trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done").setRunAsUser(-1);
        String id = rt().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox).setConfig(c).build()).getContainerId();
        rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    private static ExecSyncResponse exec(String container, String... cmd) {
        return rt().execSync(ExecSyncRequest.newBuilder().setContainerId(container).addAllCmd(List.of(cmd)).setTimeout(10).build());
    }

    private static String out(ExecSyncResponse r) {
        assertThat(r.getExitCode()).as("exit code; stderr: %s", r.getStderr().toStringUtf8()).isZero();
        return r.getStdout().toStringUtf8();
    }

    /** The host side of a sandbox's NIC, as its VM's record names it. */
    private static String tapOf(PodSandboxStatus status) throws IOException {
        String tap = vmRecord(status).path("tap").path("name").asText();
        assertThat(tap).startsWith("hn");
        return tap;
    }

    private static String macOf(PodSandboxStatus status) throws IOException {
        return vmRecord(status).path("tap").path("mac").asText();
    }

    private static JsonNode vmRecord(PodSandboxStatus status) throws IOException {
        return JsonMapper.builder().build().readTree(Path.of(status.getInfoOrThrow("vmDir"), "vm.json").toFile());
    }

    private static StatusRuntimeException refusal(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run);
    }

    // ---- what the host shows

    /** What a refused RunPodSandbox must leave as it was: the pool's VMs, all VM directories, both bridges' ports. */
    private record Snapshot(Set<String> vmDirs, Set<String> pooled, Set<String> tenantPorts, Set<String> defaultPorts) {}

    private static Snapshot snapshot() throws IOException {
        Set<String> dirs = new HashSet<>();
        Set<String> pooled = new HashSet<>();
        try (Stream<Path> list = Files.list(state.resolve("vms"))) {
            for (Path d : list.toList()) {
                dirs.add(d.getFileName().toString());
                if (Files.exists(d.resolve("pooled"))) pooled.add(d.getFileName().toString());
            }
        }
        assertThat(pooled).hasSize(1);
        return new Snapshot(dirs, pooled, ports(BRIDGE), ports(DEFAULT_BRIDGE));
    }

    private static Set<String> ports(String bridge) throws IOException {
        try (Stream<Path> list = Files.list(Path.of("/sys/class/net", bridge, "brif"))) {
            return new HashSet<>(list.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static String master(String dev) throws IOException {
        return Files.readSymbolicLink(Path.of("/sys/class/net", dev, "master")).getFileName().toString();
    }

    /** The VMs holding default-network addresses, as network.json says. */
    private static Set<String> defaultAssignments() throws IOException {
        Set<String> vms = new HashSet<>();
        JsonMapper.builder().build().readTree(state.resolve("network").resolve("network.json").toFile())
                .path("assignments").fieldNames().forEachRemaining(vms::add);
        return vms;
    }

    private static Set<String> union(Set<String> set, String one) {
        Set<String> out = new HashSet<>(set);
        out.add(one);
        return out;
    }

    private static boolean routerPings(String ip) {
        return sh("ip", "netns", "exec", ROUTER, "busybox", "ping", "-c1", "-W2", ip).exit() == 0;
    }

    private static Set<String> links() {
        Set<String> names = new HashSet<>();
        for (String line : sh("ip", "-o", "link").out().split("\n")) {
            String[] f = line.split(": ");
            if (f.length > 1) names.add(f[1].split("@")[0]);
        }
        return names;
    }

    private static void awaitTrue(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within " + WAIT + ": " + what);
            Thread.sleep(200);
        }
    }

    // ---- commands and cleanup

    private record Result(int exit, String out) {}

    private static Result sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        }
    }

    /** A setup step that must work. */
    private static void must(String... cmd) {
        Result r = sh(cmd);
        if (r.exit() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + r.out());
    }

    private static void quietly(String... cmd) {
        sh(cmd);
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Taps of this test's VMs still on this test's bridges (a QEMU killed above leaves its persistent tap). */
    private static void deletePortsOf(String bridge) {
        try {
            ports(bridge).stream().filter(p -> p.startsWith("hn")).forEach(p -> quietly("ip", "link", "del", p));
        } catch (IOException e) {
            // no such bridge: nothing on it
        }
    }

    /** QEMU processes whose command line names this test's state directory (by pid: nothing else is touched). */
    private static void killQemuUnder(Path dir) {
        if (dir == null) return;
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu") && c.contains(dir.toString())).orElse(false))
                .forEach(p -> {
                    p.destroyForcibly();
                    p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> p).join();
                });
    }
}
