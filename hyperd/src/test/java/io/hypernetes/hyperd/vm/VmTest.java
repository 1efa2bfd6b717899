package io.hypernetes.hyperd.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.guest.GuestInfo;
import io.hypernetes.hyperd.net.DefaultNetwork;
import io.hypernetes.hyperd.net.Tap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real QEMU (TCG) booting the real guest; one VM per test, always stopped. */
class VmTest {
    @TempDir
    Path root;

    @Test
    void bootsAttachesAndDetachesADiskReattachesAndStopsCleanly() throws Exception {
        VmConfig config = TestGuest.config(root);
        VmShape shape = VmShape.forPod(500, 64L << 20);
        long t0 = System.nanoTime();
        Set<String> linksBefore = links();
        DefaultNetwork network = DefaultNetwork.open("hntest1", "10.250.8.0/29", root.resolve("net"));
        Optional<Tap> tap = network.attach("vm-test-1");
        Vm vm = Vm.boot(config, "vm-test-1", shape, tap);
        try {
            GuestInfo ready = vm.awaitReady(Duration.ofSeconds(90));
            System.out.printf("cold boot to READY: %d ms (guest says %s)%n", (System.nanoTime() - t0) / 1_000_000, ready);
            assertThat(vm.isRunning()).isTrue();
            tap.ifPresent(t -> assertThat(run("ip", "-o", "link", "show", t.name())).doesNotContain("NO-CARRIER")); // QEMU holds it
            assertThat(vm.mac()).isEqualTo(tap.map(Tap::mac));
            assertThat(vm.qmp().execute("query-status").path("status").asText()).isEqualTo("running");
            Path memoryCgroup = VmCgroup.ROOT.resolve("memory/hypernetes/vm-test-1");
            if (Files.isDirectory(memoryCgroup)) {
                assertThat(Files.readString(memoryCgroup.resolve("memory.limit_in_bytes")).strip())
                        .isEqualTo(Long.toString(VmCgroup.memoryLimit(shape, config)));
                assertThat(Files.readString(memoryCgroup.resolve("cgroup.procs")).strip()).isEqualTo(Long.toString(vm.pid()));
                assertThat(Files.readString(VmCgroup.ROOT.resolve("cpu/hypernetes/vm-test-1/cpu.cfs_quota_us")).strip())
                        .isEqualTo("100000");
            }
            System.out.printf("idle QEMU RSS: %d MiB (guest %s)%n", vm.rssBytes() >> 20, shape);

            Path image = TestGuest.ext4Image(root, "data", "hello\n");
            int target = vm.attachDisk("data", image, true);
            assertThat(target).isEqualTo(1);
            assertThat(vm.qmp().execute("query-block").toString()).contains("node-data");
            assertThatThrownBy(() -> vm.attachDisk("data", image, true)).isInstanceOf(IllegalArgumentException.class);
            vm.detachDisk("data");
            assertThat(vm.qmp().execute("query-block").toString()).doesNotContain("node-data");
            assertThat(vm.attachDisk("data2", image, false)).isEqualTo(1);

            // hyperd restarts: its QMP connection goes, QEMU stays
            long pid = vm.pid();
            vm.disconnect();
            Vm again = Vm.reattach(vm.dir()).orElseThrow();
            assertThat(again.pid()).isEqualTo(pid);
            assertThat(again.disks()).containsEntry("data2", 1).containsEntry("scratch", 0);
            assertThat(again.qmp().execute("query-status").path("status").asText()).isEqualTo("running");
            again.stop(Duration.ZERO);
            assertThat(again.isRunning()).isFalse();
            assertThat(Files.exists(vm.dir())).isFalse();
            assertThat(Files.exists(memoryCgroup)).isFalse();
            tap.ifPresent(t -> assertThat(links()).doesNotContain(t.name()));
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(Vm.reattach(vm.dir())).isEmpty();
            again.stop(Duration.ZERO); // idempotent
        } finally {
            vm.stop(Duration.ZERO);
            network.release("vm-test-1");
            network.removeBridge();
        }
        assertThat(links()).isEqualTo(linksBefore);
    }

    static Set<String> links() {
        Set<String> names = new HashSet<>();
        for (String line : run("ip", "-o", "link").split("\n")) {
            String[] f = line.split(": ");
            if (f.length > 1) {
                names.add(f[1].split("@")[0]);
            }
        }
        return names;
    }

    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aGuestThatNeverGetsReadyFailsWithItsConsole() throws Exception {
        VmConfig config = TestGuest.config(root).withKernelArgs(java.util.List.of("rdinit=/no-such-init"));
        Vm vm = Vm.boot(config, "vm-test-broken", VmShape.forPod(0, 0), Optional.empty());
        try {
            assertThatThrownBy(() -> vm.awaitReady(Duration.ofSeconds(60)))
                    .isInstanceOf(VmException.class)
                    .hasMessageContaining("did not become ready")
                    .hasMessageContaining("last console lines")
                    .hasMessageContaining("Kernel panic");
        } finally {
            vm.stop(Duration.ZERO);
        }
    }

    @Test
    void missingQemuOrKernelSaysWhatAndHowToFixAndLeavesNothing() throws Exception {
        VmConfig config = VmConfig.of(root.resolve("no-vmlinuz"), root.resolve("no-initrd"), root);
        assertThatThrownBy(() -> Vm.boot(config.withQemu("qemu-system-nonexistent"), "x", VmShape.forPod(0, 0), Optional.empty()))
                .isInstanceOf(VmException.class).hasMessageContaining("qemu-system-nonexistent not found on PATH")
                .hasMessageContaining("apt-get install qemu-system-x86");
        assertThatThrownBy(() -> Vm.boot(config, "x", VmShape.forPod(0, 0), Optional.empty()))
                .isInstanceOf(VmException.class).hasMessageContaining("no-vmlinuz").hasMessageContaining("linux-image-cloud-amd64");
        assertThat(Files.exists(config.vmsDir())).isFalse();
    }
}
