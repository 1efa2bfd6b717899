package io.hypernetes.store.embedded;

import io.hypernetes.store.WatchEvent;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every change since the last compaction, indexed by revision. Revisions are dense (each write takes exactly
 * one), so the log is an array cut into chunks, and a watcher is nothing but a revision to read from.
 *
 * <p>Publication is the store's job: a slot is written before its revision becomes visible through a volatile
 * write, and readers never read past the visible revision.
 */
final class EventLog {

    private static final int SHIFT = 12;
    private static final int CHUNK = 1 << SHIFT;
    private static final int MASK = CHUNK - 1;

    private final ConcurrentHashMap<Long, WatchEvent[]> chunks = new ConcurrentHashMap<>();

    void put(long revision, WatchEvent event) {
        chunks.computeIfAbsent(revision >>> SHIFT, k -> new WatchEvent[CHUNK])[(int) (revision & MASK)] = event;
    }

    /** The change made at {@code revision}, or null once compacted away. */
    WatchEvent get(long revision) {
        WatchEvent[] chunk = chunks.get(revision >>> SHIFT);
        return chunk == null ? null : chunk[(int) (revision & MASK)];
    }

    /** Frees every chunk holding only revisions at or below {@code revision}. */
    void compact(long revision) {
        long lastWholeChunk = ((revision + 1) >>> SHIFT) - 1;
        chunks.keySet().removeIf(chunk -> chunk <= lastWholeChunk);
    }
}
