package io.hypernetes.hyperd.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints cold boot→READY and idle QEMU RSS for TCG translation cache sizes (figures, not assertions). Boots one VM
 * per size, so it runs only when asked: {@code ./mvnw -pl hyperd test -Dtest=VmFootprintBenchmark -Dhyperd.bench=true}.
 */
class VmFootprintBenchmark {
    @TempDir
    Path root;

    @Test
    void bootTimeAndIdleRssPerTranslationCacheSize() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("hyperd.bench"), "set -Dhyperd.bench=true");
        VmShape shape = VmShape.forPod(1000, 0);
        for (int tb : new int[] {16, 32, 1024}) {
            VmConfig config = TestGuest.config(root).withTcgCacheMiB(tb);
            long t0 = System.nanoTime();
            Vm vm = Vm.boot(config, "bench-tb" + tb, shape, Optional.empty());
            try {
                vm.awaitReady(Duration.ofSeconds(120));
                long bootMs = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(5_000); // idle: let the guest settle
                System.out.printf("tb-size=%4d MiB: boot->READY %5d ms, idle RSS %4d MiB (guest %s)%n", tb, bootMs,
                        vm.rssBytes() >> 20, shape);
                assertThat(vm.isRunning()).isTrue();
            } finally {
                vm.stop(Duration.ZERO);
            }
        }
    }
}
