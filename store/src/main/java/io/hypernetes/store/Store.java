package io.hypernetes.store;

import java.time.Duration;
import java.util.Optional;

/**
 * A revisioned key-value store with etcd v3 semantics: every write gets the next store-wide
 * revision, old revisions stay readable until compacted, and watchers replay every change
 * after a revision in order.
 *
 * <p>Keys are ASCII strings (as Kubernetes' registry keys are), ordered as etcd orders bytes; values are opaque.
 * Writes are acknowledged only when durable. Conditional writes compare the key's
 * {@link KeyValue#modRevision()}; {@code expectedModRevision == 0} means "whatever is there".
 * A write that is refused (exists, not found, mismatch) changes nothing and takes no revision.
 *
 * <p>Values handed in are copied; values handed out may be shared between callers, so never modify them.
 *
 * <p>Implementations: {@code EmbeddedStore} (default, local disk) and, later, an etcd store.
 * Both are held to {@code StoreContract} in the tests.
 */
public interface Store extends AutoCloseable {

    /** The revision of the latest write; 0 for a store that was never written. */
    long revision();

    /** Revisions at or below this one are compacted away (0 if never compacted). */
    long compactedRevision();

    /** The latest value of a key. */
    Optional<KeyValue> get(String key);

    /**
     * Keys in {@code [fromKey, toKey)} as they were at {@code atRevision} (0 = latest), in key order; none when
     * {@code toKey <= fromKey}. To continue after a limited answer, ask again from the last key + {@code "\0"}
     * at the same {@link RangeResult#revision()}.
     *
     * @param limit at most this many keys (0 = no limit); {@link RangeResult#more()} tells whether keys were left out
     * @throws CompactedException if {@code atRevision} is at or below the compacted revision
     * @throws FutureRevisionException if {@code atRevision} is above {@link #revision()}
     */
    RangeResult range(String fromKey, String toKey, long atRevision, int limit);

    /**
     * Writes a key that must not exist.
     *
     * @return the stored key-value, with its new revision
     * @throws KeyExistsException if it exists
     */
    KeyValue create(String key, byte[] value);

    /**
     * Replaces the value of an existing key if its mod revision is {@code expectedModRevision} (0 = any).
     *
     * @throws KeyNotFoundException if the key does not exist
     * @throws RevisionMismatchException if the key was changed since, carrying its current value
     */
    KeyValue update(String key, byte[] value, long expectedModRevision);

    /**
     * Deletes an existing key if its mod revision is {@code expectedModRevision} (0 = any).
     *
     * @return the deleted value, as {@link WatchEvent#prevKv()} would show it, and the deletion's revision
     * @throws KeyNotFoundException if the key does not exist
     * @throws RevisionMismatchException if the key was changed since
     */
    Deleted delete(String key, long expectedModRevision);

    /**
     * Watches keys in {@code [fromKey, toKey)}, starting with the changes made at {@code startRevision}
     * (so {@code revision() + 1}, or 0, means "from now on").
     *
     * @throws CompactedException if {@code startRevision} is at or below the compacted revision
     */
    Watch watch(String fromKey, String toKey, long startRevision);

    /**
     * Forgets every revision older than {@code revision}, keeping each key's latest value at it: afterwards
     * {@link #compactedRevision()} is {@code revision}, reads and watches at or below it fail with
     * {@link CompactedException}, and latest reads are unaffected. Compacting at or below the compacted revision
     * is a no-op.
     *
     * @throws FutureRevisionException if {@code revision} is above {@link #revision()}
     */
    void compact(long revision);

    @Override
    void close();

    /** The result of {@link #delete}. */
    record Deleted(KeyValue prevKv, long revision) {}

    /** The smallest key greater than every key with this prefix: {@code range(prefix, prefixEnd(prefix))} lists the prefix. */
    static String prefixEnd(String prefix) {
        if (prefix.isEmpty()) throw new IllegalArgumentException("empty prefix");
        char last = prefix.charAt(prefix.length() - 1);
        if (last >= 0x7f) throw new IllegalArgumentException("prefix must end in an ASCII character: " + prefix);
        return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
    }

    /**
     * A stream of changes, read by one thread at a time. Dropping a {@code Watch} without closing it leaks
     * nothing in the embedded store but does in etcd, so close it.
     */
    interface Watch extends AutoCloseable {
        /**
         * Waits up to {@code timeout} for changes after those already returned and returns them in revision
         * order, or an empty list when none came.
         *
         * @throws CompactedException if the watcher fell behind a compaction: restart from a fresh list
         * @throws WatchClosedException once closed, or when the store is closed
         */
        java.util.List<WatchEvent> poll(Duration timeout) throws InterruptedException;

        /** Every change up to this revision has been returned by {@link #poll} (etcd's progress notification). */
        long progressRevision();

        @Override
        void close();
    }
}
