package io.hypernetes.store.embedded;

import io.hypernetes.store.KeyValue;
import java.util.Arrays;

/**
 * The versions of one key since the last compaction, oldest first; a deletion is a tombstone (version 0).
 *
 * <p>Only the store's writer (holding its write lock) changes a history. Readers take no lock: they read an
 * immutable view (array, size), and appending writes past every published view's size before publishing a
 * longer one, so no reader ever sees a slot change under it.
 */
final class KeyHistory {

    private record View(KeyValue[] versions, int size) {}

    private volatile View view = new View(new KeyValue[2], 0);

    static boolean isTombstone(KeyValue kv) {
        return kv.version() == 0;
    }

    /** The newest version, tombstone or not, written or still waiting for its fsync; null when empty. */
    KeyValue newest() {
        View v = view;
        return v.size == 0 ? null : v.versions[v.size - 1];
    }

    /** The version current at {@code revision}, or null if the key did not exist then. */
    KeyValue at(long revision) {
        View v = view;
        // Reads are nearly always at or near the latest revision, so search from the newest end.
        for (int i = v.size - 1; i >= 0; i--) {
            KeyValue kv = v.versions[i];
            if (kv.modRevision() <= revision) return isTombstone(kv) ? null : kv;
        }
        return null;
    }

    void append(KeyValue kv) {
        View v = view;
        KeyValue[] versions = v.versions;
        if (v.size == versions.length) versions = Arrays.copyOf(versions, versions.length * 2);
        versions[v.size] = kv;
        view = new View(versions, v.size + 1);
    }

    /**
     * Drops every version a read above {@code revision} can no longer need: all but the newest at or below it,
     * and that one too if it is a tombstone.
     *
     * @return whether nothing is left, so the key can be forgotten
     */
    boolean compact(long revision) {
        View v = view;
        int keepFrom = 0;
        while (keepFrom + 1 < v.size && v.versions[keepFrom + 1].modRevision() <= revision) keepFrom++;
        if (keepFrom < v.size && v.versions[keepFrom].modRevision() <= revision && isTombstone(v.versions[keepFrom])) {
            keepFrom++;
        }
        if (keepFrom == 0) return v.size == 0;
        int size = v.size - keepFrom;
        KeyValue[] kept = Arrays.copyOfRange(v.versions, keepFrom, keepFrom + Math.max(size, 2));
        view = new View(kept, size);
        return size == 0;
    }

    /** The versions at or below {@code revision}, oldest first, for a snapshot. */
    KeyValue[] upTo(long revision) {
        View v = view;
        int n = 0;
        while (n < v.size && v.versions[n].modRevision() <= revision) n++;
        return Arrays.copyOf(v.versions, n);
    }
}
