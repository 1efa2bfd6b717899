package io.hypernetes.hyperd.vm;

import io.hypernetes.guest.GuestKernel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How hyperd boots its VMs, the same for every pod on a node.
 *
 * @param qemu            the QEMU binary: a name looked up on PATH ({@code qemu-system-x86_64} by default) or a path
 * @param kernel          the guest kernel (a bzImage, e.g. {@code GuestKernel.vmlinuz()})
 * @param initramfs       the initramfs with hyperstart and the kernel's virtio/SCSI modules
 * @param accelerator     KVM or TCG, see {@link Accelerator}
 * @param stateRoot       where each VM's directory ({@code vms/<id>}: sockets, console, scratch disk, vm.json) lives
 * @param scratchBytes    the size of each VM's scratch disk, a sparse file (4 GiB by default): containers' writable layers
 * @param sandbox         QEMU's seccomp sandbox (on by default): QEMU may not spawn, elevate privileges or use obsolete calls
 * @param tcgCacheMiB     TCG's translation cache ({@code tb-size}); QEMU's default of 1 GiB is what makes an idle VM's RSS
 *                        large, 32 MiB boots as fast here (see hyperd/README.md "VM sizing")
 * @param kernelArgs      added to the kernel command line after hyperd's own
 */
public record VmConfig(String qemu, Path kernel, Path initramfs, Accelerator accelerator, Path stateRoot,
                       long scratchBytes, boolean sandbox, int tcgCacheMiB, List<String> kernelArgs) {
    public static final String DEFAULT_QEMU = "qemu-system-x86_64";
    public static final long DEFAULT_SCRATCH_BYTES = 4L << 30;
    public static final int DEFAULT_TCG_CACHE_MIB = 32;
    static final String INSTALL_HINT = "apt-get install qemu-system-x86 linux-image-cloud-amd64";

    public VmConfig {
        if (qemu == null || qemu.isBlank()) {
            throw new IllegalArgumentException("qemu binary is required (default " + DEFAULT_QEMU + ")");
        }
        if (scratchBytes < (64L << 20)) {
            throw new IllegalArgumentException("scratch disk must be at least 64 MiB, not " + scratchBytes + " bytes");
        }
        if (tcgCacheMiB < 1) {
            throw new IllegalArgumentException("TCG translation cache must be at least 1 MiB, not " + tcgCacheMiB);
        }
        kernelArgs = List.copyOf(kernelArgs);
    }

    /** The defaults: QEMU from PATH, TCG, a 4 GiB scratch disk, sandbox on. */
    public static VmConfig of(Path kernel, Path initramfs, Path stateRoot) {
        return new VmConfig(DEFAULT_QEMU, kernel, initramfs, Accelerator.TCG, stateRoot, DEFAULT_SCRATCH_BYTES, true,
                DEFAULT_TCG_CACHE_MIB, List.of());
    }

    /** The defaults for the guest module's kernel (its bzImage) and the initramfs written from it. */
    public static VmConfig of(GuestKernel kernel, Path initramfs, Path stateRoot) {
        return of(kernel.vmlinuz(), initramfs, stateRoot);
    }

    public VmConfig withQemu(String qemu) {
        return new VmConfig(qemu, kernel, initramfs, accelerator, stateRoot, scratchBytes, sandbox, tcgCacheMiB, kernelArgs);
    }

    public VmConfig withAccelerator(Accelerator accelerator) {
        return new VmConfig(qemu, kernel, initramfs, accelerator, stateRoot, scratchBytes, sandbox, tcgCacheMiB, kernelArgs);
    }

    public VmConfig withScratchBytes(long scratchBytes) {
        return new VmConfig(qemu, kernel, initramfs, accelerator, stateRoot, scratchBytes, sandbox, tcgCacheMiB, kernelArgs);
    }

    public VmConfig withSandbox(boolean sandbox) {
        return new VmConfig(qemu, kernel, initramfs, accelerator, stateRoot, scratchBytes, sandbox, tcgCacheMiB, kernelArgs);
    }

    public VmConfig withTcgCacheMiB(int tcgCacheMiB) {
        return new VmConfig(qemu, kernel, initramfs, accelerator, stateRoot, scratchBytes, sandbox, tcgCacheMiB, kernelArgs);
    }

    public VmConfig withKernelArgs(List<String> kernelArgs) {
        return new VmConfig(qemu, kernel, initramfs, accelerator, stateRoot, scratchBytes, sandbox, tcgCacheMiB, kernelArgs);
    }

    /** Where VM directories live. */
    public Path vmsDir() {
        return stateRoot.resolve("vms");
    }

    /** The QEMU binary as a path: {@link #qemu} itself if it has a slash, else the first match on PATH. */
    public Optional<Path> qemuPath() {
        if (qemu.contains("/")) {
            Path p = Path.of(qemu);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
        return Stream.of(path.split(":")).filter(s -> !s.isEmpty()).map(d -> Path.of(d, qemu))
                .filter(Files::isExecutable).findFirst();
    }

    /** Fails with what is missing and how to install it; changes nothing. */
    Path validate() throws VmException {
        Path binary = qemuPath().orElseThrow(() -> new VmException("QEMU binary " + qemu + " not found"
                + (qemu.contains("/") ? "" : " on PATH") + "; install it: " + INSTALL_HINT));
        if (kernel == null || !Files.isReadable(kernel)) {
            throw new VmException("guest kernel " + kernel + " is missing or unreadable; install one: " + INSTALL_HINT);
        }
        if (initramfs == null || !Files.isReadable(initramfs)) {
            throw new VmException("guest initramfs " + initramfs + " is missing or unreadable; hyperd writes it from the"
                    + " guest module (Initramfs.write) at start");
        }
        return binary;
    }
}
