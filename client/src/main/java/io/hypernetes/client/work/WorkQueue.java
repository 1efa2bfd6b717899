package io.hypernetes.client.work;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work queue of keys ({@code namespace/name}, or {@code name} for cluster-scoped objects) between informers and
 * whatever reconciles what they see — the controllers, the service proxy, the tenant DNS, the overlay peers — with
 * client-go's workqueue semantics:
 *
 * <ul>
 *   <li><b>De-duplication</b>: a key added while it waits is queued once; a key added while a worker processes it
 *       is queued again only after that worker calls {@link #done} — so one key is never processed by two workers
 *       at once.
 *   <li><b>Delays</b>: {@link #addAfter} queues a key later (a resync, a deadline).
 *   <li><b>Rate-limited retries</b>: {@link #addRateLimited} waits {@code baseDelay · 2^failures} (capped at
 *       {@code maxDelay}) for that key; {@link #forget} resets its count after a success.
 * </ul>
 *
 * <p>{@link #run} starts N workers (virtual threads) that take keys and call a {@link Reconciler}: a normal return
 * forgets the key, an exception retries it rate-limited ({@link Conflict}s quietly, others logged at WARN).
 * {@link #close} stops taking, wakes and interrupts the workers, and drops delayed adds.
 */
public final class WorkQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);

    /** One reconcile of one key; throw to have the key retried with backoff. */
    @FunctionalInterface
    public interface Reconciler {
        void reconcile(String key) throws Exception;
    }

    /** An optimistic-concurrency conflict (HTTP 409) or a stale cache: retried at once-ish, logged at DEBUG only. */
    public static final class Conflict extends RuntimeException {
        public Conflict(String message) {
            super(message, null, false, false);
        }
    }

    private final String name;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final Set<String> dirty = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final ScheduledExecutorService delays;
    private final List<Thread> workers = new ArrayList<>();
    private boolean shutdown;

    /** A queue retrying after 5 ms, doubling up to 60 s. */
    public WorkQueue(String name) {
        this(name, Duration.ofMillis(5), Duration.ofSeconds(60));
    }

    public WorkQueue(String name, Duration baseDelay, Duration maxDelay) {
        this.name = name;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.delays = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name(name + "-delays").factory());
    }

    /** The queue key of an object: {@code namespace/name}, or {@code name} when it has no namespace. */
    public static String key(JsonNode obj) {
        return key(Meta.namespace(obj), Meta.name(obj));
    }

    public static String key(String namespace, String name) {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }

    /** {@code [namespace, name]} of a key ({@code namespace} empty for a cluster-scoped key). */
    public static String[] split(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? new String[] {"", key} : new String[] {key.substring(0, slash), key.substring(slash + 1)};
    }

    public synchronized void add(String key) {
        if (shutdown || !dirty.add(key)) return;
        if (processing.contains(key)) return; // queued again by done()
        queue.addLast(key);
        notifyAll();
    }

    /** Adds {@code key} after {@code delay} (at once when it is not positive). */
    public void addAfter(String key, Duration delay) {
        if (delay.isNegative() || delay.isZero()) {
            add(key);
            return;
        }
        synchronized (this) {
            if (shutdown) return;
        }
        try {
            delays.schedule(() -> add(key), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Adds {@code key} after its backoff, which doubles with each call until {@link #forget}; answers that wait. */
    public Duration addRateLimited(String key) {
        int n;
        synchronized (this) {
            n = failures.merge(key, 1, Integer::sum) - 1;
        }
        Duration wait = backoff(n);
        addAfter(key, wait);
        return wait;
    }

    Duration backoff(int previousFailures) {
        if (previousFailures >= 30) return maxDelay;
        Duration d = baseDelay.multipliedBy(1L << previousFailures);
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }

    /** Clears the key's retry count (after a successful reconcile). */
    public synchronized void forget(String key) {
        failures.remove(key);
    }

    /** How many rate-limited retries the key has had since it was last forgotten. */
    public synchronized int retries(String key) {
        return failures.getOrDefault(key, 0);
    }

    /** Waits for a key; empty once the queue is closed. Call {@link #done} with it when finished. */
    public synchronized Optional<String> take() throws InterruptedException {
        while (queue.isEmpty() && !shutdown) wait();
        if (shutdown) return Optional.empty();
        String key = queue.removeFirst();
        processing.add(key);
        dirty.remove(key);
        return Optional.of(key);
    }

    /** Marks {@code key} processed; if it was added meanwhile it goes back in the queue. */
    public synchronized void done(String key) {
        processing.remove(key);
        if (dirty.contains(key) && !shutdown) {
            queue.addLast(key);
            notifyAll();
        }
    }

    /** Keys waiting (not counting delayed ones or those being processed). */
    public synchronized int length() {
        return queue.size();
    }

    /** Starts {@code n} worker virtual threads running {@code reconciler} over the queue. */
    public synchronized void run(int n, Reconciler reconciler) {
        for (int i = 0; i < n; i++) {
            Thread t = Thread.ofVirtual().name(name + "-worker-" + i).unstarted(() -> workLoop(reconciler));
            workers.add(t);
            t.start();
        }
    }

    private void workLoop(Reconciler reconciler) {
        while (true) {
            String key;
            try {
                Optional<String> next = take();
                if (next.isEmpty()) return;
                key = next.get();
            } catch (InterruptedException e) {
                return;
            }
            try {
                reconciler.reconcile(key);
                forget(key);
            } catch (Conflict e) {
                log.debug("{} {}: {} (retrying)", name, key, e.getMessage());
                addRateLimited(key);
            } catch (InterruptedException e) {
                if (isShutdown()) return;
                addRateLimited(key);
            } catch (Exception e) {
                if (isShutdown()) return;
                Duration wait = addRateLimited(key);
                log.warn("{} {}: {} (retry {} in {} ms)", name, key, e.toString(), retries(key), wait.toMillis());
            } finally {
                done(key);
            }
        }
    }

    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public void close() {
        List<Thread> ws;
        synchronized (this) {
            shutdown = true;
            queue.clear();
            dirty.clear();
            notifyAll();
            ws = List.copyOf(workers);
        }
        delays.shutdownNow();
        ws.forEach(Thread::interrupt);
    }
}
