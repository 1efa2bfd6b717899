package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Heterogeneous VMs onto heterogeneous nodes through the whole loop: no node is ever overcommitted, and every pod
 * that can fit does.
 */
class PackingTest {
    private static final String[][] VM_SIZES = {
        {"250m", "128Mi"}, {"500m", "512Mi"}, {"1", "1Gi"}, {"2", "4Gi"}, {"4", "8Gi"}, {"1", "6Gi"}, {"3", "1Gi"},
        {null, null}, // the default VM: 1 CPU, 128Mi
    };
    private static final String[][] NODE_SIZES = {{"4", "8Gi"}, {"8", "32Gi"}, {"16", "16Gi"}, {"2", "4Gi"}, {"32", "64Gi"}};

    private record Outcome(Map<String, String> bound, List<ObjectNode> pods, Scheduler scheduler) {}

    private static Outcome pack(long seed, int nodeCount, int podCount) throws Exception {
        Random random = new Random(seed);
        ManualClock clock = new ManualClock();
        Map<String, String> bound = new ConcurrentHashMap<>();
        // The binder does what the API server and the watch would: record the bind, then report the pod bound.
        java.util.concurrent.atomic.AtomicReference<Scheduler> self = new java.util.concurrent.atomic.AtomicReference<>();
        Binder binder = (pod, node) -> {
            bound.put(PodInfo.key(pod), node);
            self.get().onPodUpdate(pod, boundTo(((ObjectNode) pod).deepCopy(), node));
        };
        Scheduler scheduler = new Scheduler(binder, (pod, msg) -> {}, SchedulerConfig.defaults().withSeed(seed), clock);
        self.set(scheduler);
        for (int i = 0; i < nodeCount; i++) {
            String[] size = NODE_SIZES[random.nextInt(NODE_SIZES.length)];
            scheduler.onNodeAdd(node("node-" + i, size[0], size[1], 30));
        }
        List<ObjectNode> pods = new ArrayList<>();
        for (int i = 0; i < podCount; i++) {
            String[] size = VM_SIZES[random.nextInt(VM_SIZES.length)];
            ObjectNode pod = pod("vm-" + i, size[0], size[1]);
            pods.add(pod);
            scheduler.onPodAdd(pod);
        }
        // Every pod gets tried at least once; retries come from the flush after each backoff.
        for (int round = 0; round < 3; round++) {
            while (scheduler.queue().counts().get(SchedulingQueue.State.ACTIVE) > 0) scheduler.scheduleOne();
            clock.advance(Duration.ofSeconds(61));
            scheduler.queue().flush();
        }
        for (int i = 0; i < 500 && scheduler.queue().counts().get(SchedulingQueue.State.IN_FLIGHT) > 0; i++) Thread.sleep(10);
        return new Outcome(bound, pods, scheduler);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void noNodeIsOvercommittedAndEveryPodThatFitsIsPlaced(long seed) throws Exception {
        Outcome o = pack(seed, 20, 400);
        try (Scheduler scheduler = o.scheduler()) {
            List<NodeInfo> nodes = scheduler.snapshot();
            for (NodeInfo n : nodes) {
                assertThat(n.requested().milliCpu()).as(n.name() + " cpu").isLessThanOrEqualTo(n.allocatable().milliCpu());
                assertThat(n.requested().memory()).as(n.name() + " memory").isLessThanOrEqualTo(n.allocatable().memory());
                assertThat(n.requested().pods()).as(n.name() + " pods").isLessThanOrEqualTo(n.allocatable().pods());
            }
            // Recomputed from the binds alone, independent of the cache's bookkeeping.
            Map<String, Resources> used = new java.util.HashMap<>();
            for (ObjectNode p : o.pods()) {
                String node = o.bound().get(PodInfo.key(p));
                if (node != null) used.merge(node, PodRequest.of(p).asResources(), Resources::plus);
            }
            for (NodeInfo n : nodes) assertThat(used.getOrDefault(n.name(), Resources.NONE)).isEqualTo(n.requested());
            // Every pod left over fits nowhere, even on the emptiest room any node still has.
            for (ObjectNode p : o.pods()) {
                if (o.bound().containsKey(PodInfo.key(p))) continue;
                PodRequest r = PodRequest.of(p);
                for (NodeInfo n : nodes) {
                    Resources free = n.allocatable().minus(n.requested());
                    assertThat(r.milliCpu() <= free.milliCpu() && r.memory() <= free.memory() && free.pods() >= 1)
                            .as("%s (%s) was left out but fits on %s (free %s)", PodInfo.key(p), r, n.name(), free).isFalse();
                }
            }
        }
    }

    @Test
    void aClusterWithRoomForEverythingPlacesEverything() throws Exception {
        Outcome o = pack(9, 40, 150);
        try (Scheduler scheduler = o.scheduler()) {
            assertThat(o.bound()).hasSize(150);
            assertThat(scheduler.queue().counts().values()).allMatch(c -> c == 0);
        }
    }

    @Test
    void bigVmsFindTheBigNodesAfterSmallOnesSpread() throws Exception {
        ManualClock clock = new ManualClock();
        Map<String, String> bound = new ConcurrentHashMap<>();
        try (Scheduler scheduler = new Scheduler((pod, node) -> bound.put(PodInfo.key(pod), node), (p, m) -> {},
                SchedulerConfig.defaults().withSeed(1), clock)) {
            scheduler.onNodeAdd(node("small-1", "2", "2Gi"));
            scheduler.onNodeAdd(node("small-2", "2", "2Gi"));
            scheduler.onNodeAdd(node("big", "8", "16Gi"));
            for (int i = 0; i < 4; i++) scheduler.onPodAdd(pod("tiny-" + i, "500m", "256Mi"));
            scheduler.onPodAdd(pod("huge", "6", "12Gi"));
            while (scheduler.queue().counts().get(SchedulingQueue.State.ACTIVE) > 0) scheduler.scheduleOne();
            for (int i = 0; i < 500 && bound.size() < 5; i++) Thread.sleep(10);
            assertThat(bound).hasSize(5).containsEntry("ns1/huge", "big");
        }
    }
}
