package io.hypernetes.hyperd.vm;

import io.hypernetes.guest.GuestKernel;
import io.hypernetes.guest.Initramfs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The real guest (the host's kernel and the guest module's initramfs with hyperstart), written once per test JVM. */
final class TestGuest {
    private static Path initramfs;

    private TestGuest() {
    }

    static synchronized VmConfig config(Path stateRoot) {
        GuestKernel kernel = GuestKernel.find().orElse(null);
        Assumptions.assumeTrue(kernel != null && new VmConfig(VmConfig.DEFAULT_QEMU, kernel.vmlinuz(), kernel.vmlinuz(),
                Accelerator.TCG, stateRoot, VmConfig.DEFAULT_SCRATCH_BYTES, true, 32, java.util.List.of()).qemuPath().isPresent(),
                "needs qemu-system-x86_64 and a guest kernel");
        try {
            if (initramfs == null) {
                Path dir = Files.createTempDirectory("hyperd-guest");
                initramfs = dir.resolve("initramfs.gz");
                Initramfs.write(initramfs, kernel);
                dir.toFile().deleteOnExit();
                initramfs.toFile().deleteOnExit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return VmConfig.of(kernel.vmlinuz(), initramfs, stateRoot);
    }

    /** An ext4 image holding one file, made without root by {@code mkfs.ext4 -d}. */
    static Path ext4Image(Path dir, String name, String content) throws IOException {
        Path src = Files.createDirectories(dir.resolve(name + "-src"));
        Files.writeString(src.resolve("hello.txt"), content);
        Path image = dir.resolve(name + ".ext4");
        Vm.run(java.util.List.of("mkfs.ext4", "-q", "-F", "-d", src.toString(), image.toString(), "8M"));
        return image;
    }
}
