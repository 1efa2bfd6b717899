package io.hypernetes.store.embedded;

import io.hypernetes.store.CompactedException;
import io.hypernetes.store.FutureRevisionException;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RangeResult;
import io.hypernetes.store.RevisionMismatchException;
import io.hypernetes.store.StorageFailureException;
import io.hypernetes.store.Store;
import io.hypernetes.store.StoreException;
import io.hypernetes.store.WatchEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link Store}: one process, one data directory, durable on local disk.
 *
 * <p>Shape (etcd's): a write-ahead log is the only durable truth; an in-memory MVCC index (every retained
 * version of every key, in key order) answers reads; an event log indexed by revision answers watches; periodic
 * snapshots bound recovery time and let old log segments go. See the module README for the format and the
 * durability argument.
 *
 * <p>Writes are validated and given their revision under one lock, then wait for the shared fsync outside it.
 * A version becomes visible (to reads and watches) only when the revision it carries is durable, so nothing a
 * crash could lose is ever seen. Reads take no lock at all.
 */
public final class EmbeddedStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedStore.class);
    private static final byte[] NO_VALUE = new byte[0];
    private static final int COMPACTION_STRIDE = 1024;

    /**
     * Tunables.
     *
     * @param segmentBytes roll to a new log segment once the current one is this large
     * @param snapshotEvery take a snapshot (and drop covered segments) after this many writes
     */
    public record Options(long segmentBytes, int snapshotEvery) {
        public Options {
            if (segmentBytes < 1024) throw new IllegalArgumentException("segmentBytes too small: " + segmentBytes);
            if (snapshotEvery < 1) throw new IllegalArgumentException("snapshotEvery must be positive: " + snapshotEvery);
        }

        public static Options defaults() {
            return new Options(64L << 20, 10_000);
        }
    }

    private final DataDir dir;
    private final Options options;
    private final ConcurrentSkipListMap<String, KeyHistory> keys = new ConcurrentSkipListMap<>();
    private final EventLog events = new EventLog();
    private final WatchHub hub = new WatchHub();
    /** Orders writes: validation, revision, log append and index update happen together under it. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Keeps compaction, snapshots and close from overlapping. */
    private final ReentrantLock maintenance = new ReentrantLock();
    private final AtomicBoolean snapshotting = new AtomicBoolean();
    private final Journal journal;
    private long lastRevision; // the newest revision handed out, durable or not; guarded by writeLock
    private volatile long compacted;
    private volatile boolean closed;
    private long writesSinceSnapshot; // committer thread only

    /** Opens (creating if needed) the store in {@code dir} with default options. */
    public static EmbeddedStore open(Path dir) {
        return open(dir, Options.defaults());
    }

    /**
     * Opens (creating if needed) the store in {@code dir}: takes the directory's lock, loads the newest snapshot
     * and replays the log after it, discarding a torn tail.
     *
     * @throws StorageFailureException if the directory is locked by another store, unreadable, or corrupt
     */
    public static EmbeddedStore open(Path dir, Options options) {
        DataDir data = DataDir.lock(dir);
        try {
            return new EmbeddedStore(data, options);
        } catch (IOException | RuntimeException e) {
            data.close();
            if (e instanceof StorageFailureException failure) throw failure;
            throw new StorageFailureException("cannot recover the store in " + dir, e);
        }
    }

    private EmbeddedStore(DataDir dir, Options options) throws IOException {
        this.dir = dir;
        this.options = options;
        long snapshotRevision = 0;
        Optional<Long> snapshot = dir.latestSnapshot();
        if (snapshot.isPresent()) {
            SnapshotFile.Header header = SnapshotFile.read(dir.snapshot(snapshot.get()), this::restore);
            snapshotRevision = header.revision();
            compacted = header.compactedRevision();
            lastRevision = snapshotRevision;
            rebuildEvents();
        }
        journal = Journal.recover(dir, snapshotRevision, options.segmentBytes(), writeLock, this::replay, this::committed);
        hub.publish(lastRevision, List.of());
        journal.start();
    }

    // ---- reads -------------------------------------------------------------------------------------------

    @Override
    public long revision() {
        return hub.revision();
    }

    @Override
    public long compactedRevision() {
        return compacted;
    }

    @Override
    public Optional<KeyValue> get(String key) {
        KeyHistory history = keys.get(key);
        return history == null ? Optional.empty() : Optional.ofNullable(history.at(hub.revision()));
    }

    @Override
    public RangeResult range(String fromKey, String toKey, long atRevision, int limit) {
        if (limit < 0) throw new IllegalArgumentException("negative limit " + limit);
        long visible = hub.revision();
        if (atRevision > visible) throw new FutureRevisionException(atRevision, visible);
        long revision = atRevision == 0 ? visible : atRevision;
        if (atRevision != 0) requireNotCompacted(atRevision);
        List<KeyValue> found = new ArrayList<>();
        long count = 0;
        if (fromKey.compareTo(toKey) < 0) {
            for (KeyHistory history : keys.subMap(fromKey, toKey).values()) {
                KeyValue kv = history.at(revision);
                if (kv == null) continue;
                count++;
                if (limit == 0 || found.size() < limit) found.add(kv);
            }
        }
        // A compaction that ran meanwhile may have taken versions this read needed.
        if (atRevision != 0) requireNotCompacted(atRevision);
        return new RangeResult(List.copyOf(found), revision, count > found.size(), count);
    }

    private void requireNotCompacted(long revision) {
        long c = compacted;
        if (revision <= c) throw new CompactedException(revision, c);
    }

    // ---- writes ------------------------------------------------------------------------------------------

    @Override
    public KeyValue create(String key, byte[] value) {
        LogEntry.Put put = new LogEntry.Put(requireKey(key), value.clone());
        return write(key, put, current -> current == null ? null : new KeyExistsException(key)).kv();
    }

    @Override
    public KeyValue update(String key, byte[] value, long expectedModRevision) {
        LogEntry.Put put = new LogEntry.Put(requireKey(key), value.clone());
        return write(key, put, current -> refusal(key, current, expectedModRevision)).kv();
    }

    @Override
    public Deleted delete(String key, long expectedModRevision) {
        WatchEvent event = write(requireKey(key), new LogEntry.Delete(key), current -> refusal(key, current, expectedModRevision));
        return new Deleted(event.prevKv(), event.revision());
    }

    private static StoreException refusal(String key, KeyValue current, long expectedModRevision) {
        if (current == null) return new KeyNotFoundException(key);
        if (expectedModRevision != 0 && current.modRevision() != expectedModRevision) {
            return new RevisionMismatchException(current, expectedModRevision);
        }
        return null;
    }

    /**
     * Validates against the newest versions (acknowledged or not, since they are already ordered before this
     * write), appends to the log, applies to the index, then waits for the fsync outside the lock.
     */
    private WatchEvent write(String key, LogEntry entry, Function<KeyValue, StoreException> check) {
        Journal.Batch batch = null;
        WatchEvent event = null;
        StoreException refused;
        long refusedOn = 0;
        writeLock.lock();
        try {
            requireOpen();
            KeyHistory history = keys.get(key);
            KeyValue newest = history == null ? null : history.newest();
            refused = check.apply(newest == null || KeyHistory.isTombstone(newest) ? null : newest);
            if (refused != null) {
                refusedOn = newest == null ? 0 : newest.modRevision();
            } else {
                long revision = lastRevision + 1;
                batch = journal.append(entry, revision, key);
                lastRevision = revision;
                event = apply(entry, revision);
            }
        } finally {
            writeLock.unlock();
        }
        if (refused != null) {
            // The refusal shows (or implies) that version; it must not be one a crash could still take back.
            if (refusedOn > hub.revision()) journal.awaitDurable(refusedOn);
            throw refused;
        }
        batch.await();
        return event;
    }

    /** The one place a put or delete changes the index: used live and on replay, so both derive the same state. */
    private WatchEvent apply(LogEntry entry, long revision) {
        switch (entry) {
            case LogEntry.Put(String key, byte[] value) -> {
                KeyHistory history = keys.computeIfAbsent(key, k -> new KeyHistory());
                KeyValue prev = live(history.newest());
                KeyValue kv = prev == null
                        ? new KeyValue(key, value, revision, revision, 1)
                        : new KeyValue(key, value, prev.createRevision(), revision, prev.version() + 1);
                history.append(kv);
                WatchEvent event = new WatchEvent(WatchEvent.Type.PUT, kv, prev);
                events.put(revision, event);
                return event;
            }
            case LogEntry.Delete(String key) -> {
                KeyHistory history = keys.get(key);
                KeyValue prev = history == null ? null : live(history.newest());
                if (prev == null) throw new IllegalStateException("delete of absent key " + key + " at revision " + revision);
                KeyValue tombstone = new KeyValue(key, NO_VALUE, 0, revision, 0);
                history.append(tombstone);
                WatchEvent event = new WatchEvent(WatchEvent.Type.DELETE, tombstone, prev);
                events.put(revision, event);
                return event;
            }
            case LogEntry.Compact c -> throw new IllegalArgumentException("not a keyed write: " + c);
        }
    }

    private static KeyValue live(KeyValue kv) {
        return kv == null || KeyHistory.isTombstone(kv) ? null : kv;
    }

    /** Runs on the committer thread once a batch is durable. */
    private void committed(Journal.Batch batch) {
        hub.publish(batch.lastRevision(), batch.keys());
        writesSinceSnapshot += batch.lastRevision() - batch.prevRevision;
        if (writesSinceSnapshot >= options.snapshotEvery() && snapshotting.compareAndSet(false, true)) {
            writesSinceSnapshot = 0;
            Thread.ofVirtual().name("store-snapshot").start(() -> {
                try {
                    snapshot();
                } finally {
                    snapshotting.set(false);
                }
            });
        }
    }

    // ---- watch -------------------------------------------------------------------------------------------

    @Override
    public Watch watch(String fromKey, String toKey, long startRevision) {
        requireOpen();
        long start = startRevision <= 0 ? hub.revision() + 1 : startRevision;
        requireNotCompacted(start);
        return new EmbeddedWatch(this, fromKey, toKey, start);
    }

    WatchHub hub() {
        return hub;
    }

    EventLog events() {
        return events;
    }

    // ---- compaction and snapshots -----------------------------------------------------------------------

    @Override
    public void compact(long revision) {
        maintenance.lock();
        try {
            requireOpen();
            if (revision <= compacted) return;
            long visible = hub.revision();
            if (revision > visible) throw new FutureRevisionException(revision, visible);
            Journal.Batch batch;
            writeLock.lock();
            try {
                requireOpen();
                batch = journal.append(new LogEntry.Compact(revision), 0, null);
            } finally {
                writeLock.unlock();
            }
            batch.await();
            compactInMemory(revision);
        } finally {
            maintenance.unlock();
        }
    }

    private void compactInMemory(long revision) {
        // Announce first: reads below the new mark fail rather than see history vanish under them.
        compacted = revision;
        events.compact(revision);
        Iterator<Map.Entry<String, KeyHistory>> all = keys.entrySet().iterator();
        while (all.hasNext()) {
            // In strides, so writers wait for at most one stride rather than the whole index.
            writeLock.lock();
            try {
                for (int n = 0; n < COMPACTION_STRIDE && all.hasNext(); n++) {
                    Map.Entry<String, KeyHistory> entry = all.next();
                    if (entry.getValue().compact(revision)) keys.remove(entry.getKey(), entry.getValue());
                }
            } finally {
                writeLock.unlock();
            }
        }
    }

    /**
     * Writes a snapshot at the visible revision, then drops the log segments and snapshots it covers. A failed
     * snapshot costs nothing but recovery time: the log still holds everything.
     */
    void snapshot() {
        maintenance.lock();
        try {
            if (closed) return;
            long revision = hub.revision();
            if (dir.latestSnapshot().orElse(-1L) >= revision) return;
            SnapshotFile.write(dir, revision, compacted, keys);
            journal.dropCoveredBy(revision);
            for (long older : dir.snapshots()) {
                if (older < revision) Files.deleteIfExists(dir.snapshot(older));
            }
        } catch (IOException | RuntimeException e) {
            log.warn("store snapshot in {} failed; the log still holds every write", dir.path(), e);
        } finally {
            maintenance.unlock();
        }
    }

    int segmentCount() {
        return journal.segmentCount();
    }

    // ---- recovery ----------------------------------------------------------------------------------------

    private void restore(KeyValue kv) {
        keys.computeIfAbsent(kv.key(), k -> new KeyHistory()).append(kv);
    }

    /** Derives the event log from the restored versions: each version after the compaction is one event. */
    private void rebuildEvents() {
        long rebuilt = 0;
        for (KeyHistory history : keys.values()) {
            KeyValue prev = null;
            for (KeyValue kv : history.upTo(Long.MAX_VALUE)) {
                if (kv.modRevision() > compacted) {
                    boolean deletion = KeyHistory.isTombstone(kv);
                    events.put(kv.modRevision(), new WatchEvent(deletion ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT, kv, live(prev)));
                    rebuilt++;
                }
                prev = kv;
            }
        }
        if (rebuilt != lastRevision - compacted) {
            throw new StorageFailureException("corrupt snapshot in " + dir.path() + ": " + rebuilt + " versions for "
                    + (lastRevision - compacted) + " revisions", null);
        }
    }

    private void replay(LogEntry entry, long revision) {
        if (entry instanceof LogEntry.Compact(long at)) {
            if (at > compacted) compactInMemory(at);
            return;
        }
        apply(entry, revision);
        lastRevision = revision;
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------

    private void requireOpen() {
        if (closed) throw new StorageFailureException("the store in " + dir.path() + " is closed", null);
    }

    private static String requireKey(String key) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty key");
        return key;
    }

    /** Finishes the writes already accepted, wakes every watcher with {@code WatchClosedException}, unlocks the directory. */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) return;
            closed = true;
        } finally {
            writeLock.unlock();
        }
        journal.close();
        hub.close();
        maintenance.lock();
        try {
            dir.close();
        } finally {
            maintenance.unlock();
        }
    }
}
