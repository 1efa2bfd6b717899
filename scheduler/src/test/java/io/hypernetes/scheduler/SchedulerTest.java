package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.scheduler.SchedulingQueue.State;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The loop with test doubles of its two seams: a binder that records binds (or refuses), a recorder of events. */
class SchedulerTest {
    private final ManualClock clock = new ManualClock();
    private final Map<String, String> bound = new ConcurrentHashMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private volatile boolean refuse;
    private final Binder binder = (pod, node) -> {
        if (refuse) throw new IllegalStateException("pods \"" + pod.path("metadata").path("name").asText() + "\" is being deleted");
        bound.put(PodInfo.key(pod), node);
    };
    private final FailureReporter recorder = (pod, message) -> events.add(PodInfo.key(pod) + ": " + message);
    private final Scheduler scheduler = new Scheduler(binder, recorder, SchedulerConfig.defaults().withSeed(1), clock);

    @AfterEach
    void close() {
        scheduler.close();
    }

    private void awaitBound(String key) throws InterruptedException {
        for (int i = 0; i < 500 && !bound.containsKey(key); i++) Thread.sleep(10);
        assertThat(bound).containsKey(key);
    }

    private void awaitState(String key, State state) throws InterruptedException {
        for (int i = 0; i < 500 && scheduler.queue().state(key) != state; i++) Thread.sleep(10);
        assertThat(scheduler.queue().state(key)).isEqualTo(state);
    }

    @Test
    void aPendingPodIsBoundAndAssumedUntilTheWatchConfirms() throws Exception {
        scheduler.onNodeAdd(node("n1", "2", "4Gi"));
        scheduler.onPodAdd(pod("p", "1", "1Gi"));
        assertThat(scheduler.scheduleOne()).isTrue();
        awaitBound("ns1/p");
        assertThat(bound).containsEntry("ns1/p", "n1");
        awaitState("ns1/p", State.ABSENT);
        assertThat(scheduler.cache().isAssumed("ns1/p")).isTrue();
        scheduler.onPodUpdate(pod("p", "1", "1Gi"), boundTo(pod("p", "1", "1Gi"), "n1"));
        assertThat(scheduler.cache().isAssumed("ns1/p")).isFalse();
        assertThat(scheduler.snapshot().getFirst().requested().milliCpu()).isEqualTo(1000);
        assertThat(events).isEmpty();
    }

    @Test
    void theNextPodSeesTheAssumedOneBeforeAnyBindIsConfirmed() throws Exception {
        scheduler.onNodeAdd(node("n1", "1", "4Gi"));
        scheduler.onNodeAdd(node("n2", "1", "4Gi"));
        scheduler.onPodAdd(pod("a", "1", "1Gi"));
        scheduler.onPodAdd(pod("b", "1", "1Gi"));
        scheduler.onPodAdd(pod("c", "1", "1Gi"));
        scheduler.scheduleOne();
        scheduler.scheduleOne();
        scheduler.scheduleOne();
        awaitBound("ns1/a");
        awaitBound("ns1/b");
        assertThat(bound.values()).containsExactlyInAnyOrder("n1", "n2");
        assertThat(events).containsExactly("ns1/c: 0/2 nodes are available: 2 Insufficient cpu.");
        assertThat(scheduler.queue().state("ns1/c")).isEqualTo(State.UNSCHEDULABLE);
    }

    @Test
    void anUnschedulablePodIsRetriedWhenANodeArrives() throws Exception {
        scheduler.onPodAdd(pod("p", "4", "1Gi"));
        scheduler.scheduleOne();
        assertThat(events).containsExactly("ns1/p: no nodes available to schedule pods");
        scheduler.onNodeAdd(node("small", "2", "4Gi"));
        clock.advance(Duration.ofSeconds(1));
        scheduler.queue().flush();
        scheduler.scheduleOne();
        assertThat(events).last().isEqualTo("ns1/p: 0/1 nodes are available: 1 Insufficient cpu.");
        // A heartbeat changes nothing the filters read: the pod stays put.
        ObjectNode heartbeat = node("small", "2", "4Gi");
        Fixtures.obj(heartbeat, "status").put("lastHeartbeat", "now");
        scheduler.onNodeUpdate(node("small", "2", "4Gi"), heartbeat);
        assertThat(scheduler.queue().state("ns1/p")).isEqualTo(State.UNSCHEDULABLE);
        // Resizing it does.
        scheduler.onNodeUpdate(heartbeat, node("small", "8", "4Gi"));
        clock.advance(Duration.ofSeconds(2));
        scheduler.queue().flush();
        assertThat(scheduler.queue().state("ns1/p")).isEqualTo(State.ACTIVE);
        scheduler.scheduleOne();
        awaitBound("ns1/p");
    }

    @Test
    void aDeletedPodFreesRoomForAnUnschedulableOne() throws Exception {
        scheduler.onNodeAdd(node("n1", "2", "4Gi"));
        ObjectNode running = boundTo(pod("running", "2", "1Gi"), "n1");
        scheduler.onPodAdd(running);
        scheduler.onPodAdd(pod("waiting", "2", "1Gi"));
        scheduler.scheduleOne();
        assertThat(scheduler.queue().state("ns1/waiting")).isEqualTo(State.UNSCHEDULABLE);
        scheduler.onPodDelete(running);
        clock.advance(Duration.ofSeconds(1));
        scheduler.queue().flush();
        scheduler.scheduleOne();
        awaitBound("ns1/waiting");
    }

    @Test
    void aFinishedPodFreesRoomToo() throws Exception {
        scheduler.onNodeAdd(node("n1", "2", "4Gi"));
        ObjectNode job = boundTo(pod("job", "2", "1Gi"), "n1");
        scheduler.onPodAdd(job);
        ObjectNode done = job.deepCopy();
        done.putObject("status").put("phase", "Succeeded");
        scheduler.onPodUpdate(job, done);
        assertThat(scheduler.snapshot().getFirst().requested()).isEqualTo(Resources.NONE);
    }

    @Test
    void aRefusedBindIsForgottenReportedAndRetriedAfterBackoff() throws Exception {
        scheduler.onNodeAdd(node("n1", "2", "4Gi"));
        scheduler.onPodAdd(pod("p", "2", "1Gi"));
        refuse = true;
        scheduler.scheduleOne();
        awaitState("ns1/p", State.BACKOFF);
        assertThat(events).containsExactly("ns1/p: Binding rejected: pods \"p\" is being deleted");
        assertThat(scheduler.cache().nodeOf("ns1/p")).isNull();
        assertThat(scheduler.snapshot().getFirst().requested()).isEqualTo(Resources.NONE);
        refuse = false;
        clock.advance(Duration.ofSeconds(1));
        scheduler.queue().flush();
        scheduler.scheduleOne();
        awaitBound("ns1/p");
    }

    @Test
    void podsForOtherSchedulersAndAssignedPodsAreNotQueued() {
        ObjectNode other = pod("other", "1", "1Gi");
        spec(other).put("schedulerName", "my-scheduler");
        scheduler.onPodAdd(other);
        scheduler.onPodAdd(boundTo(pod("bound", "1", "1Gi"), "n1"));
        ObjectNode deleting = pod("deleting", "1", "1Gi");
        Fixtures.obj(deleting, "metadata").put("deletionTimestamp", "2025-01-01T00:00:00Z");
        scheduler.onPodAdd(deleting);
        assertThat(scheduler.queue().counts().values()).allMatch(c -> c == 0);
        assertThat(scheduler.cache().nodeOf("ns1/bound")).isEqualTo("n1");
    }

    @Test
    void aPodBoundBySomeoneElseLeavesTheQueue() {
        scheduler.onPodAdd(pod("p", "1", "1Gi"));
        scheduler.onPodUpdate(pod("p", "1", "1Gi"), boundTo(pod("p", "1", "1Gi"), "n9"));
        assertThat(scheduler.queue().state("ns1/p")).isEqualTo(State.ABSENT);
        scheduler.onPodDelete(pod("p", "1", "1Gi"));
        assertThat(scheduler.cache().nodeOf("ns1/p")).isNull();
    }

    @Test
    void theRunningLoopSchedulesAsPodsArrive() throws Exception {
        CountDownLatch all = new CountDownLatch(20);
        Binder counting = (pod, node) -> all.countDown();
        SchedulerConfig config = SchedulerConfig.defaults().withSeed(3).withFlushInterval(Duration.ofMillis(20));
        try (Scheduler running = new Scheduler(counting, recorder, config)) {
            running.start();
            for (int i = 0; i < 4; i++) running.onNodeAdd(node("n" + i, "4", "8Gi"));
            for (int i = 0; i < 20; i++) running.onPodAdd(pod("p" + i, "500m", "1Gi"));
            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            long total = running.snapshot().stream().mapToLong(n -> n.requested().pods()).sum();
            assertThat(total).isEqualTo(20);
            assertThat(running.snapshot()).allMatch(n -> n.requested().milliCpu() <= n.allocatable().milliCpu());
        }
    }

    @Test
    void anUnschedulablePodIsRetriedByTheFlushTimerWithoutAnyEvent() throws Exception {
        CountDownLatch boundOnce = new CountDownLatch(1);
        List<JsonNode> tried = new CopyOnWriteArrayList<>();
        SchedulerConfig config = new SchedulerConfig("default-scheduler", 0, Duration.ofMillis(10), Duration.ofMillis(20),
                Duration.ofMillis(100), Duration.ofMillis(10), Duration.ofSeconds(30), 1);
        try (Scheduler running = new Scheduler((p, n) -> boundOnce.countDown(), (p, m) -> tried.add(p), config)) {
            running.start();
            running.cache().updateNode(node("n1", "1", "1Gi")); // bypasses onNodeAdd: no move event
            running.onPodAdd(pod("p", "2", "1Gi"));
            for (int i = 0; i < 500 && tried.size() < 3; i++) Thread.sleep(10);
            assertThat(tried.size()).as("retried every maxUnschedulable").isGreaterThanOrEqualTo(3);
            running.cache().updateNode(node("n1", "4", "1Gi"));
            assertThat(boundOnce.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
