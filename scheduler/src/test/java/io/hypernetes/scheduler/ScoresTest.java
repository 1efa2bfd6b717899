package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScoresTest {

    @ParameterizedTest(name = "{0} of {1} used -> {2}")
    @CsvSource({"0, 100, 100", "50, 100, 50", "100, 100, 0", "101, 100, 0", "1, 3, 66", "0, 0, 0", "2, 3, 33"})
    void leastAllocatedPerResource(long requested, long capacity, long score) {
        assertThat(NodeResourcesFit.leastAllocated(requested, capacity)).isEqualTo(score);
    }

    @Test
    void leastAllocatedAveragesCpuAndMemoryIncludingThePod() {
        NodeResourcesFit fit = new NodeResourcesFit();
        // cpu: (4 - 1 - 1) / 4 = 50; memory: (8Gi - 0 - 2Gi) / 8Gi = 75 -> 62
        NodeInfo node = nodeInfo(node("n", "4", "8Gi")).withPod("ns1/a", new PodRequest(1000, 0));
        assertThat(fit.score(info(pod("p", "1", "2Gi")), node)).isEqualTo(62);
        assertThat(fit.score(info(pod("p", "500m", "512Mi")), nodeInfo(node("empty", "1", "1Gi")))).isEqualTo(50);
    }

    @Test
    void leastAllocatedPrefersTheEmptierNode() {
        NodeResourcesFit fit = new NodeResourcesFit();
        PodInfo p = info(pod("p", "1", "1Gi"));
        NodeInfo busy = nodeInfo(node("busy", "8", "16Gi"), pod("a", "6", "12Gi"));
        NodeInfo idle = nodeInfo(node("idle", "8", "16Gi"));
        assertThat(fit.score(p, idle)).isGreaterThan(fit.score(p, busy));
    }

    @Test
    void balancedAllocationIsOneMinusTheSpreadOfShares() {
        BalancedAllocation balanced = new BalancedAllocation();
        // cpu 2/4 = 0.5, memory 2/4 = 0.5: perfectly balanced
        assertThat(balanced.score(info(pod("p", "2", "2Gi")), nodeInfo(node("n", "4", "4Gi")))).isEqualTo(100);
        // cpu 1/4 = 0.25, memory 3/4 = 0.75: std 0.25 -> 75
        assertThat(balanced.score(info(pod("p", "1", "3Gi")), nodeInfo(node("n", "4", "4Gi")))).isEqualTo(75);
        // cpu 4/4 = 1, memory 128Mi/64Gi ~ 0: std ~0.5 -> 50
        assertThat(balanced.score(info(pod("p", "4", "128Mi")), nodeInfo(node("n", "4", "64Gi")))).isEqualTo(50);
    }

    @Test
    void balancedAllocationCapsSharesAndSkipsResourcesTheNodeLacks() {
        BalancedAllocation balanced = new BalancedAllocation();
        // cpu 8/4 capped at 1, memory 4/4 = 1: balanced
        assertThat(balanced.score(info(pod("p", "8", "4Gi")), nodeInfo(node("n", "4", "4Gi")))).isEqualTo(100);
        assertThat(balanced.score(info(pod("p", "1", "1Gi")), nodeInfo(node("n", null, "4Gi")))).isEqualTo(100);
    }

    @Test
    void balancedAllocationPrefersTheNodeThatEvensOut() {
        BalancedAllocation balanced = new BalancedAllocation();
        PodInfo memoryHeavy = info(pod("p", "500m", "6Gi"));
        NodeInfo cpuLoaded = nodeInfo(node("cpu", "4", "16Gi"), pod("a", "3", "1Gi"));
        NodeInfo memLoaded = nodeInfo(node("mem", "4", "16Gi"), pod("a", "500m", "8Gi"));
        assertThat(balanced.score(memoryHeavy, cpuLoaded)).isGreaterThan(balanced.score(memoryHeavy, memLoaded));
    }

    @Test
    void taintTolerationCountsUntoleratedPreferNoScheduleAndNormalizes() {
        TaintToleration score = new TaintToleration();
        ObjectNode p = tolerate(pod("p", null, null), "tolerated", "Exists", null, "PreferNoSchedule");
        tolerate(p, "hard-only", "Exists", null, "NoSchedule");
        PodInfo pod = info(p);
        ObjectNode clean = node("clean", "1", "1Gi");
        ObjectNode one = taint(node("one", "1", "1Gi"), "a", "1", "PreferNoSchedule");
        ObjectNode two = taint(taint(node("two", "1", "1Gi"), "a", "1", "PreferNoSchedule"), "b", "2", "PreferNoSchedule");
        ObjectNode tolerated = taint(taint(node("tol", "1", "1Gi"), "tolerated", "x", "PreferNoSchedule"), "hard", "x", "NoSchedule");
        ObjectNode hardOnly = taint(node("hard", "1", "1Gi"), "hard-only", "x", "PreferNoSchedule");
        long[] raw = List.of(clean, one, two, tolerated, hardOnly).stream()
                .mapToLong(n -> score.score(pod, NodeInfo.of(n))).toArray();
        assertThat(raw).containsExactly(0, 1, 2, 0, 1);
        score.normalize(raw);
        assertThat(raw).containsExactly(100, 50, 0, 100, 50);
    }

    @Test
    void taintTolerationWithNoSoftTaintsScoresAllAlike() {
        long[] raw = {0, 0, 0};
        new TaintToleration().normalize(raw);
        assertThat(raw).containsExactly(100, 100, 100);
    }

    @Test
    void preferredNodeAffinitySumsWeightsAndNormalizesToTheBest() {
        NodeAffinity score = new NodeAffinity();
        ObjectNode p = pod("p", null, null);
        p.set("spec", yaml("""
                affinity:
                  nodeAffinity:
                    preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 20
                      preference: {matchExpressions: [{key: zone, operator: In, values: [a]}]}
                    - weight: 60
                      preference: {matchExpressions: [{key: ssd, operator: Exists}]}
                    - weight: 5
                      preference: {matchFields: [{key: metadata.name, operator: In, values: [n3]}]}
                """));
        PodInfo pod = info(p);
        NodeInfo n1 = NodeInfo.of(label(node("n1", "1", "1Gi"), "zone", "a"));
        NodeInfo n2 = NodeInfo.of(label(label(node("n2", "1", "1Gi"), "zone", "a"), "ssd", "true"));
        NodeInfo n3 = NodeInfo.of(node("n3", "1", "1Gi"));
        NodeInfo n4 = NodeInfo.of(node("n4", "1", "1Gi"));
        long[] raw = {score.score(pod, n1), score.score(pod, n2), score.score(pod, n3), score.score(pod, n4)};
        assertThat(raw).containsExactly(20, 80, 5, 0);
        score.normalize(raw);
        assertThat(raw).containsExactly(25, 100, 6, 0);
    }

    @Test
    void noPreferredMatchScoresZeroEverywhere() {
        long[] raw = {0, 0};
        new NodeAffinity().normalize(raw);
        assertThat(raw).containsExactly(0, 0);
    }

    @Test
    void weightsDecide() {
        // The emptier node has an untolerated PreferNoSchedule taint: TaintToleration (weight 3) outweighs the
        // resource scores (weight 1 each), as in kube-scheduler.
        Algorithm algorithm = new Algorithm(SchedulerConfig.defaults().withSeed(1));
        ObjectNode emptyTainted = taint(node("empty", "16", "32Gi"), "soft", "x", "PreferNoSchedule");
        NodeInfo busy = nodeInfo(node("busy", "16", "32Gi"), pod("a", "8", "16Gi"));
        Algorithm.Result r = algorithm.schedule(pod("p", "1", "1Gi"), List.of(NodeInfo.of(emptyTainted), busy));
        assertThat(r).isEqualTo(new Algorithm.Result.Scheduled("busy", 2, 2));
        long[] totals = algorithm.totals(info(pod("p", "1", "1Gi")), List.of(NodeInfo.of(emptyTainted), busy));
        // empty: taint 0*3 + affinity 0 + least ~(93+96)/2=94 + balanced 100 ; busy: 300 + 0 + ~(43+46)/2 + 100
        assertThat(totals[0]).isLessThan(totals[1]);
    }
}
