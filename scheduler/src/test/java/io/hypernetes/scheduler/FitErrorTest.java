package io.hypernetes.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FitErrorTest {

    @Test
    void countsEachReasonAndSortsTheEntriesAsStrings() {
        Map<String, List<String>> reasons = new LinkedHashMap<>();
        reasons.put("n1", List.of("node(s) had untolerated taint {key: value}"));
        reasons.put("n2", List.of("Insufficient cpu"));
        reasons.put("n3", List.of("node(s) had untolerated taint {key: value}"));
        assertThat(new FitError(3, reasons).message())
                .isEqualTo("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}.");
    }

    @Test
    void aNodeWithSeveralReasonsCountsInEach() {
        Map<String, List<String>> reasons = new LinkedHashMap<>();
        reasons.put("n1", List.of("Insufficient cpu", "Insufficient memory"));
        reasons.put("n2", List.of("Insufficient memory"));
        reasons.put("n3", List.of("node(s) were unschedulable"));
        reasons.put("n4", List.of("Too many pods", "Insufficient memory"));
        FitError e = new FitError(4, reasons);
        assertThat(e.histogram()).containsEntry("Insufficient memory", 3).containsEntry("Insufficient cpu", 1);
        assertThat(e.message()).isEqualTo("0/4 nodes are available: 1 Insufficient cpu, 1 Too many pods, "
                + "1 node(s) were unschedulable, 3 Insufficient memory.");
    }

    @Test
    void noNodes() {
        assertThat(new FitError(0, Map.of()).message()).isEqualTo("no nodes available to schedule pods");
    }

    @Test
    void endToEndWordingOfAMixedCluster() {
        var nodes = List.of(
                NodeInfo.of(Fixtures.node("small", "500m", "1Gi")),
                NodeInfo.of(Fixtures.taint(Fixtures.node("gpu-1", "8", "8Gi"), "dedicated", "gpu", "NoSchedule")),
                NodeInfo.of(Fixtures.taint(Fixtures.node("gpu-2", "8", "8Gi"), "dedicated", "gpu", "NoSchedule")));
        var r = new Algorithm(SchedulerConfig.defaults()).schedule(Fixtures.pod("p", "1", "512Mi"), nodes);
        assertThat(r).isInstanceOfSatisfying(Algorithm.Result.Unschedulable.class, u -> assertThat(u.error().message())
                .isEqualTo("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}."));
    }
}
