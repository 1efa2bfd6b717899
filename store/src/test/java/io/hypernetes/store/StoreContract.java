package io.hypernetes.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link Store} must do, whatever keeps its data. Each implementation extends this class.
 *
 * <p>Written to run against a shared etcd as well: every test works under its own random prefix and watches
 * only that prefix; it assumes revisions are monotonic and that a refused write changes nothing, but not that
 * a fresh store starts at any particular revision.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class StoreContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    protected Store store;
    /** This test's key space: {@code prefix + name}. */
    protected String prefix;

    /** A store for one test; closed after it. */
    protected abstract Store newStore();

    /**
     * Closes {@code store} and opens the same data again, or returns empty if the implementation cannot
     * (the reopen tests are then skipped).
     */
    protected Optional<Store> reopen(Store store) {
        return Optional.empty();
    }

    @BeforeEach
    void openStore() {
        store = newStore();
        prefix = "/contract/" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeStore() {
        if (store != null) store.close();
    }

    // ---- create, get --------------------------------------------------------------------------------------

    @Test
    void createThenGet() {
        long before = store.revision();
        KeyValue kv = store.create(key("a"), bytes("one"));

        assertThat(kv.key()).isEqualTo(key("a"));
        assertThat(text(kv)).isEqualTo("one");
        assertThat(kv.modRevision()).isGreaterThan(before);
        assertThat(kv.createRevision()).isEqualTo(kv.modRevision());
        assertThat(kv.version()).isEqualTo(1);
        assertThat(store.revision()).isGreaterThanOrEqualTo(kv.modRevision());
        assertSame(store.get(key("a")).orElseThrow(), kv);
        assertThat(store.get(key("missing"))).isEmpty();
    }

    @Test
    void createOfAnExistingKeyIsRefusedAndWritesNothing() {
        KeyValue first = store.create(key("a"), bytes("one"));
        long revision = store.revision();

        assertThatThrownBy(() -> store.create(key("a"), bytes("two"))).isInstanceOf(KeyExistsException.class);

        assertThat(store.revision()).isEqualTo(revision);
        assertSame(store.get(key("a")).orElseThrow(), first);
    }

    @Test
    void storedValuesAreCopiesOfTheCallersArray() {
        byte[] value = bytes("one");
        store.create(key("a"), value);
        value[0] = 'X';
        assertThat(text(store.get(key("a")).orElseThrow())).isEqualTo("one");
    }

    @Test
    void revisionsIncreaseWithEveryWrite() {
        KeyValue a = store.create(key("a"), bytes("1"));
        KeyValue b = store.create(key("b"), bytes("1"));
        KeyValue a2 = store.update(key("a"), bytes("2"), 0);
        Store.Deleted d = store.delete(key("b"), 0);

        assertThat(List.of(a.modRevision(), b.modRevision(), a2.modRevision(), d.revision())).isSorted().doesNotHaveDuplicates();
        assertThat(store.revision()).isGreaterThanOrEqualTo(d.revision());
    }

    // ---- update -------------------------------------------------------------------------------------------

    @Test
    void updateBumpsVersionAndKeepsCreateRevision() {
        KeyValue created = store.create(key("a"), bytes("one"));
        KeyValue updated = store.update(key("a"), bytes("two"), 0);

        assertThat(text(updated)).isEqualTo("two");
        assertThat(updated.createRevision()).isEqualTo(created.createRevision());
        assertThat(updated.modRevision()).isGreaterThan(created.modRevision());
        assertThat(updated.version()).isEqualTo(2);
        assertSame(store.get(key("a")).orElseThrow(), updated);
    }

    @Test
    void updateWithTheExpectedRevisionSucceeds() {
        KeyValue created = store.create(key("a"), bytes("one"));
        KeyValue updated = store.update(key("a"), bytes("two"), created.modRevision());
        KeyValue again = store.update(key("a"), bytes("three"), updated.modRevision());
        assertThat(again.version()).isEqualTo(3);
        assertThat(text(store.get(key("a")).orElseThrow())).isEqualTo("three");
    }

    @Test
    void updateWithAStaleRevisionIsRefusedWithTheCurrentValue() {
        KeyValue created = store.create(key("a"), bytes("one"));
        KeyValue updated = store.update(key("a"), bytes("two"), 0);
        long revision = store.revision();

        RevisionMismatchException e = catchThrowableOfType(RevisionMismatchException.class,
                () -> store.update(key("a"), bytes("three"), created.modRevision()));

        assertThat(e).isNotNull();
        assertSame(e.current(), updated);
        assertThat(store.revision()).isEqualTo(revision);
        assertThat(text(store.get(key("a")).orElseThrow())).isEqualTo("two");
    }

    @Test
    void updateOfAMissingKeyIsRefused() {
        long revision = store.revision();
        assertThatThrownBy(() -> store.update(key("missing"), bytes("x"), 0)).isInstanceOf(KeyNotFoundException.class);
        assertThat(store.revision()).isEqualTo(revision);
        assertThat(store.get(key("missing"))).isEmpty();
    }

    // ---- delete -------------------------------------------------------------------------------------------

    @Test
    void deleteReturnsThePreviousValueAndItsRevision() {
        store.create(key("a"), bytes("one"));
        KeyValue updated = store.update(key("a"), bytes("two"), 0);

        Store.Deleted deleted = store.delete(key("a"), 0);

        assertSame(deleted.prevKv(), updated);
        assertThat(deleted.revision()).isGreaterThan(updated.modRevision());
        assertThat(store.revision()).isGreaterThanOrEqualTo(deleted.revision());
        assertThat(store.get(key("a"))).isEmpty();
    }

    @Test
    void deleteWithTheExpectedRevisionSucceedsAndAStaleOneIsRefused() {
        KeyValue created = store.create(key("a"), bytes("one"));
        KeyValue updated = store.update(key("a"), bytes("two"), 0);

        RevisionMismatchException e = catchThrowableOfType(RevisionMismatchException.class,
                () -> store.delete(key("a"), created.modRevision()));
        assertThat(e).isNotNull();
        assertSame(e.current(), updated);
        assertThat(store.get(key("a"))).isPresent();

        store.delete(key("a"), updated.modRevision());
        assertThat(store.get(key("a"))).isEmpty();
    }

    @Test
    void deleteOfAMissingKeyIsRefused() {
        long revision = store.revision();
        assertThatThrownBy(() -> store.delete(key("missing"), 0)).isInstanceOf(KeyNotFoundException.class);
        assertThat(store.revision()).isEqualTo(revision);
    }

    @Test
    void aKeyCreatedAgainAfterDeletionStartsOver() {
        store.create(key("a"), bytes("one"));
        store.update(key("a"), bytes("two"), 0);
        store.delete(key("a"), 0);
        KeyValue again = store.create(key("a"), bytes("three"));

        assertThat(again.version()).isEqualTo(1);
        assertThat(again.createRevision()).isEqualTo(again.modRevision());
        assertThatThrownBy(() -> store.update(key("a"), bytes("x"), 1)).isInstanceOf(RevisionMismatchException.class);
    }

    // ---- range --------------------------------------------------------------------------------------------

    @Test
    void rangeOverAPrefixListsExactlyItsKeysInOrder() {
        for (String name : List.of("b", "a", "c/1", "c/0")) store.create(key("pods/" + name), bytes(name));
        store.create(key("pods"), bytes("the prefix itself without slash"));
        store.create(key("podsx/a"), bytes("sibling"));
        store.create(key("pod/a"), bytes("before"));

        RangeResult all = store.range(key("pods/"), Store.prefixEnd(key("pods/")), 0, 0);

        assertThat(all.kvs()).extracting(KeyValue::key)
                .containsExactly(key("pods/a"), key("pods/b"), key("pods/c/0"), key("pods/c/1"));
        assertThat(all.count()).isEqualTo(4);
        assertThat(all.more()).isFalse();
        assertThat(all.revision()).isEqualTo(store.revision());
        assertThat(store.range(key("pods/c/"), Store.prefixEnd(key("pods/c/")), 0, 0).kvs()).hasSize(2);
        assertThat(store.range(key("nothing/"), Store.prefixEnd(key("nothing/")), 0, 0).kvs()).isEmpty();
    }

    @Test
    void rangeLeavesOutDeletedKeys() {
        store.create(key("a"), bytes("1"));
        store.create(key("b"), bytes("1"));
        store.delete(key("a"), 0);
        RangeResult r = store.range(prefix, Store.prefixEnd(prefix), 0, 0);
        assertThat(r.kvs()).extracting(KeyValue::key).containsExactly(key("b"));
        assertThat(r.count()).isEqualTo(1);
    }

    @Test
    void rangeWithALimitPagesThroughByContinuation() {
        for (int i = 0; i < 25; i++) store.create(key(String.format("k%02d", i)), bytes("v" + i));
        String end = Store.prefixEnd(prefix);

        RangeResult first = store.range(prefix, end, 0, 10);
        assertThat(first.kvs()).hasSize(10);
        assertThat(first.more()).isTrue();
        assertThat(first.count()).isEqualTo(25);

        // Later pages read at the first page's revision, as the API server's continue tokens do.
        store.create(key("k05x"), bytes("written between pages"));
        List<String> seen = new ArrayList<>(first.kvs().stream().map(KeyValue::key).toList());
        RangeResult page = first;
        List<Long> counts = new ArrayList<>(List.of(first.count()));
        while (page.more()) {
            page = store.range(page.kvs().getLast().key() + "\0", end, first.revision(), 10);
            assertThat(page.revision()).isEqualTo(first.revision());
            page.kvs().forEach(kv -> seen.add(kv.key()));
            counts.add(page.count());
        }

        assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted().doesNotContain(key("k05x"));
        assertThat(counts).containsExactly(25L, 15L, 5L);
        assertThat(page.more()).isFalse();
        RangeResult exact = store.range(prefix, end, first.revision(), 25);
        assertThat(exact.more()).isFalse();
        assertThat(exact.kvs()).hasSize(25);
    }

    @Test
    void rangeAtAPastRevisionSeesTheStoreAsItWas() {
        store.create(key("a"), bytes("a1"));
        KeyValue b = store.create(key("b"), bytes("b1"));
        long then = store.revision();
        store.update(key("a"), bytes("a2"), 0);
        store.delete(key("b"), 0);
        store.create(key("c"), bytes("c1"));
        String end = Store.prefixEnd(prefix);

        RangeResult past = store.range(prefix, end, then, 0);
        assertThat(past.revision()).isEqualTo(then);
        assertThat(past.kvs()).extracting(KeyValue::key).containsExactly(key("a"), key("b"));
        assertThat(past.kvs()).extracting(StoreContract::text).containsExactly("a1", "b1");
        assertSame(past.kvs().get(1), b);

        RangeResult now = store.range(prefix, end, 0, 0);
        assertThat(now.kvs()).extracting(StoreContract::text).containsExactly("a2", "c1");
        assertThat(store.range(prefix, end, store.revision(), 0).kvs()).hasSize(2);
    }

    @Test
    void rangeAtAFutureRevisionIsRefused() {
        store.create(key("a"), bytes("1"));
        long next = store.revision() + 1;
        assertThatThrownBy(() -> store.range(prefix, Store.prefixEnd(prefix), next, 0))
                .isInstanceOf(FutureRevisionException.class);
    }

    // ---- compaction ---------------------------------------------------------------------------------------

    @Test
    void compactionForgetsHistoryButKeepsLatestValues() {
        KeyValue a1 = store.create(key("a"), bytes("a1"));
        store.update(key("a"), bytes("a2"), 0);
        store.create(key("gone"), bytes("x"));
        store.delete(key("gone"), 0);
        store.create(key("b"), bytes("b1"));
        long compactAt = store.revision();
        KeyValue c = store.create(key("c"), bytes("c1"));
        String end = Store.prefixEnd(prefix);

        store.compact(compactAt);

        assertThat(store.compactedRevision()).isGreaterThanOrEqualTo(compactAt);
        assertThatThrownBy(() -> store.range(prefix, end, a1.modRevision(), 0)).isInstanceOf(CompactedException.class);
        assertThatThrownBy(() -> store.range(prefix, end, compactAt, 0)).isInstanceOf(CompactedException.class);
        RangeResult latest = store.range(prefix, end, 0, 0);
        assertThat(latest.kvs()).extracting(KeyValue::key).containsExactly(key("a"), key("b"), key("c"));
        assertThat(latest.kvs()).extracting(StoreContract::text).containsExactly("a2", "b1", "c1");
        assertThat(store.range(prefix, end, c.modRevision(), 0).kvs()).hasSize(3);
        assertThat(store.get(key("gone"))).isEmpty();
        KeyValue a = store.get(key("a")).orElseThrow();
        assertThat(a.version()).isEqualTo(2);
        assertThat(a.createRevision()).isEqualTo(a1.createRevision());
        assertThat(store.update(key("a"), bytes("a3"), a.modRevision()).version()).isEqualTo(3);
    }

    @Test
    void compactionAtTheLatestRevisionStillServesLatestReads() {
        store.create(key("a"), bytes("a1"));
        store.update(key("a"), bytes("a2"), 0);
        store.compact(store.revision());
        assertThat(text(store.get(key("a")).orElseThrow())).isEqualTo("a2");
        assertThat(store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()).hasSize(1);
    }

    @Test
    void compactingAgainAtOrBelowTheCompactedRevisionIsANoOp() {
        store.create(key("a"), bytes("a1"));
        long at = store.revision();
        store.create(key("b"), bytes("b1"));
        store.compact(at);
        store.compact(at);
        store.compact(at - 1);
        assertThat(store.compactedRevision()).isEqualTo(at);
    }

    @Test
    void compactingAFutureRevisionIsRefused() {
        store.create(key("a"), bytes("a1"));
        long next = store.revision() + 1;
        assertThatThrownBy(() -> store.compact(next)).isInstanceOf(FutureRevisionException.class);
    }

    @Test
    void watchingAtOrBelowTheCompactedRevisionIsRefused() throws InterruptedException {
        KeyValue a1 = store.create(key("a"), bytes("a1"));
        store.update(key("a"), bytes("a2"), 0);
        long compactAt = store.revision();
        KeyValue a3 = store.update(key("a"), bytes("a3"), 0);
        store.compact(compactAt);
        String end = Store.prefixEnd(prefix);

        assertThatThrownBy(() -> store.watch(prefix, end, a1.modRevision())).isInstanceOf(CompactedException.class);
        assertThatThrownBy(() -> store.watch(prefix, end, compactAt)).isInstanceOf(CompactedException.class);
        try (Store.Watch watch = store.watch(prefix, end, compactAt + 1)) {
            List<WatchEvent> events = pollUntil(watch, 1);
            assertThat(events.getFirst().revision()).isEqualTo(a3.modRevision());
            assertThat(text(events.getFirst().prevKv())).isEqualTo("a2");
        }
    }

    // ---- watch --------------------------------------------------------------------------------------------

    @Test
    void watchFromAnOldRevisionReplaysEveryChangeInOrder() throws InterruptedException {
        KeyValue a1 = store.create(key("a"), bytes("a1"));
        KeyValue b1 = store.create(key("b"), bytes("b1"));
        KeyValue a2 = store.update(key("a"), bytes("a2"), 0);
        Store.Deleted bDeleted = store.delete(key("b"), 0);
        KeyValue b2 = store.create(key("b"), bytes("b2"));

        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), a1.modRevision())) {
            List<WatchEvent> events = pollUntil(watch, 5);

            assertThat(events).extracting(WatchEvent::type).containsExactly(
                    WatchEvent.Type.PUT, WatchEvent.Type.PUT, WatchEvent.Type.PUT, WatchEvent.Type.DELETE, WatchEvent.Type.PUT);
            assertThat(events).extracting(WatchEvent::revision).containsExactly(
                    a1.modRevision(), b1.modRevision(), a2.modRevision(), bDeleted.revision(), b2.modRevision());
            assertSame(events.get(0).kv(), a1);
            assertThat(events.get(0).prevKv()).isNull();
            assertSame(events.get(2).kv(), a2);
            assertSame(events.get(2).prevKv(), a1);
            assertSame(events.get(4).kv(), b2);
            assertThat(events.get(4).prevKv()).isNull();
            assertThat(watch.progressRevision()).isGreaterThanOrEqualTo(b2.modRevision());
        }
    }

    @Test
    void deleteEventsCarryThePreviousValueAndTheDeletionRevision() throws InterruptedException {
        store.create(key("a"), bytes("a1"));
        KeyValue a2 = store.update(key("a"), bytes("a2"), 0);
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1)) {
            Store.Deleted deleted = store.delete(key("a"), 0);

            WatchEvent event = pollUntil(watch, 1).getFirst();

            assertThat(event.type()).isEqualTo(WatchEvent.Type.DELETE);
            assertThat(event.revision()).isEqualTo(deleted.revision());
            assertThat(event.kv().key()).isEqualTo(key("a"));
            assertThat(event.kv().modRevision()).isEqualTo(deleted.revision());
            assertThat(event.kv().value()).isEmpty();
            assertSame(event.prevKv(), a2);
        }
    }

    @Test
    void watchFromNowSeesOnlyLaterChanges() throws InterruptedException {
        store.create(key("before"), bytes("x"));
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1)) {
            assertThat(watch.poll(Duration.ofMillis(100))).isEmpty();
            KeyValue after = store.create(key("after"), bytes("y"));

            List<WatchEvent> events = pollUntil(watch, 1);

            assertThat(events).hasSize(1);
            assertSame(events.getFirst().kv(), after);
            assertThat(events.getFirst().prevKv()).isNull();
            assertThat(watch.poll(Duration.ofMillis(50))).isEmpty();
        }
    }

    @Test
    void aBlockedPollWakesUpForAWrite() throws Exception {
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<List<WatchEvent>> polled = threads.submit(() -> watch.poll(WAIT));
            Thread.sleep(100);
            long start = System.nanoTime();
            store.create(key("a"), bytes("x"));
            assertThat(polled.get()).extracting(e -> e.kv().key()).containsExactly(key("a"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void watchOnAKeyRangeSeesOnlyThatRange() throws InterruptedException {
        String pods = key("pods/");
        try (Store.Watch watch = store.watch(pods, Store.prefixEnd(pods), store.revision() + 1)) {
            store.create(key("pod"), bytes("before"));
            KeyValue inside = store.create(key("pods/a"), bytes("in"));
            store.create(key("podsx"), bytes("after"));
            store.create(key("services/a"), bytes("elsewhere"));
            KeyValue last = store.update(key("pods/a"), bytes("in2"), 0);
            store.create(key("zzz"), bytes("elsewhere"));

            List<WatchEvent> events = pollUntil(watch, 2);
            assertThat(watch.poll(Duration.ofMillis(100))).isEmpty();

            assertThat(events).extracting(WatchEvent::revision).containsExactly(inside.modRevision(), last.modRevision());
            assertThat(watch.progressRevision()).isGreaterThanOrEqualTo(last.modRevision());
        }
    }

    @Test
    void watchersOfOneKeyRangeDoNotSeeOthers() throws InterruptedException {
        try (Store.Watch a = store.watch(key("a"), key("a") + "\0", store.revision() + 1);
             Store.Watch b = store.watch(key("b"), key("b") + "\0", store.revision() + 1)) {
            store.create(key("a"), bytes("1"));
            store.create(key("ab"), bytes("1"));
            store.create(key("b"), bytes("1"));
            assertThat(pollUntil(a, 1)).extracting(e -> e.kv().key()).containsExactly(key("a"));
            assertThat(pollUntil(b, 1)).extracting(e -> e.kv().key()).containsExactly(key("b"));
            assertThat(a.poll(Duration.ofMillis(50))).isEmpty();
        }
    }

    @Test
    void aLongHistoryIsDeliveredCompletelyAndInOrder() throws InterruptedException {
        long start = store.revision() + 1;
        int writes = 2500;
        for (int i = 0; i < writes; i++) store.create(key("k" + i), bytes("v" + i));
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), start)) {
            List<WatchEvent> events = pollUntil(watch, writes);
            assertThat(events).hasSize(writes);
            assertThat(events).extracting(WatchEvent::revision).isSorted().doesNotHaveDuplicates();
            for (int i = 0; i < writes; i++) assertThat(events.get(i).kv().key()).isEqualTo(key("k" + i));
        }
    }

    @Test
    void pollingAClosedWatchFails() throws InterruptedException {
        Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1);
        assertThat(watch.poll(Duration.ofMillis(10))).isEmpty();
        watch.close();
        assertThatThrownBy(() -> watch.poll(Duration.ofMillis(10))).isInstanceOf(WatchClosedException.class);
        watch.close(); // closing twice is harmless
    }

    @Test
    void closingAWatchWakesItsPoller() throws Exception {
        Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> polled = threads.submit(() -> watch.poll(Duration.ofSeconds(30)));
            Thread.sleep(100);
            watch.close();
            assertThatThrownBy(() -> polled.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(WatchClosedException.class);
        }
    }

    @Test
    void closingTheStoreWakesEveryWatcher() throws Exception {
        List<Store.Watch> watches = new ArrayList<>();
        for (int i = 0; i < 3; i++) watches.add(store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> polls = watches.stream().<Future<?>>map(w -> threads.submit(() -> w.poll(Duration.ofSeconds(30)))).toList();
            Thread.sleep(100);
            store.close();
            for (Future<?> poll : polls) {
                assertThatThrownBy(() -> poll.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(WatchClosedException.class);
            }
        } finally {
            store = null;
        }
    }

    // ---- concurrency --------------------------------------------------------------------------------------

    @Test
    void concurrentWritersGetUniqueIncreasingRevisions() throws Exception {
        int writers = 16;
        int each = 50;
        Map<Integer, List<KeyValue>> written = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                threads.submit(() -> {
                    go.await();
                    List<KeyValue> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) mine.add(store.create(key("w" + writer + "/" + i), bytes(writer + ":" + i)));
                    written.put(writer, mine);
                    return null;
                });
            }
            go.countDown();
        }

        assertThat(written).hasSize(writers);
        List<Long> all = new ArrayList<>();
        for (List<KeyValue> mine : written.values()) {
            assertThat(mine).extracting(KeyValue::modRevision).isSorted().doesNotHaveDuplicates();
            mine.forEach(kv -> all.add(kv.modRevision()));
        }
        assertThat(all).hasSize(writers * each).doesNotHaveDuplicates();
        assertThat(store.revision()).isGreaterThanOrEqualTo(all.stream().mapToLong(Long::longValue).max().orElseThrow());
        for (List<KeyValue> mine : written.values()) {
            for (KeyValue kv : mine) assertSame(store.get(kv.key()).orElseThrow(), kv);
        }
    }

    @Test
    void concurrentConditionalUpdatesLoseNoIncrement() throws Exception {
        store.create(key("counter"), bytes("0"));
        int writers = 8;
        int each = 25;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < writers; w++) {
                threads.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        while (true) {
                            KeyValue current = store.get(key("counter")).orElseThrow();
                            int next = Integer.parseInt(text(current)) + 1;
                            try {
                                store.update(key("counter"), bytes(Integer.toString(next)), current.modRevision());
                                break;
                            } catch (RevisionMismatchException retry) {
                                // someone else got there first; read again
                            }
                        }
                    }
                    return null;
                });
            }
        }
        KeyValue counter = store.get(key("counter")).orElseThrow();
        assertThat(text(counter)).isEqualTo(Integer.toString(writers * each));
        assertThat(counter.version()).isEqualTo(writers * each + 1);
    }

    @Test
    void watchSeesConcurrentWritesInRevisionOrder() throws Exception {
        int writers = 8;
        int each = 40;
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), store.revision() + 1)) {
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int w = 0; w < writers; w++) {
                    String k = key("w" + w);
                    threads.submit(() -> {
                        store.create(k, bytes("0"));
                        for (int i = 1; i < each; i++) store.update(k, bytes(Integer.toString(i)), 0);
                        return null;
                    });
                }
            }
            List<WatchEvent> events = pollUntil(watch, writers * each);

            assertThat(events).hasSize(writers * each);
            assertThat(events).extracting(WatchEvent::revision).isSorted().doesNotHaveDuplicates();
            Map<String, Long> versions = new HashMap<>();
            for (WatchEvent e : events) {
                long expected = versions.merge(e.kv().key(), 1L, Long::sum);
                assertThat(e.kv().version()).isEqualTo(expected);
                assertThat(text(e.kv())).isEqualTo(Long.toString(expected - 1));
                if (expected > 1) assertThat(e.prevKv().version()).isEqualTo(expected - 1);
            }
        }
    }

    // ---- reopening ----------------------------------------------------------------------------------------

    @Test
    void reopeningKeepsDataRevisionsAndTheCompactionPoint() throws InterruptedException {
        KeyValue a1 = store.create(key("a"), bytes("a1"));
        store.update(key("a"), bytes("a2"), 0);
        store.create(key("b"), bytes("b1"));
        long compactAt = store.revision();
        store.delete(key("b"), 0);
        KeyValue c = store.create(key("c"), bytes("c1"));
        store.compact(compactAt);
        long revision = store.revision();
        long compacted = store.compactedRevision();

        Optional<Store> reopened = reopen(store);
        Assumptions.assumeTrue(reopened.isPresent(), "this store cannot be reopened");
        store = reopened.get();

        assertThat(store.revision()).isEqualTo(revision);
        assertThat(store.compactedRevision()).isEqualTo(compacted);
        String end = Store.prefixEnd(prefix);
        assertThat(store.range(prefix, end, 0, 0).kvs()).extracting(StoreContract::text).containsExactly("a2", "c1");
        assertThat(store.range(prefix, end, c.modRevision() - 1, 0).kvs()).extracting(KeyValue::key).containsExactly(key("a"));
        assertThatThrownBy(() -> store.range(prefix, end, a1.modRevision(), 0)).isInstanceOf(CompactedException.class);
        try (Store.Watch watch = store.watch(prefix, end, compactAt + 1)) {
            List<WatchEvent> events = pollUntil(watch, 2);
            assertThat(events).extracting(WatchEvent::type).containsExactly(WatchEvent.Type.DELETE, WatchEvent.Type.PUT);
            assertThat(text(events.getFirst().prevKv())).isEqualTo("b1");
        }
        KeyValue next = store.create(key("d"), bytes("d1"));
        assertThat(next.modRevision()).isGreaterThan(revision);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    protected String key(String name) {
        return prefix + name;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static String text(KeyValue kv) {
        return new String(kv.value(), UTF_8);
    }

    /** Compares field by field: {@link KeyValue} holds an array, so record equality is identity for the value. */
    protected static void assertSame(KeyValue actual, KeyValue expected) {
        assertThat(actual).isNotNull();
        assertThat(actual.key()).isEqualTo(expected.key());
        assertThat(actual.value()).isEqualTo(expected.value());
        assertThat(actual.createRevision()).as("createRevision of %s", expected.key()).isEqualTo(expected.createRevision());
        assertThat(actual.modRevision()).as("modRevision of %s", expected.key()).isEqualTo(expected.modRevision());
        assertThat(actual.version()).as("version of %s", expected.key()).isEqualTo(expected.version());
    }

    /** Polls until {@code n} events came (failing after a generous wait), checking each batch is in order. */
    protected static List<WatchEvent> pollUntil(Store.Watch watch, int n) throws InterruptedException {
        List<WatchEvent> events = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (events.size() < n && System.nanoTime() < deadline) {
            List<WatchEvent> batch = watch.poll(Duration.ofMillis(200));
            assertThat(batch).extracting(WatchEvent::revision).isSorted();
            events.addAll(batch);
        }
        assertThat(events).as("events within %s", WAIT).hasSizeGreaterThanOrEqualTo(n);
        return events;
    }
}
