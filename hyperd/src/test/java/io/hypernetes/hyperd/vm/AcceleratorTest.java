package io.hypernetes.hyperd.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorTest {
    @TempDir
    Path root;

    @Test
    void withoutKvmItIsTcgAndTheAnswerIsKeptForTheNextStart() throws Exception {
        VmConfig config = TestGuest.config(root);
        Accelerator.Decision first = Accelerator.detect(config, root.resolve("no-kvm"), Duration.ofSeconds(10));
        assertThat(first.accelerator()).isEqualTo(Accelerator.TCG);
        assertThat(first.reason()).contains("no-kvm is absent");
        assertThat(Files.exists(root.resolve(Accelerator.CACHE))).isTrue();
        // a restart: kept, so /dev/kvm is not probed (which would otherwise boot a VM)
        assertThat(Accelerator.detect(config, Path.of("/dev/kvm"), Duration.ofSeconds(10))).isEqualTo(first);
        assertThat(Accelerator.cached(config)).contains(first);
        assertThat(Accelerator.cached(config.withQemu("/bin/true"))).isEmpty(); // another QEMU: probe again
    }

    /** The real probe on this host's /dev/kvm (one KVM boot with a 10 s deadline); prints the decision. */
    @Test
    void probesTheRealKvm() {
        VmConfig config = TestGuest.config(root);
        Accelerator.Decision decision = Accelerator.detect(config);
        System.out.println("accelerator on this host: " + decision.accelerator() + " — " + decision.reason());
        assertThat(decision.reason()).isNotBlank();
        assertThat(Files.exists(config.vmsDir().resolve("accel-probe"))).isFalse();
    }
}
