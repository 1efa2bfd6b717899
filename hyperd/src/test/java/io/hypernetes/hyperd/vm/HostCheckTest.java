package io.hypernetes.hyperd.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCheckTest {
    @TempDir
    Path root;

    @Test
    void reportsThisHost() {
        VmConfig config = TestGuest.config(root);
        List<HostCheck.Finding> findings = HostCheck.run(config);
        findings.forEach(f -> System.out.printf("%-12s %-4s %s%s%n", f.name(), f.status(), f.detail(),
                f.fix().isEmpty() ? "" : " — fix: " + f.fix()));
        assertThat(findings).extracting(HostCheck.Finding::name)
                .containsExactly("qemu", "guest kernel", "hyperstart", "accelerator", "seccomp", "network", "cgroups", "disk");
        // this machine has all of them (root, QEMU 7.2, the cloud kernel); KVM has not been probed in this state root
        assertThat(findings).filteredOn(f -> !f.name().equals("accelerator") && !f.name().equals("disk"))
                .allMatch(f -> f.status() == HostCheck.Status.OK);
    }

    @Test
    void missingQemuAndKernelAreFailuresWithTheFix() {
        VmConfig config = VmConfig.of(root.resolve("vmlinuz-none"), root.resolve("initrd"), root).withQemu("qemu-system-nonexistent");
        assertThat(HostCheck.qemu(config).status()).isEqualTo(HostCheck.Status.FAIL);
        assertThat(HostCheck.qemu(config).fix()).contains("apt-get install qemu-system-x86");
        assertThat(HostCheck.kernel(config).fix()).contains("linux-image-cloud-amd64");
    }
}
