package io.hypernetes.hyperd.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VmShapeTest {
    private static final long MIB = 1 << 20;

    @Test
    void cpuLimitsRoundUpToWholeVcpusWithinTheHostsCores() {
        assertThat(VmShape.forPod(0, 0, 8).vcpus()).isEqualTo(1);
        assertThat(VmShape.forPod(250, 0, 8).vcpus()).isEqualTo(1);
        assertThat(VmShape.forPod(1001, 0, 8).vcpus()).isEqualTo(2);
        assertThat(VmShape.forPod(16_000, 0, 2).vcpus()).isEqualTo(2);
    }

    @Test
    void memoryIsTheLimitsOrTheDefaultPlusOverheadRoundedToTwoMib() {
        assertThat(VmShape.forPod(0, 0, 2).memoryBytes()).isEqualTo((128 + 64) * MIB);
        assertThat(VmShape.forPod(0, 100 * MIB, 2).memoryBytes()).isEqualTo((100 + 64) * MIB);
        assertThat(VmShape.forPod(0, 100 * MIB + 1, 2).memoryBytes()).isEqualTo((102 + 64) * MIB);
        assertThat(VmShape.forPod(0, 1, 2).memoryBytes()).isEqualTo(66 * MIB);
    }

    @Test
    void coversMeansAtLeastAsBigInBothDimensions() {
        VmShape pool = new VmShape(1, 192 * MIB);
        assertThat(pool.covers(new VmShape(1, 128 * MIB))).isTrue();
        assertThat(pool.covers(pool)).isTrue();
        assertThat(pool.covers(new VmShape(2, 128 * MIB))).isFalse();
        assertThat(pool.covers(new VmShape(1, 194 * MIB))).isFalse();
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> VmShape.forPod(-1, 0)).hasMessageContaining("negative");
        assertThatThrownBy(() -> VmShape.forPod(0, -5)).hasMessageContaining("negative");
        assertThatThrownBy(() -> new VmShape(0, 128 * MIB)).hasMessageContaining("vCPUs");
        assertThatThrownBy(() -> new VmShape(1, 129 * MIB)).hasMessageContaining("multiple of 2 MiB");
    }
}
