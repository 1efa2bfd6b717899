package io.hypernetes.hyperd.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup that bounds one VM's QEMU process: {@code hypernetes/<vm id>} in the memory and cpu hierarchies (cgroup
 * v1, as on this host) or in the unified hierarchy (v2, when {@code /sys/fs/cgroup/cgroup.controllers} exists).
 *
 * <p>Memory limit = guest memory + the TCG translation cache + {@value #QEMU_OVERHEAD_MIB} MiB for QEMU itself
 * (its heap, device models, the virtio rings' bounce buffers, and its mapped binary and libraries; measured idle
 * QEMU RSS minus guest RAM is about 40 MiB here). CPU quota = the VM's vCPUs, one period each.
 *
 * <p>A host without writable cgroups gets VMs without limits: {@link #create} logs that once and returns empty.
 */
final class VmCgroup {
    private static final Logger log = LoggerFactory.getLogger(VmCgroup.class);
    /** QEMU's own memory beyond guest RAM and translation cache. */
    static final long QEMU_OVERHEAD_MIB = 96;
    static final long CPU_PERIOD_US = 100_000;
    static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static volatile boolean warned;

    /** The cgroup directories of this VM, one per hierarchy ({@code memory}, {@code cpu} under v1; one under v2). */
    private final List<Path> dirs;

    private VmCgroup(List<Path> dirs) {
        this.dirs = List.copyOf(dirs);
    }

    List<Path> dirs() {
        return dirs;
    }

    /** The files QEMU's pid is written to before it execs. */
    List<Path> procsFiles() {
        return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    static long memoryLimit(VmShape shape, VmConfig config) {
        long tcg = config.accelerator() == Accelerator.TCG ? config.tcgCacheMiB() : 0;
        return shape.memoryBytes() + ((tcg + QEMU_OVERHEAD_MIB) << 20);
    }

    /** Whether this host lets hyperd make cgroups, and which version; empty with the reason when not. */
    static String probe(Path root) {
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return Files.isWritable(root.resolve("cgroup.subtree_control")) ? "" : "cgroup v2 at " + root + " is read-only";
        }
        for (String controller : List.of("memory", "cpu")) {
            if (!Files.isDirectory(root.resolve(controller))) {
                return "no cgroup v1 " + controller + " hierarchy at " + root.resolve(controller);
            }
            if (!Files.isWritable(root.resolve(controller))) {
                return "cgroup v1 " + controller + " hierarchy at " + root.resolve(controller) + " is read-only";
            }
        }
        return "";
    }

    static Optional<VmCgroup> create(String vmId, VmShape shape, VmConfig config) {
        return create(ROOT, vmId, shape, config);
    }

    static Optional<VmCgroup> create(Path root, String vmId, VmShape shape, VmConfig config) {
        String why = probe(root);
        if (!why.isEmpty()) {
            warnOnce(why);
            return Optional.empty();
        }
        long memory = memoryLimit(shape, config);
        long quota = shape.vcpus() * CPU_PERIOD_US;
        List<Path> made = new ArrayList<>();
        try {
            if (Files.exists(root.resolve("cgroup.controllers"))) {
                Path parent = root.resolve("hypernetes");
                Files.createDirectories(parent);
                write(root.resolve("cgroup.subtree_control"), "+memory +cpu");
                write(parent.resolve("cgroup.subtree_control"), "+memory +cpu");
                Path dir = Files.createDirectories(parent.resolve(vmId));
                made.add(dir);
                write(dir.resolve("memory.max"), Long.toString(memory));
                write(dir.resolve("cpu.max"), quota + " " + CPU_PERIOD_US);
            } else {
                Path mem = Files.createDirectories(root.resolve("memory/hypernetes").resolve(vmId));
                made.add(mem);
                write(mem.resolve("memory.limit_in_bytes"), Long.toString(memory));
                Path cpu = Files.createDirectories(root.resolve("cpu/hypernetes").resolve(vmId));
                made.add(cpu);
                write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
                write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
            }
            return Optional.of(new VmCgroup(made));
        } catch (IOException e) {
            new VmCgroup(made).remove();
            warnOnce("cannot set up cgroup hypernetes/" + vmId + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** Reattaches to the cgroup a VM was given, if it still exists. */
    static VmCgroup existing(List<Path> dirs) {
        return new VmCgroup(dirs.stream().filter(Files::isDirectory).toList());
    }

    /** Removes the cgroup; the kernel refuses while a process is still in it, so this retries for a moment. */
    void remove() {
        for (Path dir : dirs) {
            for (int attempt = 0; attempt < 50 && Files.exists(dir); attempt++) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            if (Files.exists(dir)) {
                log.warn("cgroup {} still has processes; left in place", dir);
            }
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }

    private static void warnOnce(String why) {
        if (!warned) {
            warned = true;
            log.warn("VMs run without cgroup limits: {}", why);
        }
    }
}
