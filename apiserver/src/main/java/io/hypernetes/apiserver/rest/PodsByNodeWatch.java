package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.store.CompactedException;
import io.hypernetes.store.Store;
import io.hypernetes.store.WatchClosedException;
import io.hypernetes.store.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod watches indexed by {@code spec.nodeName}, as Kubernetes' watch cache indexes them: every node agent watches
 * the pods of its node ({@code fieldSelector=spec.nodeName=<node>}), so with N nodes a pod change would otherwise
 * be read, decoded, filtered and thrown away N times, once per watcher's own cursor over the store. Here one
 * cursor reads the pod changes and hands each to the watchers of the node it was on before and the node it is on
 * after the change (the only watchers whose selector can match either side); each watcher still applies its whole
 * filter (selectors, visibility) as before, so what it sends is unchanged. Measured with Kubemark: at 1,000 hollow
 * nodes the per-watcher cursors took over a third of the API server's CPU.
 *
 * <p>A watcher that starts from a revision the shared cursor has already passed first replays that stretch from
 * the store through its own cursor (as every watcher did before), then switches to its queue, which holds
 * everything after the point it subscribed at — so no change is missed or sent twice. A watcher whose queue grows
 * past {@value #MAX_QUEUED} changes (its client stopped reading) is ended, as Kubernetes ends slow watchers; its
 * client watches again from its last resourceVersion. If the shared cursor falls behind a compaction, every
 * indexed watcher is ended the same way and the cursor starts again from the present.
 */
final class PodsByNodeWatch {
    private static final Logger log = LoggerFactory.getLogger(PodsByNodeWatch.class);
    static final String PREFIX = "/registry/pods/";
    static final int MAX_QUEUED = 10_000;

    private final Store store;
    private final WatchHandler.EventCache cache;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Set<Subscriber>> byNode = new HashMap<>(); // guarded by lock
    private volatile long position; // every pod change up to here has been handed to its watchers
    private boolean running; // guarded by lock

    PodsByNodeWatch(Store store, WatchHandler.EventCache cache) {
        this.store = store;
        this.cache = cache;
    }

    /**
     * The node a pod watch's field selector pins it to ({@code spec.nodeName=x} or {@code ==x}; empty for the
     * unscheduled pods), or null when it names none.
     */
    static String node(String fieldSelector) {
        if (fieldSelector == null) return null;
        for (String term : fieldSelector.split(",")) {
            String t = term.trim();
            if (t.startsWith("spec.nodeName==")) return t.substring("spec.nodeName==".length()).trim();
            if (t.startsWith("spec.nodeName=")) return t.substring("spec.nodeName=".length()).trim();
        }
        return null;
    }

    /** A store watch of the pods that were or are on {@code node}, from {@code startRevision} on. */
    Store.Watch watch(String node, long startRevision) {
        Subscriber s = new Subscriber(node, startRevision);
        long subscribedAt;
        lock.lock();
        try {
            if (!running) start();
            subscribedAt = position;
            byNode.computeIfAbsent(node, n -> new HashSet<>()).add(s);
        } finally {
            lock.unlock();
        }
        if (startRevision <= subscribedAt) {
            try {
                s.replay(store.watch(PREFIX, Store.prefixEnd(PREFIX), startRevision), subscribedAt);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
        }
        return s;
    }

    int watchers() {
        lock.lock();
        try {
            return byNode.values().stream().mapToInt(Set::size).sum();
        } finally {
            lock.unlock();
        }
    }

    /** Starts the shared cursor at the store's present; called under the lock. */
    private void start() {
        long from = store.revision();
        Store.Watch w = store.watch(PREFIX, Store.prefixEnd(PREFIX), from + 1);
        position = from;
        running = true;
        Thread.ofVirtual().name("pods-by-node-watch").start(() -> dispatch(w));
    }

    private void dispatch(Store.Watch w) {
        try (w) {
            while (true) {
                List<WatchEvent> events = w.poll(Duration.ofSeconds(1));
                lock.lock();
                try {
                    for (WatchEvent e : events) {
                        WatchHandler.EventCache.Change c = cache.change(e);
                        String before = nodeOf(c.prev());
                        String after = nodeOf(c.cur());
                        hand(before, e);
                        if (after != null && !after.equals(before)) hand(after, e);
                    }
                    // events first, then the position: a watcher that reads the position and finds its queue empty has every change up to it
                    position = Math.max(position, w.progressRevision());
                } finally {
                    lock.unlock();
                }
            }
        } catch (CompactedException e) {
            log.warn("the pods-by-node watch fell behind a compaction ({}); ending its watchers, who watch again", e.getMessage());
            stop();
        } catch (WatchClosedException e) {
            stop(); // the store is closing
        } catch (InterruptedException e) {
            stop();
        } catch (RuntimeException e) {
            log.warn("the pods-by-node watch failed; ending its watchers, who watch again: {}", e.toString());
            stop();
        }
    }

    private void stop() {
        lock.lock();
        try {
            running = false;
            for (Set<Subscriber> set : byNode.values()) for (Subscriber s : set) s.end();
            byNode.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. */
    private void hand(String node, WatchEvent e) {
        if (node == null) return;
        Set<Subscriber> set = byNode.get(node);
        if (set == null) return;
        for (var it = set.iterator(); it.hasNext(); ) {
            Subscriber s = it.next();
            if (!s.offer(e)) {
                it.remove();
                log.info("ended a watch of the pods of node {}: its client read too slowly ({} changes queued)", node, MAX_QUEUED);
            }
        }
        if (set.isEmpty()) byNode.remove(node);
    }

    private static String nodeOf(ObjectNode pod) {
        return pod == null ? null : pod.path("spec").path("nodeName").asText("");
    }

    /** One indexed watch: its replay of the past through its own cursor, then its queue. */
    private final class Subscriber implements Store.Watch {
        private final String node;
        private final long startRevision;
        private final LinkedBlockingQueue<WatchEvent> queue = new LinkedBlockingQueue<>();
        private volatile Store.Watch replay;
        private volatile long replayUntil;
        private volatile boolean ended;
        private volatile boolean closed;
        private volatile long returned;

        Subscriber(String node, long startRevision) {
            this.node = node;
            this.startRevision = startRevision;
            this.returned = startRevision - 1;
        }

        void replay(Store.Watch w, long until) {
            replayUntil = until;
            replay = w;
        }

        /** False when the queue is full: the watch ends. */
        boolean offer(WatchEvent e) {
            if (queue.size() >= MAX_QUEUED) {
                end();
                return false;
            }
            queue.add(e);
            return true;
        }

        void end() {
            ended = true;
            queue.add(new WatchEvent(WatchEvent.Type.DELETE, null, null)); // wakes a waiting poll; never returned
        }

        @Override
        public List<WatchEvent> poll(Duration timeout) throws InterruptedException {
            if (closed || ended) throw new WatchClosedException(PREFIX + "?spec.nodeName=" + node);
            Store.Watch r = replay;
            if (r != null) {
                // without waiting: everything up to the subscription point is already in the store
                List<WatchEvent> events = new ArrayList<>();
                for (WatchEvent e : r.poll(Duration.ZERO)) if (e.revision() <= replayUntil) events.add(e);
                if (r.progressRevision() >= replayUntil) {
                    replay = null;
                    r.close();
                }
                if (!events.isEmpty()) returned = events.getLast().revision();
                return events;
            }
            List<WatchEvent> events = new ArrayList<>();
            WatchEvent first = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (first == null) return events;
            List<WatchEvent> taken = new ArrayList<>();
            taken.add(first);
            queue.drainTo(taken);
            for (WatchEvent e : taken) {
                if (e.kv() == null) throw new WatchClosedException(PREFIX + "?spec.nodeName=" + node);
                if (e.revision() >= startRevision) events.add(e);
            }
            if (!events.isEmpty()) returned = events.getLast().revision();
            return events;
        }

        @Override
        public long progressRevision() {
            if (replay != null) return Math.min(replay.progressRevision(), replayUntil);
            long p = position; // read before looking at the queue: see dispatch
            return queue.isEmpty() ? Math.max(p, returned) : returned;
        }

        @Override
        public void close() {
            closed = true;
            Store.Watch r = replay;
            if (r != null) r.close();
            lock.lock();
            try {
                Set<Subscriber> set = byNode.get(node);
                if (set != null && set.remove(this) && set.isEmpty()) byNode.remove(node);
            } finally {
                lock.unlock();
            }
            queue.add(new WatchEvent(WatchEvent.Type.DELETE, null, null));
        }
    }
}
