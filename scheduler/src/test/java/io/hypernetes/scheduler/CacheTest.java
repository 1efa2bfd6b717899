package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheTest {
    private final ManualClock clock = new ManualClock();
    private final Cache cache = new Cache(clock, Duration.ofSeconds(30));

    private NodeInfo node(String name) {
        return cache.snapshot().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void boundPodsTakeRoomOnTheirNode() {
        cache.updateNode(Fixtures.node("n1", "4", "8Gi"));
        cache.addPod(boundTo(pod("a", "1", "2Gi"), "n1"));
        cache.addPod(boundTo(pod("b", "500m", "1Gi"), "n1"));
        cache.addPod(pod("pending", "1", "1Gi")); // no node: not the cache's
        assertThat(node("n1").requested()).isEqualTo(new Resources(1500, 3L << 30, 2));
        cache.removePod("ns1/a");
        assertThat(node("n1").requested()).isEqualTo(new Resources(500, 1L << 30, 1));
    }

    @Test
    void anAssumedPodIsSeenByTheNextSnapshotAndForgottenWhenTheBindFails() {
        cache.updateNode(Fixtures.node("n1", "4", "8Gi"));
        var before = cache.snapshot();
        cache.assume(info(pod("p", "2", "4Gi")), "n1");
        assertThat(cache.isAssumed("ns1/p")).isTrue();
        assertThat(node("n1").requested()).isEqualTo(new Resources(2000, 4L << 30, 1));
        assertThat(before.getFirst().requested()).as("an earlier snapshot does not move").isEqualTo(Resources.NONE);
        cache.forget("ns1/p");
        assertThat(cache.isAssumed("ns1/p")).isFalse();
        assertThat(node("n1").requested()).isEqualTo(Resources.NONE);
    }

    @Test
    void theWatchConfirmsAnAssumedPod() {
        cache.updateNode(Fixtures.node("n1", "4", "8Gi"));
        cache.assume(info(pod("p", "2", "4Gi")), "n1");
        cache.finishBinding("ns1/p");
        cache.updatePod(boundTo(pod("p", "2", "4Gi"), "n1"));
        assertThat(cache.isAssumed("ns1/p")).isFalse();
        clock.advance(Duration.ofMinutes(5));
        assertThat(node("n1").requested().pods()).isEqualTo(1);
        cache.forget("ns1/p"); // a confirmed pod is not forgotten
        assertThat(node("n1").requested().pods()).isEqualTo(1);
    }

    @Test
    void aBoundAssumedPodExpiresIfTheWatchNeverConfirmsIt() {
        cache.updateNode(Fixtures.node("n1", "4", "8Gi"));
        cache.assume(info(pod("p", "2", "4Gi")), "n1");
        clock.advance(Duration.ofMinutes(5));
        assertThat(node("n1").requested().pods()).as("no expiry while the bind is in flight").isEqualTo(1);
        cache.finishBinding("ns1/p");
        clock.advance(Duration.ofSeconds(29));
        assertThat(node("n1").requested().pods()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(node("n1").requested().pods()).isZero();
        assertThat(cache.nodeOf("ns1/p")).isNull();
    }

    @Test
    void aPodBoundElsewhereMovesFromItsAssumedNode() {
        cache.updateNode(Fixtures.node("n1", "4", "8Gi"));
        cache.updateNode(Fixtures.node("n2", "4", "8Gi"));
        cache.assume(info(pod("p", "1", "1Gi")), "n1");
        cache.addPod(boundTo(pod("p", "1", "1Gi"), "n2"));
        assertThat(node("n1").requested().pods()).isZero();
        assertThat(node("n2").requested().pods()).isEqualTo(1);
        assertThatThrownBy(() -> cache.assume(info(pod("p", "1", "1Gi")), "n1")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void podsMayArriveBeforeTheirNodeAndOutliveIt() {
        cache.addPod(boundTo(pod("a", "1", "1Gi"), "late"));
        assertThat(cache.snapshot()).isEmpty();
        cache.updateNode(Fixtures.node("late", "4", "8Gi"));
        assertThat(node("late").requested().pods()).isEqualTo(1);
        cache.removeNode("late");
        assertThat(cache.snapshot()).isEmpty();
        cache.updateNode(Fixtures.node("late", "4", "8Gi"));
        assertThat(node("late").requested().pods()).as("its pods were kept").isEqualTo(1);
    }

    @Test
    void nodeUpdatesKeepPodsAndReportWhetherSchedulingCouldChange() {
        assertThat(cache.updateNode(Fixtures.node("n1", "4", "8Gi"))).isTrue();
        cache.addPod(boundTo(pod("a", "1", "1Gi"), "n1"));
        var heartbeat = Fixtures.node("n1", "4", "8Gi");
        Fixtures.obj(heartbeat, "status").put("heartbeat", "later");
        assertThat(cache.updateNode(heartbeat)).isFalse();
        assertThat(cache.updateNode(Fixtures.node("n1", "8", "8Gi"))).isTrue();
        assertThat(cache.updateNode(label(Fixtures.node("n1", "8", "8Gi"), "zone", "a"))).isTrue();
        assertThat(cache.updateNode(taint(label(Fixtures.node("n1", "8", "8Gi"), "zone", "a"), "k", "v", "NoSchedule"))).isTrue();
        assertThat(node("n1").requested().pods()).isEqualTo(1);
        assertThat(node("n1").allocatable().milliCpu()).isEqualTo(8000);
    }

    @Test
    void snapshotsAreOrderedByNameAndReusedUntilSomethingChanges() {
        cache.updateNode(Fixtures.node("b", "1", "1Gi"));
        cache.updateNode(Fixtures.node("a", "1", "1Gi"));
        var first = cache.snapshot();
        assertThat(first).extracting(NodeInfo::name).containsExactly("a", "b");
        assertThat(cache.snapshot()).isSameAs(first);
        cache.addPod(boundTo(pod("p", "1", "1Gi"), "a"));
        assertThat(cache.snapshot()).isNotSameAs(first);
    }

    @Test
    void nodeInfoReadsLabelsTaintsAndConditions() {
        var n = taint(label(ready(Fixtures.node("n1", "2", "1Gi", 10), "False"), "zone", "a"), "k", "v", "NoExecute");
        Fixtures.obj(n, "spec").put("unschedulable", true);
        NodeInfo info = NodeInfo.of(n);
        assertThat(info.labels()).containsEntry("zone", "a");
        assertThat(info.taints()).containsExactly(new Taint("k", "v", "NoExecute"));
        assertThat(info.ready()).isFalse();
        assertThat(info.readyStatus()).isEqualTo("False");
        assertThat(info.unschedulable()).isTrue();
        assertThat(info.allocatable()).isEqualTo(new Resources(2000, 1L << 30, 10));
    }
}
