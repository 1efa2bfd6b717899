package io.hypernetes.hyperd.vm;

import io.hypernetes.guest.AgentConnection;
import io.hypernetes.guest.AgentException;
import io.hypernetes.guest.GuestInfo;
import io.hypernetes.hyperd.net.Tap;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod's VM: a QEMU {@code microvm} process, its directory ({@code <state root>/vms/<id>}) and its QMP connection.
 *
 * <p>QEMU is started through {@code setsid} with stdin from /dev/null and stdout/stderr to {@code qemu.log}, so it
 * shares no pipe, session or signal with hyperd and outlives it; a restarted hyperd finds it with {@link #reattach}
 * from {@code vm.json}. (QEMU's own {@code -daemonize} is not used: it calls setsid after the seccomp sandbox denies it.)
 * The wrapper shell writes its own pid into the VM's cgroup before it execs QEMU, so every byte QEMU allocates is
 * accounted from the start.
 *
 * <p>Disks are SCSI targets on one {@code virtio-scsi-device}: target 0 is the scratch disk (a sparse ext4 file for
 * the containers' writable layers), targets 1.. are hot-plugged with {@link #attachDisk} (image root filesystems,
 * volumes). The guest finds a disk by its target ({@code /sys/bus/scsi/devices/H:0:N:0}) or its serial (its name).
 */
public final class Vm {
    private static final Logger log = LoggerFactory.getLogger(Vm.class);
    static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    static final Pattern DISK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,35}");
    static final int SCRATCH_TARGET = 0;
    static final int MAX_TARGET = 255;
    /** The guest's kernel command line before {@link VmConfig#kernelArgs()}. */
    static final String KERNEL_ARGS = "console=ttyS0 quiet panic=-1 reboot=t";
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final Optional<VmCgroup> cgroup;
    private final Process child;
    private volatile VmRecord record;
    private volatile Qmp qmp;
    private boolean stopped;

    private Vm(Path dir, VmRecord record, Optional<VmCgroup> cgroup, Qmp qmp, Process child) {
        this.dir = dir;
        this.record = record;
        this.cgroup = cgroup;
        this.qmp = qmp;
        this.child = child;
    }

    /**
     * Starts a VM and returns once QEMU answers QMP (the guest is still booting: see {@link #awaitReady}). Fails with
     * what is missing and how to install it when QEMU, the kernel or the initramfs is absent; on any failure nothing is
     * left behind (no process, directory or cgroup).
     */
    public static Vm boot(VmConfig config, String id, VmShape shape, Optional<Tap> nic) throws VmException {
        return boot(config, id, shape, nic, QMP_TIMEOUT);
    }

    /** As {@link #boot(VmConfig, String, VmShape, Optional)}, giving QEMU {@code startTimeout} to answer QMP. */
    static Vm boot(VmConfig config, String id, VmShape shape, Optional<Tap> nic, Duration startTimeout) throws VmException {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("VM id must match " + ID + ": " + id);
        }
        Path qemu = config.validate();
        Path dir = config.vmsDir().resolve(id);
        if (dir.toString().contains(",")) {
            throw new IllegalArgumentException("the state root may not contain a comma (QEMU's option separator): " + dir);
        }
        if (Files.exists(dir.resolve(VmRecord.FILE)) && reattach(dir).map(Vm::disconnect).isPresent()) {
            throw new VmException("VM " + id + " already runs in " + dir);
        }
        Optional<VmCgroup> cgroup = Optional.empty();
        Process process = null;
        try {
            deleteTree(dir);
            Files.createDirectories(dir);
            Path scratch = dir.resolve("scratch.ext4");
            makeScratch(scratch, config.scratchBytes());
            cgroup = VmCgroup.create(id, shape, config);
            List<String> argv = QemuCommand.argv(config, qemu, dir, shape, nic);
            List<String> launch = new ArrayList<>(List.of("setsid", "sh", "-c",
                    "for f in $HN_CGROUP_PROCS; do echo $$ > \"$f\" || exit 97; done; exec \"$@\"", "hyperd-qemu"));
            launch.addAll(argv);
            ProcessBuilder pb = new ProcessBuilder(launch).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("qemu.log").toFile()))
                    .redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            pb.environment().put("HN_CGROUP_PROCS", String.join(" ", cgroup.map(c -> c.procsFiles().stream().map(Path::toString).toList()).orElse(List.of())));
            Files.writeString(dir.resolve("qemu.cmdline"), String.join(" ", argv) + "\n");
            process = pb.start();
            Qmp qmp = connectQmp(dir, process, startTimeout);
            long pid = readPid(dir, process);
            long start = HostProcess.startTime(pid).orElseThrow(() -> new VmException("QEMU exited right after starting; "
                    + tail(dir.resolve("qemu.log"), 20)));
            VmRecord record = new VmRecord(id, pid, start, shape.vcpus(), shape.memoryBytes(), config.accelerator(),
                    nic.orElse(null), Map.of("scratch", new VmRecord.Disk(scratch.toString(), false, SCRATCH_TARGET)),
                    cgroup.map(c -> c.dirs().stream().map(Path::toString).toList()).orElse(List.of()));
            record.write(dir);
            log.info("vm {}: booted QEMU pid {} ({}, {}{})", id, pid, shape, config.accelerator(),
                    nic.map(t -> ", " + t.name() + " " + t.cidr()).orElse(", no network"));
            return new Vm(dir, record, cgroup, qmp, process);
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            String qemuLog = tail(dir.resolve("qemu.log"), 20);
            cgroup.ifPresent(VmCgroup::remove);
            deleteTreeQuietly(dir);
            if (e instanceof VmException vm) {
                throw vm;
            }
            throw new VmException("VM " + id + " did not start: " + e.getMessage()
                    + (qemuLog.isBlank() ? "" : "\nQEMU said:\n" + qemuLog), e);
        }
    }

    private static Qmp connectQmp(Path dir, Process process, Duration timeout) throws VmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path socket = dir.resolve("qmp.sock");
        while (!Files.exists(socket)) {
            if (!process.isAlive()) {
                throw new VmException("QEMU exited with status " + process.exitValue() + " before it listened on QMP:\n"
                        + tail(dir.resolve("qemu.log"), 20));
            }
            if (System.nanoTime() > deadline) {
                throw new VmException("QEMU did not create " + socket + " within " + timeout);
            }
            sleep(10);
        }
        return Qmp.connect(socket, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }

    private static long readPid(Path dir, Process process) throws IOException {
        Path pidfile = dir.resolve("qemu.pid");
        for (int i = 0; i < 500 && !Files.exists(pidfile); i++) {
            sleep(10);
        }
        return Files.exists(pidfile) ? Long.parseLong(Files.readString(pidfile).strip()) : process.pid();
    }

    /** A sparse file formatted ext4; mkfs writes only metadata (a few MiB for 4 GiB). */
    static void makeScratch(Path file, long bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        run(List.of("mkfs.ext4", "-q", "-F", "-m", "0", "-L", "scratch", file.toString()));
    }

    /**
     * The VM whose directory this is, if its QEMU still runs (same pid, same start time, still a QEMU), with QMP
     * reconnected. Empty if the process is gone; then {@link #discard} frees what it left.
     */
    public static Optional<Vm> reattach(Path vmDir) throws VmException {
        VmRecord record;
        try {
            record = VmRecord.read(vmDir);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!HostProcess.isSameQemu(record.pid(), record.pidStartTime())) {
            return Optional.empty();
        }
        Qmp qmp = Qmp.connect(vmDir.resolve("qmp.sock"), Duration.ofSeconds(10));
        VmCgroup cgroup = VmCgroup.existing(record.cgroups().stream().map(Path::of).toList());
        return Optional.of(new Vm(vmDir, record, cgroup.dirs().isEmpty() ? Optional.empty() : Optional.of(cgroup), qmp, null));
    }

    /** Frees what a VM whose QEMU is gone left behind (cgroup, tap, directory); refuses a VM that still runs. */
    public static void discard(Path vmDir) throws VmException {
        VmRecord record;
        try {
            record = VmRecord.read(vmDir);
        } catch (IOException e) {
            deleteTreeQuietly(vmDir);
            return;
        }
        if (HostProcess.isSameQemu(record.pid(), record.pidStartTime())) {
            throw new VmException("VM " + record.id() + " still runs (pid " + record.pid() + "); stop it instead");
        }
        VmCgroup.existing(record.cgroups().stream().map(Path::of).toList()).remove();
        if (record.tap() != null) {
            deleteTap(record.tap().name());
        }
        deleteTreeQuietly(vmDir);
    }

    public String id() {
        return record.id();
    }

    public long pid() {
        return record.pid();
    }

    public Path dir() {
        return dir;
    }

    public Path agentSocket() {
        return dir.resolve("agent.sock");
    }

    public Path qmpSocket() {
        return dir.resolve("qmp.sock");
    }

    public Path consoleLog() {
        return dir.resolve("console.log");
    }

    public VmShape shape() {
        return record.shape();
    }

    public Optional<Tap> tap() {
        return Optional.ofNullable(record.tap());
    }

    /** The guest NIC's MAC, if the VM has one. */
    public Optional<String> mac() {
        return tap().map(Tap::mac);
    }

    /** The QMP connection (e.g. for {@code query-status}); closed once the VM stops. */
    public Qmp qmp() {
        return qmp;
    }

    /** Hot-plugged disks by name, with their SCSI targets (the scratch disk is "scratch", target 0). */
    public Map<String, Integer> disks() {
        Map<String, Integer> out = new HashMap<>();
        record.disks().forEach((name, d) -> out.put(name, d.target()));
        return out;
    }

    /**
     * Waits for hyperstart's READY on the agent port. Fails with the last 20 console lines when the guest does not get
     * there within {@code deadline}, or when QEMU exits first.
     */
    public GuestInfo awaitReady(Duration deadline) throws VmException {
        long end = System.nanoTime() + deadline.toNanos();
        AgentException last = null;
        // Short attempts, so a guest that panicked (QEMU exits: -no-reboot, panic=-1) fails now, not at the deadline.
        while (isRunning()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            Duration attempt = Duration.ofNanos(Math.min(left, Duration.ofSeconds(2).toNanos()));
            try (AgentConnection agent = AgentConnection.connect(agentSocket(), attempt)) {
                return agent.awaitReady(Duration.ofNanos(Math.max(left, Duration.ofSeconds(1).toNanos())));
            } catch (AgentException e) {
                last = e;
            }
        }
        throw new VmException("VM " + id() + " did not become ready within " + deadline
                + (isRunning() ? "" : " (QEMU exited)") + (last == null ? "" : ": " + last.getMessage())
                + "\nlast console lines:\n" + consoleTail(20), last);
    }

    /**
     * Hot-plugs {@code file} as a SCSI disk named {@code name} (also its serial, which the guest sees) and returns its
     * target number. QMP {@code blockdev-add}, then {@code device_add scsi-hd}; undone if the second step fails.
     */
    public synchronized int attachDisk(String name, Path file, boolean readOnly) throws VmException {
        if (name == null || !DISK_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("disk name must match " + DISK_NAME + ": " + name);
        }
        if (record.disks().containsKey(name)) {
            throw new IllegalArgumentException("VM " + id() + " already has a disk named " + name);
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("disk file " + file + " does not exist or is unreadable");
        }
        requireRunning();
        int target = freeTarget();
        String node = "node-" + name;
        qmp.execute("blockdev-add", Map.of("driver", "raw", "node-name", node, "read-only", readOnly,
                "file", Map.of("driver", "file", "filename", file.toAbsolutePath().toString(), "read-only", readOnly)));
        try {
            qmp.execute("device_add", Map.of("driver", "scsi-hd", "id", "disk-" + name, "bus", "scsi0.0",
                    "scsi-id", target, "lun", 0, "drive", node, "serial", name));
        } catch (VmException e) {
            try {
                qmp.execute("blockdev-del", Map.of("node-name", node));
            } catch (VmException ignored) {
                // the original failure is what the caller needs
            }
            throw e;
        }
        Map<String, VmRecord.Disk> disks = new HashMap<>(record.disks());
        disks.put(name, new VmRecord.Disk(file.toAbsolutePath().toString(), readOnly, target));
        persist(record.withDisks(disks));
        return target;
    }

    /** Unplugs a disk: {@code device_del}, waits for QEMU's DEVICE_DELETED, then {@code blockdev-del}. */
    public synchronized void detachDisk(String name) throws VmException {
        if (!record.disks().containsKey(name) || name.equals("scratch")) {
            throw new IllegalArgumentException("VM " + id() + " has no hot-plugged disk named " + name);
        }
        requireRunning();
        String device = "disk-" + name;
        var deleted = qmp.nextEvent(e -> e.name().equals("DEVICE_DELETED") && e.field("device").equals(device));
        try {
            qmp.execute("device_del", Map.of("id", device));
            deleted.get(QMP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (VmException e) {
            deleted.cancel(false);
            throw e;
        } catch (Exception e) {
            deleted.cancel(false);
            throw new VmException("VM " + id() + ": disk " + name + " was not unplugged: " + e, e);
        }
        qmp.execute("blockdev-del", Map.of("node-name", "node-" + name));
        Map<String, VmRecord.Disk> disks = new HashMap<>(record.disks());
        disks.remove(name);
        persist(record.withDisks(disks));
    }

    private int freeTarget() throws VmException {
        var used = record.disks().values().stream().map(VmRecord.Disk::target).collect(java.util.stream.Collectors.toSet());
        for (int t = SCRATCH_TARGET + 1; t <= MAX_TARGET; t++) {
            if (!used.contains(t)) {
                return t;
            }
        }
        throw new VmException("VM " + id() + " has no free SCSI target (" + MAX_TARGET + " disks)");
    }

    private void persist(VmRecord next) throws VmException {
        try {
            next.write(dir);
            record = next;
        } catch (IOException e) {
            throw new VmException("cannot write " + dir.resolve(VmRecord.FILE) + ": " + e.getMessage(), e);
        }
    }

    private void requireRunning() throws VmException {
        if (!isRunning()) {
            throw new VmException("VM " + id() + " is not running (QEMU pid " + pid() + " is gone)");
        }
    }

    public boolean isRunning() {
        return HostProcess.isSameQemu(pid(), record.pidStartTime());
    }

    /**
     * Stops QEMU and frees everything the VM holds: waits up to {@code grace} for it to exit on its own (hyperstart
     * powers the guest off after DESTROY_POD), then asks QMP {@code quit}, then SIGKILL; removes the cgroup, the tap
     * device and the VM directory (sockets, console, scratch disk). Idempotent.
     */
    public synchronized void stop(Duration grace) {
        if (stopped) {
            return;
        }
        if (isRunning() && !awaitExit(grace)) {
            try {
                qmp.execute("quit");
            } catch (VmException ignored) {
                // QEMU may close the monitor before it replies
            }
            if (!awaitExit(Duration.ofSeconds(5))) {
                ProcessHandle.of(pid()).ifPresent(ProcessHandle::destroyForcibly);
                if (!awaitExit(Duration.ofSeconds(10))) {
                    log.warn("vm {}: QEMU pid {} survived SIGKILL", id(), pid());
                }
            }
        }
        qmp.close();
        cgroup.ifPresent(VmCgroup::remove);
        tap().ifPresent(t -> deleteTap(t.name()));
        deleteTreeQuietly(dir);
        stopped = true;
        log.info("vm {}: stopped", id());
    }

    /**
     * Closes hyperd's QMP connection and leaves QEMU running, as hyperd's exit does; {@link #reattach} connects again.
     * Returns this VM for chaining.
     */
    public Vm disconnect() {
        qmp.close();
        return this;
    }

    private boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            if (child != null) {
                try {
                    child.waitFor(20, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return !isRunning();
                }
            } else {
                sleep(20);
            }
        }
        return true;
    }

    /** QEMU's resident memory (VmRSS), 0 once it is gone. */
    public long rssBytes() {
        return isRunning() ? HostProcess.rssBytes(pid()) : 0;
    }

    /** The last {@code lines} lines the guest wrote to its serial console. */
    public String consoleTail(int lines) {
        return tail(consoleLog(), lines);
    }

    static String tail(Path file, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            long from = Math.max(0, length - 64 * 1024);
            byte[] bytes = new byte[(int) (length - from)];
            raf.seek(from);
            raf.readFully(bytes);
            List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    static void deleteTap(String name) {
        if (Files.exists(Path.of("/sys/class/net", name))) {
            try {
                run(List.of("ip", "link", "del", name));
            } catch (IOException e) {
                log.warn("cannot delete tap {}: {}", name, e.getMessage());
            }
        }
    }

    static void run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void deleteTreeQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "vm " + id() + " (pid " + pid() + ", " + shape() + ")";
    }

    static OptionalLong hostTscKhz() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("cpu MHz")).findFirst()
                    .map(l -> OptionalLong.of(Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).strip()) * 1000)))
                    .orElse(OptionalLong.empty());
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
