package io.hypernetes.client.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

    @Test
    void deduplicatesWaitingKeysAndRequeuesKeysAddedWhileProcessing() throws Exception {
        try (WorkQueue q = new WorkQueue("t")) {
            q.add("a");
            q.add("a");
            q.add("b");
            assertThat(q.length()).isEqualTo(2);
            String first = q.take().orElseThrow();
            assertThat(first).isEqualTo("a");
            q.add("a"); // while processing: not handed to another worker
            assertThat(q.take().orElseThrow()).isEqualTo("b");
            assertThat(q.length()).isZero();
            q.done("a");
            assertThat(q.take().orElseThrow()).isEqualTo("a");
        }
    }

    @Test
    void oneKeyIsNeverProcessedTwiceAtOnceAndFailuresRetryWithBackoff() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch retried = new CountDownLatch(3);
        try (WorkQueue q = new WorkQueue("t", Duration.ofMillis(10), Duration.ofMillis(40))) {
            q.run(4, key -> {
                if (key.equals("fail")) {
                    retried.countDown();
                    throw new IllegalStateException("boom");
                }
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                Thread.sleep(5);
                seen.add(key);
                inFlight.decrementAndGet();
            });
            for (int i = 0; i < 200; i++) q.add("same");
            q.add("fail");
            assertThat(retried.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(q.retries("fail")).isGreaterThanOrEqualTo(2);
            Thread.sleep(100);
            assertThat(maxInFlight.get()).isEqualTo(1);
            assertThat(seen.size()).isBetween(1, 200);
        }
        assertThat(new WorkQueue("x").backoff(0)).isEqualTo(Duration.ofMillis(5));
        assertThat(new WorkQueue("x").backoff(40)).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void rateLimitedAddsAnswerTheirDoublingWaitUntilForgotten() {
        try (WorkQueue q = new WorkQueue("t", Duration.ofMillis(200), Duration.ofSeconds(1))) {
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(200));
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(400));
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(800));
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofSeconds(1));
            assertThat(q.addRateLimited("b")).isEqualTo(Duration.ofMillis(200));
            assertThat(q.retries("a")).isEqualTo(4);
            q.forget("a");
            assertThat(q.retries("a")).isZero();
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(200));
        }
    }

    @Test
    void keysSplitIntoNamespaceAndName() {
        assertThat(WorkQueue.split("ns/a")).containsExactly("ns", "a");
        assertThat(WorkQueue.split("a")).containsExactly("", "a");
        assertThat(WorkQueue.key("ns", "a")).isEqualTo("ns/a");
    }
}
