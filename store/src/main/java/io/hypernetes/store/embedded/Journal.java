package io.hypernetes.store.embedded;

import io.hypernetes.store.StorageFailureException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The write-ahead log: segment files of CRC-framed batches, and the committer thread that makes them durable.
 *
 * <p>Group commit: writers add entries to the open batch and wait for it; the committer takes the whole batch,
 * writes it as one frame and forces it with one fsync, while the next writers fill the next batch. So the
 * batch size follows the fsync latency on its own, and one frame is exactly one fsync's worth of writes.
 *
 * <p>Segment file: {@code "HNWAL001"}, the base revision (8 bytes), then frames. Frame: body length (4),
 * CRC32C of the body (4), body = revision before the first entry (8), entry count (4), entries. All big-endian.
 */
final class Journal implements AutoCloseable {

    /** Called on the committer thread once a batch is durable, before its writers are released. */
    interface Committed {
        void committed(Batch batch);
    }

    /** Receives each logged entry on recovery; {@code revision} is 0 for entries that take none. */
    interface Replay {
        void apply(LogEntry entry, long revision);
    }

    private static final long MAGIC = 0x484e57414c303031L; // "HNWAL001"
    private static final int SEGMENT_HEADER = 16;
    private static final int FRAME_HEADER = 8;
    private static final int BODY_HEADER = 12;

    /** Writes that share one frame and one fsync. */
    static final class Batch {
        final long prevRevision;
        private long lastRevision;
        private int count;
        private ByteBuffer body = ByteBuffer.allocate(4096).position(BODY_HEADER);
        private final List<String> keys = new ArrayList<>();
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile StorageFailureException failure;

        Batch(long prevRevision) {
            this.prevRevision = prevRevision;
            this.lastRevision = prevRevision;
        }

        long lastRevision() {
            return lastRevision;
        }

        /** The keys this batch changed (unordered, may repeat): what watchers are woken for. */
        List<String> keys() {
            return keys;
        }

        boolean holds(long revision) {
            return revision > prevRevision && revision <= lastRevision;
        }

        private boolean isEmpty() {
            return count == 0;
        }

        private void add(LogEntry entry, long revision, String key) {
            int size = entry.encodedSize();
            if (body.remaining() < size) {
                ByteBuffer grown = ByteBuffer.allocate(Math.max(body.capacity() * 2, body.position() + size));
                body.flip();
                grown.put(body);
                body = grown;
            }
            entry.encode(body);
            count++;
            if (entry.takesRevision()) lastRevision = revision;
            if (key != null) keys.add(key);
        }

        private ByteBuffer seal() {
            body.putLong(0, prevRevision).putInt(8, count);
            return body.flip();
        }

        /** Waits until the batch is durable; a writer's acknowledgement must not outrun its fsync. */
        void await() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    // The entry is already on its way to disk; walking away would leave its fate unknown.
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            StorageFailureException f = failure;
            if (f != null) throw f;
        }

        private void finish(StorageFailureException failure) {
            this.failure = failure;
            done.countDown();
        }
    }

    private final DataDir dir;
    private final long segmentBytes;
    private final Committed committed;
    private final Lock writeLock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final List<Long> segments; // guarded by lock; the last is the active one
    private final Thread committer;
    private Batch open; // guarded by lock
    private Batch inflight; // guarded by lock
    private StorageFailureException failure; // guarded by lock
    private boolean closing; // guarded by lock

    // Owned by the committer thread once started.
    private FileChannel active;
    private long activeBase;
    private long activeSize;

    private Journal(DataDir dir, long segmentBytes, Lock writeLock, Committed committed, List<Long> segments,
                    FileChannel active, long activeSize, long revision) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.writeLock = writeLock;
        this.committed = committed;
        this.segments = segments;
        this.active = active;
        this.activeBase = segments.getLast();
        this.activeSize = activeSize;
        this.open = new Batch(revision);
        this.committer = Thread.ofPlatform().daemon().name("store-committer " + dir.path()).unstarted(this::commitLoop);
    }

    /**
     * Replays every entry after {@code snapshotRevision}, cuts off a torn tail, and returns the log ready to append.
     *
     * @param writeLock the lock writers hold while they append and apply; the committer takes batches only under
     *                  it, so a batch is never made visible while one of its writes is still half applied in memory
     *
     * @throws StorageFailureException if the log is damaged anywhere but at its tail, or has a gap
     */
    static Journal recover(DataDir dir, long snapshotRevision, long segmentBytes, Lock writeLock, Replay replay,
                           Committed committed)
            throws IOException {
        List<Long> bases = new ArrayList<>(dir.segments());
        if (bases.isEmpty()) {
            createSegment(dir, snapshotRevision);
            bases.add(snapshotRevision);
        }
        if (bases.getFirst() > snapshotRevision) {
            throw corrupt("the log starts at revision " + bases.getFirst() + " but the snapshot ends at " + snapshotRevision);
        }
        long revision = bases.getFirst();
        int validEnd = SEGMENT_HEADER;
        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            boolean last = i == bases.size() - 1;
            Path file = dir.segment(base);
            ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(file));
            if (data.limit() < SEGMENT_HEADER || data.getLong(0) != MAGIC || data.getLong(8) != base) {
                throw corrupt(file + " has no valid segment header");
            }
            if (base != revision) throw corrupt(file + " starts at revision " + base + " but the log before it ends at " + revision);
            int pos = SEGMENT_HEADER;
            while (pos < data.limit()) {
                int end = validFrameEnd(data, pos);
                if (end < 0) {
                    if (last && !validFrameAfter(data, pos, revision)) break; // a torn tail: never acknowledged
                    throw corrupt(file + " is damaged at offset " + pos + ", before data that was acknowledged");
                }
                ByteBuffer body = data.slice(pos + FRAME_HEADER, end - pos - FRAME_HEADER);
                if (body.getLong() != revision) throw corrupt(file + " offset " + pos + " does not follow revision " + revision);
                int count = body.getInt();
                for (int n = 0; n < count; n++) {
                    LogEntry entry = LogEntry.decode(body);
                    if (entry.takesRevision()) {
                        revision++;
                        if (revision > snapshotRevision) replay.apply(entry, revision);
                    } else {
                        replay.apply(entry, 0);
                    }
                }
                if (body.hasRemaining()) throw corrupt(file + " offset " + pos + " has bytes after its entries");
                pos = end;
            }
            validEnd = pos;
        }
        if (revision < snapshotRevision) {
            throw corrupt("the log ends at revision " + revision + " but the snapshot is at " + snapshotRevision);
        }
        Path activeFile = dir.segment(bases.getLast());
        FileChannel active = FileChannel.open(activeFile, StandardOpenOption.WRITE);
        if (active.size() > validEnd) {
            active.truncate(validEnd);
            active.force(true);
        }
        active.position(validEnd);
        return new Journal(dir, segmentBytes, writeLock, committed, bases, active, validEnd, revision);
    }

    void start() {
        committer.start();
    }

    /**
     * Adds an entry to the open batch. The caller serialises calls (the store's write lock), which is what
     * makes log order revision order.
     */
    Batch append(LogEntry entry, long revision, String key) {
        lock.lock();
        try {
            if (failure != null) throw failure;
            if (closing) throw new StorageFailureException("the store is closed", null);
            open.add(entry, revision, key);
            work.signal();
            return open;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@code revision}, already appended, is durable. Used before refusing a write because of a
     * version that is not yet acknowledged, so a refusal never reveals a write that could still be lost.
     */
    void awaitDurable(long revision) {
        Batch batch;
        StorageFailureException failed;
        lock.lock();
        try {
            batch = inflight != null && inflight.holds(revision) ? inflight : open.holds(revision) ? open : null;
            failed = failure;
        } finally {
            lock.unlock();
        }
        if (batch != null) batch.await();
        else if (failed != null) throw failed;
    }

    /** Deletes segments that hold nothing after {@code snapshotRevision}, now that a snapshot covers them. */
    void dropCoveredBy(long snapshotRevision) throws IOException {
        List<Long> covered = new ArrayList<>();
        lock.lock();
        try {
            while (segments.size() > 1 && segments.get(1) <= snapshotRevision) covered.add(segments.removeFirst());
        } finally {
            lock.unlock();
        }
        for (long base : covered) Files.deleteIfExists(dir.segment(base));
        if (!covered.isEmpty()) dir.force();
    }

    int segmentCount() {
        lock.lock();
        try {
            return segments.size();
        } finally {
            lock.unlock();
        }
    }

    private void commitLoop() {
        while (true) {
            Batch batch;
            lock.lock();
            try {
                while (open.isEmpty() && !closing) work.awaitUninterruptibly();
            } finally {
                lock.unlock();
            }
            writeLock.lock(); // always before our own lock, as writers take them
            lock.lock();
            try {
                if (open.isEmpty()) {
                    if (closing) return; // everything appended is written
                    continue;
                }
                batch = open;
                inflight = batch;
                open = new Batch(batch.lastRevision());
            } finally {
                lock.unlock();
                writeLock.unlock();
            }
            try {
                write(batch);
            } catch (IOException | RuntimeException e) {
                fail(batch, new StorageFailureException("cannot write the store's log in " + dir.path(), e));
                return;
            }
            committed.committed(batch);
            lock.lock();
            try {
                inflight = null;
            } finally {
                lock.unlock();
            }
            batch.finish(null);
        }
    }

    private void write(Batch batch) throws IOException {
        // A segment's name is its base revision, so a segment holding no new revision cannot roll.
        if (activeSize >= segmentBytes && batch.prevRevision > activeBase) roll(batch.prevRevision);
        ByteBuffer body = batch.seal();
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER).putInt(body.remaining()).putInt((int) crc.getValue()).flip();
        long size = FRAME_HEADER + body.remaining();
        ByteBuffer[] frame = {header, body};
        while (body.hasRemaining()) active.write(frame);
        // fdatasync: the data and the file length, which is all a reader of the log needs.
        active.force(false);
        activeSize += size;
    }

    private void roll(long base) throws IOException {
        FileChannel next = FileChannel.open(createSegment(dir, base), StandardOpenOption.WRITE);
        next.position(SEGMENT_HEADER);
        FileChannel previous = active;
        active = next;
        activeBase = base;
        activeSize = SEGMENT_HEADER;
        lock.lock();
        try {
            segments.add(base);
        } finally {
            lock.unlock();
        }
        previous.close();
    }

    private static Path createSegment(DataDir dir, long base) throws IOException {
        Path target = dir.segment(base);
        Path temporary = DataDir.temporary(target);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER).putLong(MAGIC).putLong(base).flip();
            while (header.hasRemaining()) channel.write(header);
            channel.force(true);
        }
        dir.publish(temporary, target);
        return target;
    }

    private void fail(Batch batch, StorageFailureException cause) {
        lock.lock();
        try {
            failure = cause;
            inflight = null;
            batch.finish(cause);
            // Later writes were validated against this batch, so none of them can be made durable either.
            open.finish(cause);
        } finally {
            lock.unlock();
        }
    }

    /** The end of a well-formed frame at {@code pos}, or -1. */
    private static int validFrameEnd(ByteBuffer data, int pos) {
        if (data.limit() - pos < FRAME_HEADER + BODY_HEADER) return -1;
        int length = data.getInt(pos);
        if (length < BODY_HEADER || length > data.limit() - pos - FRAME_HEADER) return -1;
        CRC32C crc = new CRC32C();
        crc.update(data.slice(pos + FRAME_HEADER, length));
        return (int) crc.getValue() == data.getInt(pos + 4) ? pos + FRAME_HEADER + length : -1;
    }

    /**
     * Whether a well-formed later frame follows damage at {@code pos}. A crash can only tear the last frame (each
     * frame is forced before the next is written), so intact data after the damage means acknowledged writes
     * were hit: corruption, not a torn tail.
     */
    private static boolean validFrameAfter(ByteBuffer data, int pos, long revision) {
        for (int q = pos + 1; q <= data.limit() - FRAME_HEADER - BODY_HEADER; q++) {
            long prev = data.getLong(q + FRAME_HEADER);
            // Cheap filters first; the CRC decides.
            if (prev >= revision && prev - revision <= data.limit() - q && validFrameEnd(data, q) > 0) return true;
        }
        return false;
    }

    private static StorageFailureException corrupt(String message) {
        return new StorageFailureException("corrupt store log: " + message, null);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (committer.isAlive()) {
            try {
                committer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        try {
            active.close();
        } catch (IOException ignored) {
            // every acknowledged write was forced already
        }
    }
}
