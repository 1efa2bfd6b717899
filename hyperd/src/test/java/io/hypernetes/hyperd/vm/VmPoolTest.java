package io.hypernetes.hyperd.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.guest.AgentConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real pool of size 1: two boots in all (the first fill, the refill after a take). */
class VmPoolTest {
    @TempDir
    Path root;

    @Test
    void handsOutAReadyVmSurvivesARestartAndRefills() throws Exception {
        VmConfig config = TestGuest.config(root);
        VmShape shape = VmShape.forPod(1000, 0);
        Vm taken = null;
        long pooledPid;
        VmPool first = new VmPool(config, 1, shape, VmPool.Nics.none(), Duration.ofSeconds(90)).start();
        try {
            assertThat(first.awaitAvailable(1, Duration.ofSeconds(120))).isEqualTo(1);
        } finally {
            first.leave(); // hyperd exits: the pooled VM keeps running
        }
        VmPool second = new VmPool(config, 1, shape, VmPool.Nics.none(), Duration.ofSeconds(90)).start();
        try {
            assertThat(second.available()).isEqualTo(1); // reattached, not booted again
            assertThat(second.take(VmShape.forPod(2000, 0))).isEmpty(); // wants more vCPUs than the pool's shape
            long t0 = System.nanoTime();
            taken = second.take(VmShape.forPod(500, 64L << 20)).orElseThrow();
            try (AgentConnection agent = AgentConnection.connect(taken.agentSocket(), Duration.ofSeconds(30))) {
                agent.awaitReady(Duration.ofSeconds(30));
            }
            System.out.printf("take from pool to a connected READY guest: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            assertThat(Files.exists(taken.dir().resolve(VmPool.MARKER))).isFalse();
            pooledPid = taken.pid();
            assertThat(second.awaitAvailable(1, Duration.ofSeconds(120))).isEqualTo(1); // refilled
        } finally {
            second.close();
            if (taken != null) {
                taken.stop(Duration.ZERO);
            }
        }
        assertThat(ProcessHandle.of(pooledPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        try (var left = Files.list(config.vmsDir())) {
            assertThat(left.toList()).isEmpty();
        }
        assertThat(Optional.of(second.available())).contains(0);
    }
}
