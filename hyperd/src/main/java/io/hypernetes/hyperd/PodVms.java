package io.hypernetes.hyperd;

import static io.hypernetes.runtime.Runtimes.invalid;
import static io.hypernetes.runtime.Runtimes.notFound;
import static io.hypernetes.runtime.Runtimes.refused;

import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hypernetes.guest.AgentConnection;
import io.hypernetes.guest.AgentException;
import io.hypernetes.guest.ContainerSpec;
import io.hypernetes.guest.Disk;
import io.hypernetes.guest.FileType;
import io.hypernetes.guest.GuestProcess;
import io.hypernetes.guest.Mount;
import io.hypernetes.guest.PodConfig;
import io.hypernetes.guest.ProcessListener;
import io.hypernetes.guest.ProcessSpec;
import io.hypernetes.guest.ProcessState;
import io.hypernetes.image.Image;
import io.hypernetes.image.ImageException;
import io.hypernetes.image.ImageStore;
import io.hypernetes.hyperd.net.DefaultNetwork;
import io.hypernetes.hyperd.net.Tap;
import io.hypernetes.hyperd.net.TenantAttachment;
import io.hypernetes.hyperd.vm.Vm;
import io.hypernetes.hyperd.vm.VmConfig;
import io.hypernetes.hyperd.vm.VmPool;
import io.hypernetes.hyperd.vm.VmException;
import io.hypernetes.hyperd.vm.VmShape;
import io.hypernetes.runtime.Runtimes;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.PodNetworkAttachment;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod VMs of one node and what happens to them: the engine behind hyperd's {@code RuntimeService}.
 * A sandbox is a QEMU microvm (from the pool when one fits, booted cold otherwise) with hyperstart as PID 1; a
 * container is its image's read-only root filesystem hot-plugged as a disk plus a process tree hyperstart runs in
 * its own mount and PID namespaces.
 */
final class PodVms implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodVms.class);
    static final Duration READY = Duration.ofSeconds(60);
    static final long MAX_VOLUME_BYTES = 64L << 20;

    private final Path root;
    private final VmConfig vmConfig;
    private final VmPool pool;
    private final DefaultNetwork network;
    private final ImageStore images;
    private final Map<String, PodVm> sandboxes = new ConcurrentHashMap<>();
    private final Map<String, PodContainer> containers = new ConcurrentHashMap<>();

    PodVms(Path root, VmConfig vmConfig, VmPool pool, DefaultNetwork network, ImageStore images) {
        this.root = root;
        this.vmConfig = vmConfig;
        this.pool = pool;
        this.network = network;
        this.images = images;
    }

    static String newId() {
        byte[] bytes = new byte[32];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    Path sandboxDir(String id) {
        return root.resolve("sandboxes").resolve(id);
    }

    // ---- sandboxes

    PodVm run(PodSandboxConfig config) {
        PodSandboxMetadata metadata = config.getMetadata();
        synchronized (sandboxes) {
            for (PodVm other : sandboxes.values()) {
                if (other.config.getMetadata().equals(metadata)) {
                    throw Status.ALREADY_EXISTS.withDescription("pod sandbox " + metadata.getNamespace() + "/" + metadata.getName()
                            + " (uid " + metadata.getUid() + ", attempt " + metadata.getAttempt() + ") already exists as \""
                            + other.id + "\"; remove it or raise the attempt").asRuntimeException();
                }
            }
        }
        Optional<TenantAttachment> attachment = attachment(config);
        if (attachment.isPresent()) {
            // refused before a VM is taken: a pooled VM handed back costs a boot to replace
            if (!network.ready()) {
                throw refused("pod " + metadata.getNamespace() + "/" + metadata.getName() + " needs tenant network "
                        + config.getNetwork() + " but this node's pod VMs get no NIC: " + network.notReadyReason());
            }
            requireBridge(metadata, attachment.get());
        }
        String id = newId();
        PodVm pod = new PodVm(id, config, Runtimes.now(), sandboxDir(id));
        VmShape shape = VmShape.forPod(config.getResources().getCpuMillis(), config.getResources().getMemoryBytes());
        String coldVmId = id.substring(0, 16);
        Vm vm = null;
        AgentConnection agent = null;
        long started = System.nanoTime();
        try {
            Files.createDirectories(pod.dir);
            Optional<Vm> pooled = pool.take(shape);
            if (pooled.isPresent()) {
                vm = pooled.get();
            } else {
                vm = Vm.boot(vmConfig, coldVmId, shape, network.attach(coldVmId));
                vm.awaitReady(READY);
            }
            Tap tap = vm.tap().orElse(null);
            int mtu = 0;
            if (attachment.isPresent()) {
                if (tap == null) {
                    throw refused("pod VM " + vm.id() + " has no NIC to put on tenant network " + config.getNetwork());
                }
                requireBridge(metadata, attachment.get()); // it may have gone while the VM booted
                tap = attachment.get().plug(tap);
                mtu = attachment.get().effectiveMtu();
                network.releaseAddress(vm.id()); // the tap stays: it is the VM's, on the tenant bridge now
            }
            agent = AgentConnection.connect(vm.agentSocket(), Duration.ofSeconds(10));
            agent.startPod(podConfig(config, tap, mtu));
            long millis = (System.nanoTime() - started) / 1_000_000;
            Map<String, String> info = new LinkedHashMap<>();
            info.put("vm", "qemu pid " + vm.pid() + ", " + shape.vcpus() + " vCPU, " + (shape.memoryBytes() >> 20) + " MiB, "
                    + vmConfig.accelerator() + (pooled.isPresent() ? ", from the pool" : ", cold boot") + ", ready in " + millis + " ms");
            info.put("vmDir", vm.dir().toString());
            info.put("qemuPid", Long.toString(vm.pid()));
            if (tap != null) {
                info.put("network", attachment.map(a -> "tenant network " + config.getNetwork() + ": " + a).orElse("default network")
                        + ", tap " + vm.tap().map(Tap::name).orElse("") + ", mac " + tap.mac());
            }
            pod.running(vm, agent, tap, info);
            sandboxes.put(id, pod);
            save(pod);
            log.info("sandbox {} for pod {}/{}: {}", id, metadata.getNamespace(), metadata.getName(), info.get("vm"));
            return pod;
        } catch (RuntimeException | IOException | AgentException e) {
            String console = vm != null && !(e instanceof VmException) ? vm.consoleTail(20) : "";
            if (agent != null) agent.close();
            if (vm != null) {
                vm.stop(Duration.ZERO); // deletes its tap, wherever it was plugged
                releaseAddress(vm.id());
            } else {
                releaseAddress(coldVmId); // the boot failed after its tap was made
            }
            deleteTree(pod.dir);
            if (e instanceof StatusRuntimeException s) throw s;
            throw Status.UNAVAILABLE.withDescription("pod VM for " + metadata.getNamespace() + "/" + metadata.getName()
                    + " did not start: " + e.getMessage() + (console.isBlank() ? "" : "\nguest console:\n" + console)).asRuntimeException();
        }
    }

    /** Gives a VM's default-network address back and deletes its tap there. Idempotent. */
    private void releaseAddress(String vmId) {
        releaseAddress(vmId, true);
    }

    private void releaseAddress(String vmId, boolean deleteTap) {
        try {
            if (deleteTap) {
                network.release(vmId);
            } else {
                network.releaseAddress(vmId);
            }
        } catch (IOException e) {
            log.warn("vm {}: releasing its address: {}", vmId, e.getMessage());
        }
    }

    /**
     * The sandbox's tenant Network attachment, checked: empty for a pod on the default network, INVALID_ARGUMENT for
     * one that cannot be right (nothing has been created yet).
     */
    static Optional<TenantAttachment> attachment(PodSandboxConfig config) {
        if (!config.hasAttachment()) return Optional.empty();
        PodNetworkAttachment a = config.getAttachment();
        try {
            return Optional.of(new TenantAttachment(a.getBridge(), a.getIp(), a.getPrefixLength(), a.getGateway(), a.getMtu()));
        } catch (IllegalArgumentException e) {
            throw invalid("config.attachment: " + e.getMessage());
        }
    }

    private static void requireBridge(PodSandboxMetadata metadata, TenantAttachment attachment) {
        if (!attachment.bridgeExists()) {
            throw refused("pod " + metadata.getNamespace() + "/" + metadata.getName() + ": bridge " + attachment.bridge()
                    + " of its tenant network does not exist on this node (kubestack's setupPod creates it)");
        }
    }

    private static PodConfig podConfig(PodSandboxConfig config, Tap tap, int mtu) {
        String hostname = config.getHostname().isEmpty() ? config.getMetadata().getName() : config.getHostname();
        if (hostname.length() > 63) hostname = hostname.substring(0, 63);
        String hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                + (tap == null ? "" : tap.ip() + "\t" + hostname + "\n");
        return new PodConfig(hostname, config.getDnsConfig().getServersList(), config.getDnsConfig().getSearchesList(),
                config.getDnsConfig().getOptionsList(), hosts,
                Optional.ofNullable(tap).map(t -> new PodConfig.Interface("eth0", t.ip(), t.prefix(), Optional.of(t.gateway()), mtu)));
    }

    PodVm sandbox(String id) {
        PodVm pod = sandboxes.get(id);
        if (pod == null) throw notFound("pod sandbox", id);
        return pod;
    }

    List<PodVm> sandboxes() {
        List<PodVm> list = new ArrayList<>(sandboxes.values());
        list.sort((a, b) -> Long.compare(a.createdAt, b.createdAt));
        return list;
    }

    /**
     * Stops every container at once and the VM; the VM deletes its tap (on the default bridge or a tenant one) and a
     * default-network address goes back to the network. Idempotent.
     */
    void stop(PodVm pod) {
        for (PodContainer c : pod.containerList()) {
            c.abandon("its sandbox stopped");
        }
        PodVm.Held held = pod.release();
        if (held.agent() != null) {
            try {
                held.agent().destroyPod();
            } catch (AgentException | RuntimeException e) {
                log.debug("sandbox {}: destroy: {}", pod.id, e.getMessage());
            }
            held.agent().close();
        }
        if (held.vm() != null) {
            held.vm().stop(Duration.ofSeconds(5));
            releaseAddress(held.vm().id());
        }
        for (PodContainer c : pod.containerList()) {
            c.lost(137, "its pod VM stopped");
        }
        save(pod);
    }

    void removeSandbox(String id) {
        PodVm pod = sandboxes.get(id);
        if (pod == null) return;
        stop(pod);
        for (PodContainer c : pod.containerList()) {
            containers.remove(c.id);
            c.log.delete();
        }
        sandboxes.remove(id);
        deleteTree(pod.dir);
    }

    // ---- containers

    PodContainer create(PodVm pod, ContainerConfig config) {
        if (!pod.ready()) throw refused("pod sandbox \"" + pod.id + "\" is not ready: create a new one");
        for (PodContainer other : pod.containerList()) {
            if (other.config.getMetadata().equals(config.getMetadata())) {
                throw Status.ALREADY_EXISTS.withDescription("container " + config.getMetadata().getName() + " (attempt "
                        + config.getMetadata().getAttempt() + ") already exists in sandbox \"" + pod.id + "\" as \"" + other.id + "\"").asRuntimeException();
            }
        }
        Image image = images.find(config.getImage())
                .orElseThrow(() -> notFound("image", config.getImage() + "\" (pull it first"));
        Launch launch;
        try {
            launch = Launch.of(config, image.config());
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        String id = newId();
        AgentConnection agent = pod.agent();
        Vm vm = pod.vm();
        try {
            List<Mount> mounts = new ArrayList<>();
            for (io.hypernetes.runtime.v1.Mount m : config.getMountsList()) {
                if (!m.getVolumeId().isEmpty()) {
                    throw invalid("mount " + m.getContainerPath() + ": block volumes (volume_id) are not supported by this hyperd yet");
                }
                mounts.add(new Mount(new Mount.VolumeSource(copyIn(pod, agent, Path.of(m.getHostPath()))), m.getContainerPath(), m.getReadonly()));
            }
            Path rootfs = images.rootfs(image);
            int target = vm.attachDisk(diskName(id), rootfs, true);
            agent.newContainer(new ContainerSpec(id, new Disk(target, "ext4"), mounts));
        } catch (ImageException | AgentException | IOException | IllegalArgumentException e) {
            throw Status.FAILED_PRECONDITION.withDescription("container " + config.getMetadata().getName() + ": " + e.getMessage()).asRuntimeException();
        }
        PodContainer c = new PodContainer(id, pod.id, config, image.id(), launch, Runtimes.now(),
                new ContainerLogFile(pod.dir.resolve("logs").resolve(id + ".log")), () -> save(pod));
        synchronized (pod) {
            pod.containers.put(id, c);
        }
        containers.put(id, c);
        save(pod);
        return c;
    }

    /**
     * Copies a node directory (a ConfigMap, Secret, downwardAPI or emptyDir volume the node agent wrote) into the
     * guest once per pod, and answers its name there. Nothing of the host's filesystem is shared into the VM.
     */
    private String copyIn(PodVm pod, AgentConnection agent, Path hostPath) throws AgentException {
        String name = "v" + Integer.toHexString(hostPath.toString().hashCode()) + "-" + sanitize(hostPath.getFileName().toString());
        synchronized (pod.volumes) {
            if (pod.volumes.contains(name)) return name;
            if (!Files.isDirectory(hostPath, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("host path " + hostPath + " is not a directory on the node");
            }
            long[] bytes = {0};
            try (Stream<Path> walk = Files.walk(hostPath)) {
                for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                    if (p.equals(hostPath)) continue;
                    String rel = hostPath.relativize(p).toString();
                    int mode = mode(p);
                    if (Files.isSymbolicLink(p)) {
                        agent.writeFile(name, rel, 0777, FileType.SYMLINK, Files.readSymbolicLink(p).toString().getBytes());
                    } else if (Files.isDirectory(p)) {
                        agent.writeFile(name, rel, mode, FileType.DIRECTORY, new byte[0]);
                    } else if (Files.isRegularFile(p)) {
                        byte[] content = Files.readAllBytes(p);
                        bytes[0] += content.length;
                        if (bytes[0] > MAX_VOLUME_BYTES) {
                            throw new IllegalArgumentException("volume " + hostPath + " is larger than " + (MAX_VOLUME_BYTES >> 20) + " MiB");
                        }
                        agent.writeFile(name, rel, mode, FileType.FILE, content);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("copying " + hostPath + " into the pod VM: " + e.getMessage(), e);
            }
            pod.volumes.add(name);
            return name;
        }
    }

    private static int mode(Path p) throws IOException {
        int mode = 0;
        for (PosixFilePermission perm : Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) {
            mode |= 1 << (8 - perm.ordinal());
        }
        return mode;
    }

    private static String sanitize(String name) {
        String s = name.replaceAll("[^A-Za-z0-9_.-]", "_");
        return s.length() > 40 ? s.substring(0, 40) : s;
    }

    /** A container's root filesystem disk: QEMU node names are short, a prefix of the id is unique enough. */
    private static String diskName(String containerId) {
        return "ctr-" + containerId.substring(0, 16);
    }

    PodContainer container(String id) {
        PodContainer c = containers.get(id);
        if (c == null) throw notFound("container", id);
        return c;
    }

    List<PodContainer> containers() {
        List<PodContainer> list = new ArrayList<>(containers.values());
        list.sort((a, b) -> Long.compare(a.createdAt, b.createdAt));
        return list;
    }

    void start(PodContainer c) {
        PodVm pod = sandbox(c.sandboxId);
        synchronized (c) {
            if (c.state() != io.hypernetes.runtime.v1.ContainerState.CONTAINER_CREATED) {
                throw refused("container \"" + c.id + "\" is " + c.state().name().substring("CONTAINER_".length()).toLowerCase()
                        + "; only a created container can be started");
            }
            if (!pod.ready()) throw refused("pod sandbox \"" + pod.id + "\" is not ready");
            Launch l = c.launch;
            ProcessSpec spec = new ProcessSpec(c.id, true, l.args(), l.env(), l.workingDir(), l.user(),
                    c.config.getTty(), c.config.getStdin(), c.config.getTty() ? 80 : 0, c.config.getTty() ? 24 : 0);
            try {
                c.started(pod.agent().startProcess(spec, c));
            } catch (AgentException e) {
                c.failedToStart((int) e.code(), e.getMessage());
                throw Status.FAILED_PRECONDITION.withDescription("failed to start container " + c.config.getMetadata().getName()
                        + ": " + e.getMessage()).asRuntimeException();
            }
        }
    }

    /** SIGTERM (or the image's stop signal), {@code timeoutSeconds}, then SIGKILL. Idempotent. */
    void stop(PodContainer c, long timeoutSeconds) throws InterruptedException {
        c.abandon("stopped before it started");
        GuestProcess main = c.main();
        if (main == null) return;
        try {
            main.signal(15);
            if (!c.awaitExit(timeoutSeconds * 1000)) {
                main.signal(9);
                c.awaitExit(10_000);
            }
        } catch (AgentException | UncheckedIOException e) {
            log.debug("container {}: stop: {}", c.id, e.getMessage());
        }
    }

    void removeContainer(String id) throws InterruptedException {
        PodContainer c = containers.get(id);
        if (c == null) return;
        stop(c, 0);
        PodVm pod = sandboxes.get(c.sandboxId);
        if (pod != null) {
            AgentConnection agent = pod.agent();
            Vm vm = pod.vm();
            try {
                if (agent != null) agent.removeContainer(id);
                if (vm != null) vm.detachDisk(diskName(id));
            } catch (AgentException | IOException | RuntimeException e) {
                log.warn("container {}: cleaning up in its pod VM: {}", id, e.getMessage());
            }
            synchronized (pod) {
                pod.containers.remove(id);
            }
            save(pod);
        }
        containers.remove(id);
        c.log.delete();
    }

    /** Starts another process in a running container, as {@code docker exec} does (same user, env, working dir). */
    GuestProcess exec(PodContainer c, List<String> cmd, boolean tty, boolean stdin, int columns, int rows, ProcessListener listener)
            throws AgentException {
        if (!c.running()) {
            throw refused("container \"" + c.id + "\" is not running");
        }
        PodVm pod = sandbox(c.sandboxId);
        Launch l = c.launch;
        return pod.agent().startProcess(new ProcessSpec(c.id, false, cmd, l.env(), l.workingDir(), l.user(), tty, stdin,
                tty ? Math.max(columns, 1) : 0, tty ? Math.max(rows, 1) : 0), listener);
    }

    // ---- persistence

    private void save(PodVm pod) {
        if (sandboxes.containsKey(pod.id) && Files.isDirectory(pod.dir)) {
            HyperdState.write(pod.dir.resolve("sandbox.json"), pod.record());
        }
    }

    /** Finds the pod VMs of a previous hyperd again: reconnects to each VM still running, resumes its containers. */
    void restore() throws IOException {
        Path dir = root.resolve("sandboxes");
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> list = Files.list(dir)) {
            for (Path d : list.toList()) {
                Path file = d.resolve("sandbox.json");
                if (!Files.isRegularFile(file)) {
                    deleteTree(d); // a sandbox that never finished starting
                    continue;
                }
                try {
                    restore(HyperdState.read(file), d);
                } catch (IOException | AgentException | RuntimeException e) {
                    log.warn("sandbox in {}: not restored: {}", d, e.toString());
                }
            }
        }
    }

    private void restore(HyperdState.SandboxRecord r, Path dir) throws IOException, AgentException {
        PodVm pod = new PodVm(r.id(), r.config(), r.createdAt(), dir);
        pod.restoredIp(r.ip());
        sandboxes.put(pod.id, pod);
        for (HyperdState.ContainerRecord cr : r.containers()) {
            Launch launch = images.find(cr.imageId()).map(i -> Launch.of(cr.config(), i.config()))
                    .orElse(new Launch(List.of("/bin/sh"), List.of(), "/", ""));
            PodContainer c = PodContainer.restore(cr, pod.id, launch, new ContainerLogFile(dir.resolve("logs").resolve(cr.id() + ".log")), () -> save(pod));
            pod.containers.put(c.id, c);
            containers.put(c.id, c);
        }
        Optional<Vm> vm = r.state().equals("SANDBOX_READY") ? Vm.reattach(Path.of(r.vmDir())) : Optional.empty();
        if (vm.isEmpty()) {
            if (!r.vmDir().isEmpty()) {
                // its QEMU is gone, its tap (persistent, possibly on a tenant bridge), cgroup and directory are not
                Path vmDir = Path.of(r.vmDir());
                Vm.discard(vmDir);
                releaseAddress(vmDir.getFileName().toString());
            }
            lose(pod, "its pod VM was gone when hyperd restarted");
            return;
        }
        AgentConnection agent;
        try {
            agent = AgentConnection.connect(vm.get().agentSocket(), Duration.ofSeconds(10));
        } catch (AgentException e) {
            // the VM runs but its guest does not answer: stopped, so the node agent makes the pod a new sandbox
            vm.get().stop(Duration.ZERO);
            releaseAddress(vm.get().id());
            lose(pod, "its guest did not answer when hyperd restarted: " + e.getMessage());
            return;
        }
        Map<Integer, ProcessState> processes = new LinkedHashMap<>();
        for (ProcessState p : agent.state()) processes.put(p.id(), p);
        pod.running(vm.get(), agent, reattachTap(pod, vm.get()), Map.of("vm", "qemu pid " + vm.get().pid() + " (reattached)"));
        for (PodContainer c : pod.containerList()) {
            if (!c.running()) continue;
            ProcessState p = processes.get(c.mainProcessId());
            if (p == null) {
                c.lost(255, "hyperstart no longer knows its process");
            } else if (!p.running()) {
                c.lost(p.exitCode(), "exited while hyperd was down");
            } else {
                c.resumed(agent.reattach(p.id(), c));
            }
        }
        save(pod);
        log.info("sandbox {}: reattached to qemu pid {}", pod.id, vm.get().pid());
    }

    /**
     * The tap of a reattached VM as its guest has it. A tenant pod's tap stays on its tenant bridge (put back there if
     * it is found elsewhere, e.g. the bridge was made again) and holds no default-network address (given back here
     * too, in case hyperd stopped between plugging and giving it back).
     */
    private Tap reattachTap(PodVm pod, Vm vm) {
        Tap tap = vm.tap().orElse(null);
        Optional<TenantAttachment> attachment;
        try {
            attachment = attachment(pod.config);
        } catch (StatusRuntimeException e) {
            log.warn("sandbox {}: its stored attachment is not valid: {}", pod.id, e.getStatus().getDescription());
            return tap;
        }
        if (tap == null || attachment.isEmpty()) return tap;
        TenantAttachment a = attachment.get();
        releaseAddress(vm.id(), false);
        if (!TenantAttachment.masterOf(tap.name()).equals(Optional.of(a.bridge()))) {
            try {
                a.plug(tap);
                log.info("sandbox {}: tap {} put back on bridge {}", pod.id, tap.name(), a.bridge());
            } catch (IOException e) {
                log.warn("sandbox {}: tap {} is not on bridge {} and cannot be put back: {}", pod.id, tap.name(), a.bridge(), e.getMessage());
            }
        }
        return a.guestSide(tap);
    }

    private void lose(PodVm pod, String why) {
        pod.notReady();
        for (PodContainer c : pod.containerList()) c.lost(255, why);
        save(pod);
        log.info("sandbox {}: not ready: {}", pod.id, why);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("removing {}: {}", dir, e.getMessage());
        }
    }

    /**
     * Leaves every pod VM running (they outlive hyperd) and closes only the connections to them: hyperstart's and
     * QEMU's monitor, which serves one client, so a new hyperd in the same process can reattach.
     */
    @Override
    public void close() {
        for (PodVm pod : sandboxes.values()) {
            AgentConnection agent = pod.agent();
            if (agent != null) agent.close();
            Vm vm = pod.vm();
            if (vm != null) vm.disconnect();
        }
    }
}
