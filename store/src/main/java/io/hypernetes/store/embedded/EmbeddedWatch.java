package io.hypernetes.store.embedded;

import io.hypernetes.store.CompactedException;
import io.hypernetes.store.Store;
import io.hypernetes.store.WatchClosedException;
import io.hypernetes.store.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Condition;

/** A cursor into the store's event log: no queue of its own, so a slow watcher costs no memory. */
final class EmbeddedWatch implements Store.Watch {

    /** Bounds one poll's answer, so a watcher replaying a long history hands it on in pieces. */
    static final int MAX_EVENTS = 1000;

    private final EmbeddedStore store;
    private final String fromKey;
    private final String toKey;
    final Condition wake;
    private volatile long next; // the first revision not yet looked at
    private volatile boolean closed;

    EmbeddedWatch(EmbeddedStore store, String fromKey, String toKey, long startRevision) {
        this.store = store;
        this.fromKey = fromKey;
        this.toKey = toKey;
        this.wake = store.hub().newCondition();
        this.next = startRevision;
    }

    @Override
    public List<WatchEvent> poll(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        while (true) {
            if (closed || store.hub().isClosed()) throw new WatchClosedException(fromKey);
            long visible = store.hub().revision();
            List<WatchEvent> events = read(visible);
            if (!events.isEmpty() || nanos <= 0) return events;
            nanos = store.hub().await(this, visible, nanos);
        }
    }

    private List<WatchEvent> read(long visible) {
        long revision = next;
        long compacted = store.compactedRevision();
        if (revision <= compacted) throw new CompactedException(revision, compacted);
        List<WatchEvent> events = new ArrayList<>();
        EventLog log = store.events();
        for (; revision <= visible && events.size() < MAX_EVENTS; revision++) {
            WatchEvent event = log.get(revision);
            if (event == null) throw new CompactedException(revision, store.compactedRevision());
            if (covers(event.kv().key())) events.add(event);
        }
        next = revision;
        return events;
    }

    private boolean covers(String key) {
        return key.compareTo(fromKey) >= 0 && key.compareTo(toKey) < 0;
    }

    /** Whether any of these keys (sorted) is in range. */
    boolean coversAny(String[] sortedKeys) {
        int at = Arrays.binarySearch(sortedKeys, fromKey);
        if (at >= 0) return true;
        int insertion = -at - 1;
        return insertion < sortedKeys.length && sortedKeys[insertion].compareTo(toKey) < 0;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public long progressRevision() {
        return Math.min(next - 1, store.hub().revision());
    }

    @Override
    public void close() {
        closed = true;
        store.hub().wake(this);
    }
}
