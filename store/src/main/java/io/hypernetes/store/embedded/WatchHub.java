package io.hypernetes.store.embedded;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Holds the visible revision and wakes watchers when a commit touches their range.
 *
 * <p>Only watchers blocked in {@code poll} are registered here, each with its own condition; a commit signals
 * just those whose range holds a changed key. So idle watchers cost nothing per commit, and a write to one key
 * does not wake thousands of watchers of other keys.
 */
final class WatchHub {

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<EmbeddedWatch> waiting = new HashSet<>(); // guarded by lock
    private volatile long revision;
    private volatile boolean closed;

    /** The newest durable revision: what reads see and how far watchers may read. */
    long revision() {
        return revision;
    }

    boolean isClosed() {
        return closed;
    }

    Condition newCondition() {
        return lock.newCondition();
    }

    /** Makes {@code revision} visible and wakes the waiting watchers of {@code keys}. */
    void publish(long revision, List<String> keys) {
        String[] sorted = keys.toArray(String[]::new);
        Arrays.sort(sorted);
        lock.lock();
        try {
            this.revision = revision;
            for (EmbeddedWatch watch : waiting) {
                if (watch.coversAny(sorted)) watch.wake.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for a commit that may matter to {@code watch}, unless the revision already moved past {@code seen}
     * (the watcher must look at those changes first). Checking under the lock that commits publish under is
     * what makes a wake-up impossible to miss.
     *
     * @return the nanoseconds left of {@code nanos}
     */
    long await(EmbeddedWatch watch, long seen, long nanos) throws InterruptedException {
        lock.lock();
        try {
            if (closed || watch.isClosed() || revision != seen) return nanos;
            waiting.add(watch);
            try {
                return watch.wake.awaitNanos(nanos);
            } finally {
                waiting.remove(watch);
            }
        } finally {
            lock.unlock();
        }
    }

    void wake(EmbeddedWatch watch) {
        lock.lock();
        try {
            watch.wake.signal();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            for (EmbeddedWatch watch : waiting) watch.wake.signal();
        } finally {
            lock.unlock();
        }
    }
}
