package io.hypernetes.hyperd.vm;

import io.hypernetes.guest.GuestKernel;
import io.hypernetes.guest.Initramfs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code hypernetes doctor} reports about a node's ability to run pod VMs: one finding per prerequisite, each
 * saying what was found and, when it is not fine, how to fix it. Nothing here boots a VM: the KVM finding reports
 * the decision {@link Accelerator#detect} kept, or that it has not probed yet.
 */
public final class HostCheck {
    /** Free space below which the state root is a warning (images, scratch disks) and a failure. */
    static final long WARN_FREE = 10L << 30;
    static final long FAIL_FREE = 1L << 30;

    public enum Status { OK, WARN, FAIL }

    public record Finding(String name, Status status, String detail, String fix) {
    }

    private HostCheck() {
    }

    public static List<Finding> run(VmConfig config) {
        List<Finding> out = new ArrayList<>();
        out.add(qemu(config));
        out.add(kernel(config));
        out.add(hyperstart());
        out.add(accelerator(config));
        out.add(seccomp());
        out.add(network());
        out.add(cgroups());
        out.add(disk(config.stateRoot()));
        return out;
    }

    static Finding qemu(VmConfig config) {
        var binary = config.qemuPath();
        if (binary.isEmpty()) {
            return new Finding("qemu", Status.FAIL, config.qemu() + " not found", "apt-get install qemu-system-x86");
        }
        String version = output(binary.get().toString(), "--version").lines().findFirst().orElse("?");
        boolean microvm = output(binary.get().toString(), "-M", "help").contains("microvm");
        return microvm
                ? new Finding("qemu", Status.OK, binary.get() + ": " + version + ", microvm supported", "")
                : new Finding("qemu", Status.FAIL, binary.get() + ": " + version + " has no microvm machine",
                        "install QEMU 4.2 or newer: apt-get install qemu-system-x86");
    }

    static Finding kernel(VmConfig config) {
        if (config.kernel() == null || !Files.isReadable(config.kernel())) {
            return new Finding("guest kernel", Status.FAIL, config.kernel() + " is missing", "apt-get install linux-image-cloud-amd64");
        }
        try {
            GuestKernel kernel = GuestKernel.of(config.kernel());
            return Files.isDirectory(kernel.modulesDir())
                    ? new Finding("guest kernel", Status.OK, kernel.vmlinuz() + " " + kernel.version() + ", modules in " + kernel.modulesDir(), "")
                    : new Finding("guest kernel", Status.FAIL, "no modules for " + kernel.version() + " in " + kernel.modulesDir(),
                            "apt-get install --reinstall linux-image-" + kernel.version());
        } catch (RuntimeException e) {
            return new Finding("guest kernel", Status.FAIL, config.kernel() + ": " + e.getMessage(), "apt-get install linux-image-cloud-amd64");
        }
    }

    static Finding hyperstart() {
        try {
            int size = Initramfs.hyperstart().length;
            return new Finding("hyperstart", Status.OK, "in the guest jar (" + size + " bytes)", "");
        } catch (RuntimeException e) {
            return new Finding("hyperstart", Status.FAIL, "not in the guest jar: " + e.getMessage(),
                    "rebuild the guest module (./mvnw -pl guest install)");
        }
    }

    static Finding accelerator(VmConfig config) {
        return Accelerator.cached(config)
                .map(d -> new Finding("accelerator", d.accelerator() == Accelerator.KVM ? Status.OK : Status.WARN,
                        d.accelerator() + ": " + d.reason(),
                        d.accelerator() == Accelerator.KVM ? "" : "pods run under TCG (slower boots); a host with working KVM is faster"))
                .orElseGet(() -> new Finding("accelerator", Status.WARN,
                        "not probed yet (/dev/kvm " + (Files.exists(Path.of("/dev/kvm")) ? "exists" : "absent") + ")",
                        "hyperd probes KVM at its first start and falls back to TCG"));
    }

    static Finding seccomp() {
        try {
            boolean present = Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.startsWith("Seccomp:"));
            return present ? new Finding("seccomp", Status.OK, "kernel has seccomp: QEMU runs with -sandbox on", "")
                    : new Finding("seccomp", Status.WARN, "kernel without seccomp", "run QEMU without its sandbox (VmConfig.withSandbox(false))");
        } catch (IOException e) {
            return new Finding("seccomp", Status.WARN, "cannot read /proc/self/status", "");
        }
    }

    static Finding network() {
        if (!Files.isWritable(Path.of("/dev/net/tun"))) {
            return new Finding("network", Status.WARN, "/dev/net/tun missing or not writable: pods get loopback only", "modprobe tun; run hyperd as root");
        }
        String probe = "hnprobe" + ProcessHandle.current().pid() % 100000;
        String added = output("ip", "link", "add", probe, "type", "bridge");
        boolean ok = Files.exists(Path.of("/sys/class/net", probe));
        output("ip", "link", "del", probe);
        return ok ? new Finding("network", Status.OK, "/dev/net/tun present, bridges can be created", "")
                : new Finding("network", Status.WARN, "cannot create a bridge: " + added.strip() + "; pods get loopback only",
                        "run hyperd as root (CAP_NET_ADMIN); apt-get install iproute2");
    }

    static Finding cgroups() {
        String why = VmCgroup.probe(VmCgroup.ROOT);
        return why.isEmpty()
                ? new Finding("cgroups", Status.OK, (Files.exists(VmCgroup.ROOT.resolve("cgroup.controllers")) ? "v2" : "v1")
                        + " writable: each VM's memory and CPU are limited", "")
                : new Finding("cgroups", Status.WARN, why + ": VMs run without limits", "run hyperd as root with /sys/fs/cgroup writable");
    }

    static Finding disk(Path stateRoot) {
        try {
            Path existing = stateRoot.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            long free = Files.getFileStore(existing).getUsableSpace();
            String detail = (free >> 30) + " GiB free under " + stateRoot;
            Status status = free < FAIL_FREE ? Status.FAIL : free < WARN_FREE ? Status.WARN : Status.OK;
            return new Finding("disk", status, detail, status == Status.OK ? "" : "free space under " + stateRoot);
        } catch (IOException | RuntimeException e) {
            return new Finding("disk", Status.FAIL, "cannot read free space of " + stateRoot + ": " + e.getMessage(), "");
        }
    }

    private static String output(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
