package io.hypernetes.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.store.CompactedException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RangeResult;
import io.hypernetes.store.StorageFailureException;
import io.hypernetes.store.Store;
import io.hypernetes.store.StoreContract;
import io.hypernetes.store.WatchEvent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStoreTest extends StoreContract {

    @TempDir
    Path dir;

    @Override
    protected Store newStore() {
        return EmbeddedStore.open(dir);
    }

    @Override
    protected Optional<Store> reopen(Store store) {
        store.close();
        return Optional.of(EmbeddedStore.open(dir));
    }

    private EmbeddedStore reopen(EmbeddedStore.Options options) {
        store.close();
        store = EmbeddedStore.open(dir, options);
        return (EmbeddedStore) store;
    }

    private EmbeddedStore reopen() {
        return reopen(EmbeddedStore.Options.defaults());
    }

    // ---- recovery -----------------------------------------------------------------------------------------

    @Test
    void aTornTailIsDiscardedAndEarlierWritesSurvive() throws IOException {
        List<KeyValue> written = writeSequentially(20);
        store.close();

        truncateLastSegmentBy(3);
        reopen();

        assertSurvivors(written.subList(0, 19));
        assertThat(store.get(written.getLast().key())).isEmpty();
        assertThat(store.revision()).isEqualTo(written.get(18).modRevision());
        KeyValue next = store.create(key("after"), bytes("x"));
        assertThat(next.modRevision()).isEqualTo(written.get(18).modRevision() + 1);

        reopen(); // the cut is permanent, and appending after it made a sound log
        assertSurvivors(written.subList(0, 19));
        assertThat(store.get(key("after"))).isPresent();
    }

    @Test
    void aTailCutInsideItsHeaderIsDiscarded() throws IOException {
        List<KeyValue> written = writeSequentially(5);
        long lastFrame = 8 + 12 + 1 + 4 + written.getLast().key().length() + 4 + written.getLast().value().length;
        store.close();

        truncateLastSegmentBy(lastFrame - 2);
        reopen();

        assertSurvivors(written.subList(0, 4));
        assertThat(store.revision()).isEqualTo(written.get(3).modRevision());
    }

    @Test
    void aCorruptedTailIsDiscardedAndEarlierWritesSurvive() throws IOException {
        List<KeyValue> written = writeSequentially(20);
        store.close();

        flipByteFromEnd(lastSegment(), 2);
        reopen();

        assertSurvivors(written.subList(0, 19));
        assertThat(store.get(written.getLast().key())).isEmpty();
    }

    @Test
    void zerosAfterTheLastFrameAreDiscarded() throws IOException {
        List<KeyValue> written = writeSequentially(3);
        store.close();
        try (RandomAccessFile file = new RandomAccessFile(lastSegment().toFile(), "rw")) {
            file.setLength(file.length() + 4096); // as if the length reached the disk but the data did not
        }
        reopen();
        assertSurvivors(written);
        store.create(key("after"), bytes("x"));
        reopen();
        assertThat(store.get(key("after"))).isPresent();
    }

    @Test
    void damageBeforeAcknowledgedWritesRefusesToOpen() throws IOException {
        writeSequentially(20);
        store.close();

        flipByteAt(lastSegment(), 16 + 30); // inside the first frame
        assertThatThrownBy(() -> store = EmbeddedStore.open(dir))
                .isInstanceOf(StorageFailureException.class).hasMessageContaining("corrupt");
        store = null;
    }

    @Test
    void snapshotsBoundRecoveryAndDropCoveredSegments() throws Exception {
        EmbeddedStore embedded = reopen(new EmbeddedStore.Options(4096, 1_000_000));
        for (int i = 0; i < 300; i++) {
            String k = key("k" + (i % 40));
            if (embedded.get(k).isPresent()) {
                if (i % 7 == 0) embedded.delete(k, 0);
                else embedded.update(k, bytes("v" + i), 0);
            } else {
                embedded.create(k, bytes("v" + i));
            }
        }
        long compactAt = embedded.revision() - 100;
        embedded.compact(compactAt);
        int segmentsBefore = embedded.segmentCount();
        assertThat(segmentsBefore).isGreaterThan(3);

        embedded.snapshot();

        assertThat(embedded.segmentCount()).isLessThan(segmentsBefore);
        assertThat(files("snap-")).hasSize(1);
        for (int i = 0; i < 50; i++) embedded.update(key("k1"), bytes("after" + i), 0); // log after the snapshot
        String end = Store.prefixEnd(prefix);
        long pastRevision = compactAt + 10;
        RangeResult latest = embedded.range(prefix, end, 0, 0);
        RangeResult past = embedded.range(prefix, end, pastRevision, 0);
        List<WatchEvent> history = pollUntil(embedded.watch(prefix, end, compactAt + 1), (int) (embedded.revision() - compactAt));

        EmbeddedStore recovered = reopen(EmbeddedStore.Options.defaults());

        assertThat(recovered.compactedRevision()).isEqualTo(compactAt);
        assertSameRange(recovered.range(prefix, end, 0, 0), latest);
        assertSameRange(recovered.range(prefix, end, pastRevision, 0), past);
        List<WatchEvent> replayed = pollUntil(recovered.watch(prefix, end, compactAt + 1), history.size());
        assertThat(replayed).hasSameSizeAs(history);
        for (int i = 0; i < history.size(); i++) {
            assertThat(replayed.get(i).type()).isEqualTo(history.get(i).type());
            assertSame(replayed.get(i).kv(), history.get(i).kv());
            if (history.get(i).prevKv() == null) assertThat(replayed.get(i).prevKv()).isNull();
            else assertSame(replayed.get(i).prevKv(), history.get(i).prevKv());
        }
    }

    @Test
    void snapshotsAreTakenOnTheirOwnAfterEnoughWrites() throws Exception {
        EmbeddedStore embedded = reopen(new EmbeddedStore.Options(2048, 100));
        List<KeyValue> written = new ArrayList<>();
        for (int i = 0; i < 450; i++) written.add(embedded.create(key("k" + i), bytes("v" + i)));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (files("snap-").isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(files("snap-")).isNotEmpty();
        Thread.sleep(200); // let a running snapshot finish its clean-up; close waits for it anyway

        reopen();
        assertSurvivors(written);
    }

    @Test
    void aWatcherThatFellBehindACompactionIsTold() throws InterruptedException {
        long start = store.revision() + 1;
        store.create(key("a"), bytes("1"));
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), start)) {
            store.update(key("a"), bytes("2"), 0);
            store.compact(store.revision());
            assertThatThrownBy(() -> watch.poll(Duration.ofMillis(10))).isInstanceOf(CompactedException.class);
        }
    }

    @Test
    void aPollReturnsAtMostAThousandEvents() throws InterruptedException {
        long start = store.revision() + 1;
        for (int i = 0; i < 1500; i++) store.create(key("k" + i), bytes("v"));
        try (Store.Watch watch = store.watch(prefix, Store.prefixEnd(prefix), start)) {
            List<WatchEvent> first = watch.poll(Duration.ofSeconds(1));
            assertThat(first).hasSize(EmbeddedWatch.MAX_EVENTS);
            assertThat(watch.progressRevision()).isEqualTo(first.getLast().revision());
            assertThat(watch.poll(Duration.ofSeconds(1))).hasSize(500);
        }
    }

    @Test
    void revisionsAreContiguous() {
        long start = store.revision();
        List<KeyValue> written = writeSequentially(10);
        for (int i = 0; i < written.size(); i++) assertThat(written.get(i).modRevision()).isEqualTo(start + 1 + i);
    }

    @Test
    void everyVisibleRevisionIsCompleteWhileWritersRace() throws Exception {
        long start = store.revision();
        int writers = 16;
        int each = 300;
        String end = Store.prefixEnd(prefix);
        AtomicBoolean writing = new AtomicBoolean(true);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
             Store.Watch watch = store.watch(prefix, end, start + 1)) {
            // A revision must become visible only with all the writes up to it applied: reads and watches
            // racing the writers check that, nothing else does.
            Future<Long> reader = threads.submit(() -> {
                long checks = 0;
                while (writing.get()) {
                    long visible = store.revision();
                    assertThat(store.range(prefix, end, visible, 0).count()).isEqualTo(visible - start);
                    checks++;
                }
                return checks;
            });
            Future<Integer> watcher = threads.submit(() -> {
                int seen = 0;
                while (seen < writers * each) {
                    for (WatchEvent e : watch.poll(Duration.ofSeconds(10))) {
                        assertThat(e.revision()).isEqualTo(start + 1 + seen);
                        seen++;
                    }
                }
                return seen;
            });
            List<Future<?>> writes = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                writes.add(threads.submit(() -> {
                    for (int i = 0; i < each; i++) store.create(key(writer + "/" + i), bytes("v"));
                    return null;
                }));
            }
            for (Future<?> write : writes) write.get();
            writing.set(false);
            assertThat(reader.get()).isPositive();
            assertThat(watcher.get()).isEqualTo(writers * each);
        }
    }

    @Test
    void thousandsOfWatchersEachSeeTheirOwnKey() throws Exception {
        int watchers = 3000;
        List<Store.Watch> watches = new ArrayList<>();
        for (int i = 0; i < watchers; i++) watches.add(store.watch(key("w" + i), key("w" + i) + "\0", store.revision() + 1));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<WatchEvent>>> polls = new ArrayList<>();
            for (Store.Watch watch : watches) polls.add(threads.submit(() -> watch.poll(Duration.ofSeconds(30))));
            Thread.sleep(200);
            for (int i = 0; i < watchers; i++) store.create(key("w" + i), bytes("v" + i));
            for (int i = 0; i < watchers; i++) {
                assertThat(polls.get(i).get()).extracting(e -> e.kv().key()).containsExactly(key("w" + i));
            }
        }
        watches.forEach(Store.Watch::close);
    }

    @Test
    void theDataDirectoryCanBeOpenedOnlyOnce() {
        assertThatThrownBy(() -> EmbeddedStore.open(dir))
                .isInstanceOf(StorageFailureException.class).hasMessageContaining("in use");
        store.close();
        store = EmbeddedStore.open(dir);
        assertThat(store.revision()).isZero();
    }

    @Test
    void writesAfterCloseAreRefused() {
        store.close();
        assertThatThrownBy(() -> store.create(key("a"), bytes("1"))).isInstanceOf(StorageFailureException.class);
        store = null;
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private List<KeyValue> writeSequentially(int n) {
        List<KeyValue> written = new ArrayList<>();
        for (int i = 0; i < n; i++) written.add(store.create(key(String.format("k%03d", i)), bytes("value-" + i)));
        return written;
    }

    private void assertSurvivors(List<KeyValue> written) {
        for (KeyValue kv : written) assertSame(store.get(kv.key()).orElseThrow(), kv);
    }

    private static void assertSameRange(RangeResult actual, RangeResult expected) {
        assertThat(actual.count()).isEqualTo(expected.count());
        assertThat(actual.kvs()).hasSameSizeAs(expected.kvs());
        for (int i = 0; i < expected.kvs().size(); i++) assertSame(actual.kvs().get(i), expected.kvs().get(i));
    }

    private Path lastSegment() throws IOException {
        List<Path> segments = files("wal-");
        return segments.getLast();
    }

    private List<Path> files(String prefix) throws IOException {
        try (Stream<Path> all = Files.list(dir)) {
            return all.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }

    private void truncateLastSegmentBy(long bytes) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(lastSegment().toFile(), "rw")) {
            file.setLength(file.length() - bytes);
        }
    }

    private static void flipByteFromEnd(Path file, long fromEnd) throws IOException {
        flipByteAt(file, Files.size(file) - fromEnd);
    }

    private static void flipByteAt(Path path, long offset) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.seek(offset);
            int b = file.read();
            file.seek(offset);
            file.write(b ^ 0xff);
        }
    }
}
