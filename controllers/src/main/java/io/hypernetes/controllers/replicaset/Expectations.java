package io.hypernetes.controllers.replicaset;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kubernetes' controller expectations: what a controller's own creates and deletes are still to show in its
 * informer. While a key has creations or deletions outstanding the controller does not manage its replicas again
 * (its cache would make it create or delete twice); each observed add or delete lowers the count. Deletions are
 * tracked by pod UID so a pod seen going twice (deletionTimestamp, then gone) counts once. Expectations older
 * than {@link #TTL} are considered satisfied, so a lost event cannot stall a ReplicaSet forever.
 */
final class Expectations {
    static final Duration TTL = Duration.ofMinutes(5);

    private static final class Entry {
        int adds;
        final Set<String> deletes = new HashSet<>();
        long since = System.nanoTime();
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** True when nothing is outstanding for {@code key} (or it has been outstanding longer than the TTL). */
    boolean satisfied(String key) {
        Entry e = entries.get(key);
        if (e == null) return true;
        synchronized (e) {
            return (e.adds <= 0 && e.deletes.isEmpty()) || System.nanoTime() - e.since > TTL.toNanos();
        }
    }

    void expectCreations(String key, int n) {
        Entry e = new Entry();
        e.adds = n;
        entries.put(key, e);
    }

    void expectDeletions(String key, Set<String> uids) {
        Entry e = new Entry();
        e.deletes.addAll(uids);
        entries.put(key, e);
    }

    void creationObserved(String key) {
        Entry e = entries.get(key);
        if (e != null) synchronized (e) {
            e.adds--;
        }
    }

    void deletionObserved(String key, String uid) {
        Entry e = entries.get(key);
        if (e != null) synchronized (e) {
            e.deletes.remove(uid);
        }
    }

    void delete(String key) {
        entries.remove(key);
    }

    /** Outstanding creations (for tests). */
    int pendingCreations(String key) {
        Entry e = entries.get(key);
        if (e == null) return 0;
        synchronized (e) {
            return e.adds;
        }
    }
}
