package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlgorithmTest {

    @ParameterizedTest(name = "{0} nodes at {1}% -> {2}")
    @CsvSource({
        "0, 0, 0", "1, 0, 1", "99, 0, 99", "100, 0, 100", "150, 0, 100", "500, 0, 230", "1000, 0, 420",
        "1500, 0, 570", "5000, 0, 500", "5625, 0, 281", "6000, 0, 300", "20000, 0, 1000",
        "1000, 30, 300", "500, 10, 100", "99, 10, 99", "1000, 100, 1000", "5000, 1, 100",
    })
    void numFeasibleNodesToFindAsKubeScheduler(int nodes, int percentage, int expected) {
        assertThat(Algorithm.numFeasibleNodesToFind(nodes, percentage)).isEqualTo(expected);
    }

    private static List<NodeInfo> identical(int n) {
        return IntStream.range(0, n).mapToObj(i -> NodeInfo.of(node(String.format("n%04d", i), "4", "8Gi"))).toList();
    }

    @Test
    void largeClustersAreSampledAndEveryNodeGetsItsTurn() {
        Algorithm algorithm = new Algorithm(SchedulerConfig.defaults().withSeed(7));
        List<NodeInfo> nodes = identical(1000);
        Set<String> chosen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            var r = (Algorithm.Result.Scheduled) algorithm.schedule(pod("p" + i, "1", "1Gi"), nodes);
            assertThat(r.evaluated()).isEqualTo(420);
            assertThat(r.feasible()).isEqualTo(420);
            chosen.add(r.node());
        }
        // 5 × 420 > 1000: the round-robin start wrapped, so the sample moved across the whole list.
        assertThat(chosen).hasSize(5);
    }

    @Test
    void sampleOnlyCountsFeasibleNodesSoInfeasibleOnesAreSkippedOver() {
        List<NodeInfo> nodes = new ArrayList<>();
        for (int i = 0; i < 200; i++) nodes.add(NodeInfo.of(node("full" + i, "100m", "1Gi")));
        nodes.addAll(identical(200));
        var r = (Algorithm.Result.Scheduled) new Algorithm(SchedulerConfig.defaults()).schedule(pod("p", "1", "1Gi"), nodes);
        // 400 nodes: want 50 - 400/125 = 47% = 188 feasible; the first 200 fail.
        assertThat(r.feasible()).isEqualTo(188);
        assertThat(r.evaluated()).isEqualTo(388);
        assertThat(r.node()).doesNotStartWith("full");
    }

    @Test
    void configuredPercentage() {
        Algorithm algorithm = new Algorithm(SchedulerConfig.defaults().withPercentageOfNodesToScore(100));
        var r = (Algorithm.Result.Scheduled) algorithm.schedule(pod("p", "1", "1Gi"), identical(1000));
        assertThat(r.evaluated()).isEqualTo(1000);
        algorithm = new Algorithm(SchedulerConfig.defaults().withPercentageOfNodesToScore(25));
        r = (Algorithm.Result.Scheduled) algorithm.schedule(pod("p", "1", "1Gi"), identical(1000));
        assertThat(r.feasible()).isEqualTo(250);
    }

    @Test
    void anUnschedulablePodIsCheckedAgainstEveryNode() {
        var r = new Algorithm(SchedulerConfig.defaults()).schedule(pod("p", "5", "1Gi"), identical(1000));
        assertThat(r).isInstanceOfSatisfying(Algorithm.Result.Unschedulable.class, u -> {
            assertThat(u.error().reasonsByNode()).hasSize(1000);
            assertThat(u.error().message()).isEqualTo("0/1000 nodes are available: 1000 Insufficient cpu.");
        });
    }

    @Test
    void tiesAreBrokenRandomlyButTheSameForTheSameSeed() {
        List<NodeInfo> nodes = identical(10);
        List<String> first = picks(new Algorithm(SchedulerConfig.defaults().withSeed(42)), nodes);
        List<String> again = picks(new Algorithm(SchedulerConfig.defaults().withSeed(42)), nodes);
        List<String> other = picks(new Algorithm(SchedulerConfig.defaults().withSeed(43)), nodes);
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
        assertThat(new HashSet<>(first)).hasSizeGreaterThan(3); // spread over the tied nodes, not always the first
    }

    private static List<String> picks(Algorithm algorithm, List<NodeInfo> nodes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 30; i++) out.add(((Algorithm.Result.Scheduled) algorithm.schedule(pod("p", "1", "1Gi"), nodes)).node());
        return out;
    }

    @Test
    void theBestScoreWinsOverTies() {
        List<NodeInfo> nodes = new ArrayList<>(identical(5));
        nodes.set(3, nodeInfo(node("n0003", "4", "8Gi")).withPod("x/y", new PodRequest(3000, 6L << 30)));
        ObjectNode p = pod("p", "1", "1Gi");
        p.set("spec", yaml("""
                containers: [{name: c, resources: {requests: {cpu: "1", memory: 1Gi}}}]
                affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [
                  {weight: 1, preference: {matchFields: [{key: metadata.name, operator: In, values: [n0002]}]}}]}}
                """));
        for (long seed = 0; seed < 10; seed++) {
            var r = (Algorithm.Result.Scheduled) new Algorithm(SchedulerConfig.defaults().withSeed(seed)).schedule(p, nodes);
            assertThat(r.node()).isEqualTo("n0002");
        }
    }

    @Test
    void aSingleFeasibleNodeIsChosen() {
        List<NodeInfo> nodes = List.of(NodeInfo.of(node("small", "1", "1Gi")), NodeInfo.of(node("big", "8", "8Gi")));
        assertThat(new Algorithm(SchedulerConfig.defaults()).schedule(pod("p", "2", "1Gi"), nodes))
                .isEqualTo(new Algorithm.Result.Scheduled("big", 2, 1));
    }

    @Test
    void podsWithANodeOrBeingDeletedAreSkipped() {
        Algorithm algorithm = new Algorithm(SchedulerConfig.defaults());
        assertThat(algorithm.schedule(boundTo(pod("p", "1", "1Gi"), "n1"), identical(2)))
                .isEqualTo(new Algorithm.Result.Skipped("already assigned to node n1"));
        ObjectNode deleting = pod("q", "1", "1Gi");
        Fixtures.obj(deleting, "metadata").put("deletionTimestamp", "2025-01-01T00:00:00Z");
        assertThat(algorithm.schedule(deleting, identical(2))).isInstanceOf(Algorithm.Result.Skipped.class);
    }

    @Test
    void noNodes() {
        assertThat(new Algorithm(SchedulerConfig.defaults()).schedule(pod("p", "1", "1Gi"), List.of()))
                .isInstanceOfSatisfying(Algorithm.Result.Unschedulable.class,
                        u -> assertThat(u.error().message()).isEqualTo("no nodes available to schedule pods"));
    }

    @Test
    void aNodeFailsAtItsFirstFailingFilter() {
        ObjectNode n = taint(node("n", "100m", "1Mi"), "a", "b", "NoSchedule");
        Fixtures.obj(n, "spec").put("unschedulable", true);
        var r = new Algorithm(SchedulerConfig.defaults()).schedule(pod("p", "1", "1Gi"), nodes(n));
        assertThat(((Algorithm.Result.Unschedulable) r).error().reasonsByNode()).containsEntry("n", List.of("node(s) were unschedulable"));
    }

    @Test
    void percentageIsValidated() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SchedulerConfig.defaults().withPercentageOfNodesToScore(101))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
