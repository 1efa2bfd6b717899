package io.hypernetes.controllers.endpoints;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A controller's work queue, as client-go's rate-limited work queue: a key waiting once however often it is added,
 * never handled by two workers at once (a key added while it is being handled waits until that pass ends and then
 * runs again), retries after failures with per-key exponential backoff, and delayed adds. Workers are virtual
 * threads.
 *
 * <p>The reconciler answers null when the key needs nothing more, a {@link Duration} to look again after that
 * long (timeouts), or throws to be retried with backoff ({@link #RETRY_BASE} doubling to {@link #RETRY_MAX}).
 *
 * <p>Minimal on purpose, inside the endpoints package until the controllers share one ({@code controllers/work}).
 */
public final class WorkQueue<K> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);
    public static final Duration RETRY_BASE = Duration.ofMillis(50);
    public static final Duration RETRY_MAX = Duration.ofSeconds(30);

    /** Handles one key; see the class comment for what it answers. */
    @FunctionalInterface
    public interface Reconciler<K> {
        Duration reconcile(K key) throws Exception;
    }

    private final String name;
    private final Reconciler<K> reconciler;
    private final LinkedHashSet<K> waiting = new LinkedHashSet<>();
    private final Set<K> active = new HashSet<>();
    private final Set<K> dirty = new HashSet<>();
    private final Map<K, Integer> failures = new HashMap<>();
    private final ScheduledExecutorService timers;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closed;

    public WorkQueue(String name, int workers, Reconciler<K> reconciler) {
        this.name = name;
        this.reconciler = reconciler;
        this.timers = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(name + "-timer").factory());
        for (int i = 0; i < workers; i++) this.workers.add(Thread.ofVirtual().name(name + "-worker-" + i).unstarted(this::work));
    }

    /** Starts the workers (keys added before wait for them). */
    public WorkQueue<K> start() {
        workers.forEach(Thread::start);
        return this;
    }

    /** Queues {@code key} unless it is already waiting. */
    public synchronized void add(K key) {
        if (closed) return;
        if (active.contains(key)) {
            dirty.add(key);
            return;
        }
        if (waiting.add(key)) notifyAll();
    }

    /** Queues {@code key} after {@code delay}. */
    public void addAfter(K key, Duration delay) {
        if (closed) return;
        if (delay.isNegative() || delay.isZero()) {
            add(key);
            return;
        }
        try {
            timers.schedule(() -> add(key), delay.toMillis() + 1, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Queues {@code key} after its next backoff (each failure in a row doubles it). */
    public void addRateLimited(K key) {
        int n;
        synchronized (this) {
            n = failures.merge(key, 1, Integer::sum);
        }
        long ms = RETRY_BASE.toMillis() << Math.min(n - 1, 20);
        addAfter(key, Duration.ofMillis(Math.min(ms, RETRY_MAX.toMillis())));
    }

    /** Forgets {@code key}'s failures. */
    public synchronized void forget(K key) {
        failures.remove(key);
    }

    /** Keys waiting now (for tests and logs). */
    public synchronized int length() {
        return waiting.size();
    }

    private synchronized K take() throws InterruptedException {
        while (waiting.isEmpty()) {
            if (closed) throw new InterruptedException();
            wait();
        }
        var it = waiting.iterator();
        K key = it.next();
        it.remove();
        active.add(key);
        return key;
    }

    private synchronized void done(K key) {
        active.remove(key);
        if (dirty.remove(key) && !closed && waiting.add(key)) notifyAll();
    }

    private void work() {
        while (!closed) {
            K key;
            try {
                key = take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                Duration again = reconciler.reconcile(key);
                forget(key);
                if (again != null) addAfter(key, again);
            } catch (InterruptedException e) {
                if (closed) return;
                addRateLimited(key);
            } catch (Exception e) {
                if (closed) return;
                log.info("{} {}: {} (retrying)", name, key, e.toString());
                addRateLimited(key);
            } finally {
                done(key);
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        timers.shutdownNow();
        workers.forEach(Thread::interrupt);
    }
}
