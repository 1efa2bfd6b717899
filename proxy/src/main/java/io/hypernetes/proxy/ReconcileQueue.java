package io.hypernetes.proxy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's queue of keys to reconcile, with the controllers' work-queue semantics (a key waits once however often
 * it is added; one key is never reconciled by two workers at once; a reconcile that throws is retried after
 * {@code base · 2^failures}, capped). The controllers' {@code WorkQueue} lives in a module the proxy must not depend
 * on; this is the part of it the proxy needs.
 */
final class ReconcileQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReconcileQueue.class);

    /** One reconcile of one key; throw to have the key retried with back-off. */
    @FunctionalInterface
    interface Reconciler {
        void reconcile(String key) throws Exception;
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

    ReconcileQueue(String name, Duration baseDelay, Duration maxDelay) {
        this.name = name;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.delays = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(name + "-retries").factory());
    }

    synchronized void add(String key) {
        if (shutdown || !dirty.add(key)) return;
        if (processing.contains(key)) return; // done() queues it again
        queue.addLast(key);
        notifyAll();
    }

    private void retryLater(String key) {
        int n;
        synchronized (this) {
            if (shutdown) return;
            n = failures.merge(key, 1, Integer::sum) - 1;
        }
        try {
            delays.schedule(() -> add(key), backoff(n).toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    Duration backoff(int previousFailures) {
        if (previousFailures >= 30) return maxDelay;
        Duration d = baseDelay.multipliedBy(1L << previousFailures);
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }

    /** How many retries the key has had since it last succeeded. */
    synchronized int retries(String key) {
        return failures.getOrDefault(key, 0);
    }

    private synchronized String take() throws InterruptedException {
        while (queue.isEmpty() && !shutdown) wait();
        if (shutdown) return null;
        String key = queue.removeFirst();
        processing.add(key);
        dirty.remove(key);
        return key;
    }

    private synchronized void done(String key, boolean ok) {
        if (ok) failures.remove(key);
        processing.remove(key);
        if (dirty.contains(key) && !shutdown) {
            queue.addLast(key);
            notifyAll();
        }
    }

    /** Starts {@code n} worker virtual threads. */
    synchronized void run(int n, Reconciler reconciler) {
        for (int i = 0; i < n; i++) {
            Thread t = Thread.ofVirtual().name(name + "-" + i).unstarted(() -> work(reconciler));
            workers.add(t);
            t.start();
        }
    }

    private void work(Reconciler reconciler) {
        while (true) {
            String key;
            try {
                key = take();
            } catch (InterruptedException e) {
                return;
            }
            if (key == null) return;
            boolean ok = false;
            try {
                reconciler.reconcile(key);
                ok = true;
            } catch (Exception e) {
                if (isShutdown()) return;
                log.warn("{} {}: {} (retry {} in {} ms)", name, key, e.getMessage() == null ? e.toString() : e.getMessage(),
                        retries(key) + 1, backoff(retries(key)).toMillis());
                retryLater(key);
            } finally {
                done(key, ok);
            }
        }
    }

    synchronized boolean isShutdown() {
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
