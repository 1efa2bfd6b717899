package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FiltersTest {

    @Nested
    class ResourcesFit {
        private final NodeResourcesFit fit = new NodeResourcesFit();

        private List<String> filter(ObjectNode pod, NodeInfo node) {
            return fit.filter(info(pod), node);
        }

        @Test
        void fitsExactlyToTheLastMilliAndByte() {
            NodeInfo node = nodeInfo(node("n", "2", "2Gi"), pod("a", "1500m", "1Gi"));
            assertThat(filter(pod("b", "500m", "1Gi"), node)).isEmpty();
            assertThat(filter(pod("b", "501m", "1Gi"), node)).containsExactly("Insufficient cpu");
            assertThat(filter(pod("b", "500m", "1073741825"), node)).containsExactly("Insufficient memory");
        }

        @Test
        void everyShortfallIsAReasonInKubeSchedulersOrder() {
            NodeInfo node = nodeInfo(node("n", "1", "1Gi", 1), pod("a", "1", "1Gi"));
            assertThat(filter(pod("b", "1", "1Gi"), node)).containsExactly("Too many pods", "Insufficient cpu", "Insufficient memory");
        }

        @Test
        void podCountIsCheckedAgainstAllocatablePods() {
            NodeInfo node = nodeInfo(node("n", "64", "64Gi", 2), pod("a", "100m", "1Mi"));
            assertThat(filter(pod("b", "100m", "1Mi"), node)).isEmpty();
            assertThat(filter(pod("c", "100m", "1Mi"), node.withPod("ns1/b", new PodRequest(100, 1 << 20)))).containsExactly("Too many pods");
        }

        @Test
        void aPodNamingNothingIsTheDefaultVm() {
            assertThat(filter(pod("b", null, null), nodeInfo(node("n", "999m", "4Gi")))).containsExactly("Insufficient cpu");
            assertThat(filter(pod("b", null, null), nodeInfo(node("n", "1", "127Mi")))).containsExactly("Insufficient memory");
            assertThat(filter(pod("b", null, null), nodeInfo(node("n", "1", "128Mi")))).isEmpty();
            assertThat(filter(pod("b", "0", "0"), nodeInfo(node("n", "1", "128Mi")))).isEmpty();
        }

        @Test
        void allocatableFallsBackToCapacityPerResource() {
            ObjectNode n = yaml("""
                    metadata: {name: n}
                    status:
                      capacity: {cpu: "4", memory: 8Gi, pods: "110"}
                      allocatable: {cpu: 3500m}
                      conditions: [{type: Ready, status: "True"}]
                    """);
            NodeInfo node = NodeInfo.of(n);
            assertThat(node.allocatable()).isEqualTo(new Resources(3500, 8L << 30, 110));
            assertThat(filter(pod("b", "3500m", "8Gi"), node)).isEmpty();
            assertThat(filter(pod("b", "3600m", "8Gi"), node)).containsExactly("Insufficient cpu");
        }

        @Test
        void aNodeReportingNothingTakesNothing() {
            NodeInfo node = NodeInfo.of(yaml("{metadata: {name: n}, status: {conditions: [{type: Ready, status: 'True'}]}}"));
            assertThat(node.allocatable()).isEqualTo(Resources.NONE);
            assertThat(filter(pod("b", "1m", "1"), node)).containsExactly("Too many pods", "Insufficient cpu", "Insufficient memory");
        }

        @Test
        void unparseableAllocatableOffersNothing() {
            NodeInfo node = NodeInfo.of(node("n", "lots", "2Gi"));
            assertThat(node.allocatable().milliCpu()).isZero();
            assertThat(filter(pod("b", "100m", "1Mi"), node)).containsExactly("Insufficient cpu");
        }

        @ParameterizedTest(name = "{0} cpu, {1} memory on 1 / 1Gi")
        @CsvSource({"500m, 512Mi, true", "1, 1Gi, true", "1001m, 1Gi, false", "1, 1025Mi, false", "0.5, 1073741824, true",
            "1e0, 1G, true", "2, 1, false"})
        void quantities(String cpu, String memory, boolean fits) {
            assertThat(filter(pod("b", cpu, memory), nodeInfo(node("n", "1", "1Gi")))).hasSize(fits ? 0 : 1);
        }

        @Test
        void assumedAndBoundPodsBothTakeRoom() {
            NodeInfo node = nodeInfo(node("n", "2", "2Gi")).withPod("ns1/a", new PodRequest(1000, 1L << 30));
            assertThat(filter(pod("b", "1", "1Gi"), node)).isEmpty();
            assertThat(filter(pod("b", "1", "1Gi"), node.withPod("ns1/c", new PodRequest(1, 1)))).containsExactly(
                    "Insufficient cpu", "Insufficient memory");
            assertThat(filter(pod("b", "1", "1Gi"), node.withPod("ns1/c", new PodRequest(1, 1)).withoutPod("ns1/c"))).isEmpty();
        }
    }

    @Nested
    class Unschedulable {
        private final NodeUnschedulable filter = new NodeUnschedulable();

        @Test
        void cordonedNodesRefusePods() {
            ObjectNode n = node("n", "1", "1Gi");
            n.putObject("spec").put("unschedulable", true);
            assertThat(filter.filter(info(pod("p", null, null)), NodeInfo.of(n))).containsExactly("node(s) were unschedulable");
            Fixtures.obj(n, "spec").put("unschedulable", false);
            assertThat(filter.filter(info(pod("p", null, null)), NodeInfo.of(n))).isEmpty();
        }

        @Test
        void unlessThePodToleratesTheUnschedulableTaint() {
            ObjectNode n = node("n", "1", "1Gi");
            n.putObject("spec").put("unschedulable", true);
            ObjectNode p = tolerate(pod("p", null, null), "node.kubernetes.io/unschedulable", "Exists", null, "NoSchedule");
            assertThat(filter.filter(info(p), NodeInfo.of(n))).isEmpty();
            ObjectNode everything = tolerate(pod("q", null, null), null, "Exists", null, null);
            assertThat(filter.filter(info(everything), NodeInfo.of(n))).isEmpty();
        }
    }

    @Nested
    class Ready {
        private final NodeReady filter = new NodeReady();

        @ParameterizedTest(name = "Ready={0}")
        @CsvSource({"True, ''", "False, node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
            "Unknown, node(s) had untolerated taint {node.kubernetes.io/unreachable: }"})
        void readyCondition(String status, String reason) {
            List<String> reasons = filter.filter(info(pod("p", null, null)), NodeInfo.of(ready(node("n", "1", "1Gi"), status)));
            if (reason.isEmpty()) assertThat(reasons).isEmpty();
            else assertThat(reasons).containsExactly(reason);
        }

        @Test
        void noReadyConditionIsNotReady() {
            ObjectNode n = node("n", "1", "1Gi");
            Fixtures.obj(n, "status").remove("conditions");
            assertThat(filter.filter(info(pod("p", null, null)), NodeInfo.of(n)))
                    .containsExactly("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
        }

        @Test
        void tolerationOfTheImpliedTaintPasses() {
            ObjectNode p = tolerate(pod("p", null, null), "node.kubernetes.io/not-ready", "Exists", null, null);
            assertThat(filter.filter(info(p), NodeInfo.of(ready(node("n", "1", "1Gi"), "False")))).isEmpty();
            assertThat(filter.filter(info(p), NodeInfo.of(ready(node("n", "1", "1Gi"), "Unknown")))).isNotEmpty();
        }
    }

    @Nested
    class Taints {
        private final TaintToleration filter = new TaintToleration();

        private List<String> filter(ObjectNode pod, ObjectNode node) {
            return filter.filter(info(pod), NodeInfo.of(node));
        }

        @Test
        void untoleratedNoScheduleAndNoExecuteRefuse() {
            assertThat(filter(pod("p", null, null), taint(node("n", "1", "1Gi"), "dedicated", "gpu", "NoSchedule")))
                    .containsExactly("node(s) had untolerated taint {dedicated: gpu}");
            assertThat(filter(pod("p", null, null), taint(node("n", "1", "1Gi"), "evict", null, "NoExecute")))
                    .containsExactly("node(s) had untolerated taint {evict: }");
        }

        @Test
        void preferNoScheduleNeverRefuses() {
            assertThat(filter(pod("p", null, null), taint(node("n", "1", "1Gi"), "soft", "x", "PreferNoSchedule"))).isEmpty();
        }

        @Test
        void theFirstUntoleratedTaintIsNamed() {
            ObjectNode n = taint(taint(taint(node("n", "1", "1Gi"), "a", "1", "NoSchedule"), "b", "2", "NoExecute"), "c", "3", "NoSchedule");
            ObjectNode p = tolerate(pod("p", null, null), "a", "Equal", "1", "NoSchedule");
            assertThat(filter(p, n)).containsExactly("node(s) had untolerated taint {b: 2}");
        }

        @Test
        void tolerationsMatchKeyValueAndEffect() {
            ObjectNode n = taint(node("n", "1", "1Gi"), "dedicated", "gpu", "NoSchedule");
            assertThat(filter(tolerate(pod("p", null, null), "dedicated", "Equal", "gpu", "NoSchedule"), n)).isEmpty();
            assertThat(filter(tolerate(pod("p", null, null), "dedicated", null, "gpu", null), n)).isEmpty();
            assertThat(filter(tolerate(pod("p", null, null), "dedicated", "Exists", null, null), n)).isEmpty();
            assertThat(filter(tolerate(pod("p", null, null), "dedicated", "Equal", "cpu", "NoSchedule"), n)).isNotEmpty();
            assertThat(filter(tolerate(pod("p", null, null), "dedicated", "Exists", null, "NoExecute"), n)).isNotEmpty();
            assertThat(filter(tolerate(pod("p", null, null), "other", "Exists", null, null), n)).isNotEmpty();
        }

        @Test
        void emptyKeyWithExistsToleratesEveryTaint() {
            ObjectNode n = taint(taint(node("n", "1", "1Gi"), "a", "1", "NoSchedule"), "b", null, "NoExecute");
            assertThat(filter(tolerate(pod("p", null, null), null, "Exists", null, null), n)).isEmpty();
            assertThat(filter(tolerate(pod("p", null, null), "", "Exists", null, "NoSchedule"), n))
                    .containsExactly("node(s) had untolerated taint {b: }");
        }
    }

    @Nested
    class Affinity {
        private final NodeAffinity filter = new NodeAffinity();
        private final ObjectNode node = label(label(label(node("node-1", "1", "1Gi"), "zone", "a"), "gen", "5"), "ssd", "");

        private boolean fits(String specYaml) {
            ObjectNode p = pod("p", null, null);
            p.set("spec", yaml(specYaml));
            return filter.filter(info(p), NodeInfo.of(node)).isEmpty();
        }

        private boolean fitsExpression(String expression) {
            return fits("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
                    + "{nodeSelectorTerms: [{matchExpressions: [" + expression + "]}]}}}");
        }

        @Test
        void nodeSelectorNeedsEveryLabel() {
            assertThat(fits("nodeSelector: {zone: a}")).isTrue();
            assertThat(fits("nodeSelector: {zone: a, gen: '5'}")).isTrue();
            assertThat(fits("nodeSelector: {zone: a, gen: '6'}")).isFalse();
            assertThat(fits("nodeSelector: {region: a}")).isFalse();
            assertThat(fits("nodeSelector: {ssd: ''}")).isTrue();
            assertThat(fits("nodeSelector: {}")).isTrue();
        }

        @Test
        void theReasonIsKubeSchedulers() {
            ObjectNode p = pod("p", null, null);
            spec(p).putObject("nodeSelector").put("zone", "b");
            assertThat(filter.filter(info(p), NodeInfo.of(node))).containsExactly("node(s) didn't match Pod's node affinity/selector");
        }

        @ParameterizedTest(name = "{0} -> {1}")
        @CsvSource(delimiter = '|', value = {
            "{key: zone, operator: In, values: [a, b]} | true",
            "{key: zone, operator: In, values: [b]} | false",
            "{key: region, operator: In, values: [a]} | false",
            "{key: zone, operator: NotIn, values: [b]} | true",
            "{key: zone, operator: NotIn, values: [a]} | false",
            "{key: region, operator: NotIn, values: [a]} | true",
            "{key: zone, operator: Exists} | true",
            "{key: ssd, operator: Exists} | true",
            "{key: region, operator: Exists} | false",
            "{key: region, operator: DoesNotExist} | true",
            "{key: zone, operator: DoesNotExist} | false",
            "{key: gen, operator: Gt, values: ['4']} | true",
            "{key: gen, operator: Gt, values: ['5']} | false",
            "{key: gen, operator: Lt, values: ['6']} | true",
            "{key: gen, operator: Lt, values: ['-1']} | false",
            "{key: zone, operator: Gt, values: ['1']} | false",
            "{key: gen, operator: Gt, values: [x]} | false",
            "{key: gen, operator: Gt, values: ['1', '2']} | false",
            "{key: region, operator: Lt, values: ['9']} | false",
            "{key: zone, operator: Like, values: [a]} | false",
            "{key: zone, operator: In, values: [a]}, {key: gen, operator: Gt, values: ['9']} | false",
            "{key: zone, operator: In, values: [a]}, {key: gen, operator: Gt, values: ['1']} | true",
        })
        void matchExpressions(String expressions, boolean fits) {
            assertThat(fitsExpression(expressions)).isEqualTo(fits);
        }

        @Test
        void termsAreOredAndAnEmptyTermMatchesNothing() {
            String zoneB = "{matchExpressions: [{key: zone, operator: In, values: [b]}]}";
            String zoneA = "{matchExpressions: [{key: zone, operator: In, values: [a]}]}";
            String prefix = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [";
            assertThat(fits(prefix + zoneB + ", " + zoneA + "]}}}")).isTrue();
            assertThat(fits(prefix + zoneB + "]}}}")).isFalse();
            assertThat(fits(prefix + "{}]}}}")).isFalse();
            assertThat(fits(prefix + "]}}}")).isFalse();
        }

        @Test
        void matchFieldsOnTheNodeName() {
            String prefix = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [";
            assertThat(fits(prefix + "{key: metadata.name, operator: In, values: [node-1]}]}]}}}")).isTrue();
            assertThat(fits(prefix + "{key: metadata.name, operator: In, values: [node-2]}]}]}}}")).isFalse();
            assertThat(fits(prefix + "{key: metadata.name, operator: NotIn, values: [node-2]}]}]}}}")).isTrue();
            assertThat(fits(prefix + "{key: metadata.name, operator: Exists}]}]}}}")).isFalse();
            assertThat(fits(prefix + "{key: metadata.uid, operator: In, values: [node-1]}]}]}}}")).isFalse();
        }

        @Test
        void nodeSelectorAndAffinityMustBothMatch() {
            String affinity = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
                    + "{nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}";
            assertThat(fits("nodeSelector: {gen: '5'}\n" + affinity)).isTrue();
            assertThat(fits("nodeSelector: {gen: '6'}\n" + affinity)).isFalse();
        }

        @Test
        void preferredAffinityDoesNotFilter() {
            assertThat(fits("affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: "
                    + "[{weight: 10, preference: {matchExpressions: [{key: zone, operator: In, values: [z]}]}}]}}")).isTrue();
        }
    }
}
