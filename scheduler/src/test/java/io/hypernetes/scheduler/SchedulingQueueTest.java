package io.hypernetes.scheduler;

import static io.hypernetes.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.scheduler.SchedulingQueue.State;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SchedulingQueueTest {
    private final ManualClock clock = new ManualClock();
    private final SchedulingQueue queue = new SchedulingQueue(clock, SchedulerConfig.defaults());

    private static ObjectNode pod(String name, int priority, String created) {
        ObjectNode p = Fixtures.pod(name, "1", "1Gi");
        spec(p).put("priority", priority);
        Fixtures.obj(p, "metadata").put("creationTimestamp", created);
        return p;
    }

    private String popName() throws InterruptedException {
        return queue.pop().info().name();
    }

    @Test
    void highestPriorityFirstThenOldest() throws Exception {
        queue.add(pod("low-old", 0, "2025-01-01T00:00:00Z"));
        queue.add(pod("high-new", 100, "2025-01-03T00:00:00Z"));
        queue.add(pod("low-new", 0, "2025-01-02T00:00:00Z"));
        queue.add(pod("high-old", 100, "2025-01-02T00:00:00Z"));
        queue.add(pod("negative", -5, "2024-01-01T00:00:00Z"));
        assertThat(new String[] {popName(), popName(), popName(), popName(), popName()})
                .containsExactly("high-old", "high-new", "low-old", "low-new", "negative");
    }

    @Test
    void equalPodsComeOutInArrivalOrder() throws Exception {
        for (String n : new String[] {"c", "a", "b"}) queue.add(pod(n, 0, "2025-01-01T00:00:00Z"));
        assertThat(new String[] {popName(), popName(), popName()}).containsExactly("c", "a", "b");
    }

    @Test
    void anUpdateReordersAnActivePod() throws Exception {
        queue.add(pod("a", 0, "2025-01-01T00:00:00Z"));
        queue.add(pod("b", 0, "2025-01-02T00:00:00Z"));
        queue.update(pod("b", 10, "2025-01-02T00:00:00Z"));
        assertThat(popName()).isEqualTo("b");
        assertThat(queue.counts()).containsEntry(State.ACTIVE, 1).containsEntry(State.IN_FLIGHT, 1);
    }

    @Test
    void backoffDoublesPerAttemptUpToTheMax() {
        assertThat(queue.backoffDuration(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(queue.backoffDuration(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(queue.backoffDuration(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(queue.backoffDuration(4)).isEqualTo(Duration.ofSeconds(8));
        assertThat(queue.backoffDuration(5)).isEqualTo(Duration.ofSeconds(10));
        assertThat(queue.backoffDuration(100)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aFailedPodWaitsItsBackoffThenIsActiveAgain() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        for (int attempt = 1; attempt <= 5; attempt++) {
            var popped = queue.pop();
            assertThat(popped.attempts()).isEqualTo(attempt);
            queue.requeueWithBackoff(popped);
            assertThat(queue.state("ns1/p")).isEqualTo(State.BACKOFF);
            Duration wait = queue.backoffDuration(attempt);
            clock.advance(wait.minusMillis(1));
            queue.flush();
            assertThat(queue.state("ns1/p")).as("attempt %d before %s", attempt, wait).isEqualTo(State.BACKOFF);
            clock.advance(Duration.ofMillis(1));
            queue.flush();
            assertThat(queue.state("ns1/p")).isEqualTo(State.ACTIVE);
        }
    }

    @Test
    void unschedulablePodsWaitForAnEvent() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        queue.addUnschedulable(queue.pop());
        assertThat(queue.state("ns1/p")).isEqualTo(State.UNSCHEDULABLE);
        clock.advance(Duration.ofSeconds(30));
        queue.flush();
        assertThat(queue.state("ns1/p")).isEqualTo(State.UNSCHEDULABLE);
        queue.moveAllToActiveOrBackoff();
        assertThat(queue.state("ns1/p")).isEqualTo(State.ACTIVE);
    }

    @Test
    void aMoveDuringTheBackoffGoesToBackoffFirst() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        queue.addUnschedulable(queue.pop());
        clock.advance(Duration.ofMillis(500));
        queue.moveAllToActiveOrBackoff();
        assertThat(queue.state("ns1/p")).isEqualTo(State.BACKOFF);
        clock.advance(Duration.ofMillis(500));
        queue.flush();
        assertThat(queue.state("ns1/p")).isEqualTo(State.ACTIVE);
    }

    @Test
    void unschedulablePodsAreRetriedAfterSixtySecondsWithoutAnyEvent() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        queue.addUnschedulable(queue.pop());
        clock.advance(Duration.ofSeconds(59));
        queue.flush();
        assertThat(queue.state("ns1/p")).isEqualTo(State.UNSCHEDULABLE);
        clock.advance(Duration.ofSeconds(1));
        queue.flush();
        assertThat(queue.state("ns1/p")).isEqualTo(State.ACTIVE);
    }

    @Test
    void anEventDuringTheAttemptSendsTheFailureToBackoffNotUnschedulable() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        var popped = queue.pop();
        queue.moveAllToActiveOrBackoff(); // e.g. a node was added while the pod was being scheduled
        queue.addUnschedulable(popped);
        assertThat(queue.state("ns1/p")).isEqualTo(State.BACKOFF);
        // A later attempt with no event in between goes to unschedulable as usual.
        clock.advance(Duration.ofSeconds(1));
        queue.flush();
        queue.addUnschedulable(queue.pop());
        assertThat(queue.state("ns1/p")).isEqualTo(State.UNSCHEDULABLE);
    }

    @Test
    void anUpdateGivesAnUnschedulablePodAnotherTry() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        queue.addUnschedulable(queue.pop());
        clock.advance(Duration.ofSeconds(2));
        queue.update(pod("p", 0, "2025-01-01T00:00:00Z"));
        assertThat(queue.state("ns1/p")).isEqualTo(State.ACTIVE);
    }

    @Test
    void deletesRemoveEverywhereAndDropInFlightPodsWhenTheyComeBack() throws Exception {
        queue.add(pod("a", 0, "2025-01-01T00:00:00Z"));
        queue.add(pod("b", 0, "2025-01-02T00:00:00Z"));
        var a = queue.pop();
        queue.delete("ns1/a");
        queue.delete("ns1/b");
        assertThat(queue.state("ns1/b")).isEqualTo(State.ABSENT);
        assertThat(queue.state("ns1/a")).isEqualTo(State.IN_FLIGHT);
        queue.requeueWithBackoff(a);
        assertThat(queue.state("ns1/a")).isEqualTo(State.ABSENT);
        queue.delete("ns1/unknown");
    }

    @Test
    void updatesToAnInFlightPodAreKeptForItsNextAttempt() throws Exception {
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        var first = queue.pop();
        queue.update(pod("p", 7, "2025-01-01T00:00:00Z"));
        queue.requeueWithBackoff(first);
        clock.advance(Duration.ofSeconds(1));
        queue.flush();
        var second = queue.pop();
        assertThat(second.info().priority()).isEqualTo(7);
        assertThat(second.attempts()).isEqualTo(2);
        queue.done(second);
        assertThat(queue.state("ns1/p")).isEqualTo(State.ABSENT);
    }

    @Test
    void popBlocksUntilAPodArrivesAndCloseReleasesIt() throws Exception {
        CompletableFuture<String> popped = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.pop().info().name();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(popped).isNotDone();
        queue.add(pod("p", 0, "2025-01-01T00:00:00Z"));
        assertThat(popped.get(5, TimeUnit.SECONDS)).isEqualTo("p");

        CompletableFuture<SchedulingQueue.QueuedPod> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.pop();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        queue.close();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void concurrentProducersAndOneConsumerLoseNothing() throws Exception {
        int producers = 8;
        int each = 500;
        Thread[] threads = new Thread[producers];
        for (int t = 0; t < producers; t++) {
            int id = t;
            threads[t] = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < each; i++) queue.add(Fixtures.pod("p" + id + "-" + i, "1", "1Gi"));
            });
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < producers * each; i++) {
            var p = queue.pop();
            assertThat(seen.add(p.key())).isTrue();
            queue.done(p);
        }
        for (Thread t : threads) t.join();
        assertThat(queue.counts().values()).allMatch(c -> c == 0);
    }
}
