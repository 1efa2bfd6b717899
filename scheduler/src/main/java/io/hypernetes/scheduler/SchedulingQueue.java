package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pods waiting for a node, in three parts as kube-scheduler keeps them.
 *
 * <ul>
 *   <li><b>active</b>: ready to be tried, highest {@code spec.priority} first, then oldest; {@link #pop()} takes
 *       from here and blocks while it is empty.
 *   <li><b>backoff</b>: tried and failed recently; each waits {@code initialBackoff × 2^(attempts-1)}, at most
 *       {@code maxBackoff}, from its last failure, so a pod that cannot fit does not spin the loop.
 *   <li><b>unschedulable</b>: no node could take it, and nothing has changed since. A cluster event that could
 *       make room ({@link #moveAllToActiveOrBackoff}: a node added or changed, a pod deleted) moves them all
 *       back (to backoff if their wait is not over); so does waiting {@code maxUnschedulable}, so a missed event
 *       costs a delay, never a stuck pod.
 * </ul>
 *
 * <p>A popped pod is <i>in flight</i> until the loop reports it {@link #done}, {@link #addUnschedulable
 * unschedulable} or {@link #requeueWithBackoff failed}. An event that arrives while pods are in flight may have
 * come too late for their attempt, so a pod that fails in a cycle at or before the last move request goes to
 * backoff, not unschedulable (kube-scheduler's moveRequestCycle). Updates to an in-flight pod are kept for its
 * next attempt; a deleted one is dropped when it comes back.
 *
 * <p>Time comes from an {@link InstantSource} and moves happen in {@link #flush}, which the scheduler calls every
 * {@code flushInterval}; tests drive both. Thread-safe: one lock, as every operation is a few map updates.
 */
public final class SchedulingQueue implements AutoCloseable {

    /** Where a pod is; for tests and logs. */
    public enum State { ACTIVE, BACKOFF, UNSCHEDULABLE, IN_FLIGHT, ABSENT }

    /**
     * A popped pod: the pod as last seen, how many times it has been popped, and the scheduling cycle of this
     * attempt.
     */
    public record QueuedPod(PodInfo info, int attempts, long cycle) {
        public String key() {
            return info.key();
        }
    }

    private static final class Entry {
        final long seq;
        PodInfo info;
        int attempts;
        Instant failedAt;
        Instant backoffUntil;
        long cycle;
        boolean deleted;
        State state;

        Entry(long seq, PodInfo info) {
            this.seq = seq;
            this.info = info;
        }
    }

    private static final Comparator<Entry> BY_PRIORITY = Comparator
            .<Entry>comparingInt(e -> -e.info.priority())
            .thenComparing(e -> e.info.created())
            .thenComparingLong(e -> e.seq);
    private static final Comparator<Entry> BY_BACKOFF = Comparator
            .<Entry, Instant>comparing(e -> e.backoffUntil)
            .thenComparingLong(e -> e.seq);

    private final InstantSource clock;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxUnschedulable;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final Map<String, Entry> entries = new HashMap<>();
    private final TreeSet<Entry> active = new TreeSet<>(BY_PRIORITY);
    private final TreeSet<Entry> backoff = new TreeSet<>(BY_BACKOFF);
    private long seq;
    private long schedulingCycle;
    private long moveRequestCycle = -1;
    private boolean closed;

    public SchedulingQueue(InstantSource clock, Duration initialBackoff, Duration maxBackoff, Duration maxUnschedulable) {
        this.clock = clock;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.maxUnschedulable = maxUnschedulable;
    }

    public SchedulingQueue(InstantSource clock, SchedulerConfig config) {
        this(clock, config.initialBackoff(), config.maxBackoff(), config.maxUnschedulable());
    }

    /** A new pending pod goes to active; one already queued is updated as by {@link #update}. */
    public void add(JsonNode pod) {
        update(pod);
    }

    /**
     * The pod changed: its place is kept (active re-sorted by the new priority), except that an unschedulable pod
     * is given another try, since the change may be what it lacked. Unknown pods are added to active.
     */
    public void update(JsonNode pod) {
        PodInfo info = PodInfo.of(pod);
        lock.lock();
        try {
            Entry e = entries.get(info.key());
            if (e == null) {
                e = new Entry(seq++, info);
                entries.put(info.key(), e);
                toActive(e);
                return;
            }
            switch (e.state) {
                case ACTIVE -> {
                    active.remove(e);
                    e.info = info;
                    active.add(e);
                }
                case BACKOFF, IN_FLIGHT -> e.info = info;
                case UNSCHEDULABLE -> {
                    e.info = info;
                    toActiveOrBackoff(e, clock.instant());
                }
                case ABSENT -> throw new IllegalStateException(e.state.name());
            }
        } finally {
            lock.unlock();
        }
    }

    /** The pod is gone or no longer pending (bound by someone else): it leaves the queue. */
    public void delete(String key) {
        lock.lock();
        try {
            Entry e = entries.get(key);
            if (e == null) return;
            if (e.state == State.IN_FLIGHT) {
                e.deleted = true;
                return;
            }
            remove(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next pod to try, now in flight; blocks while active is empty.
     *
     * @return null once the queue is closed
     */
    public QueuedPod pop() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (active.isEmpty() && !closed) nonEmpty.await();
            if (closed) return null;
            Entry e = active.pollFirst();
            e.state = State.IN_FLIGHT;
            e.attempts++;
            e.cycle = ++schedulingCycle;
            return new QueuedPod(e.info, e.attempts, e.cycle);
        } finally {
            lock.unlock();
        }
    }

    /** The attempt is over: the pod is placed (or was not ours to place). It leaves the queue. */
    public void done(QueuedPod pod) {
        lock.lock();
        try {
            Entry e = entries.get(pod.key());
            if (e != null && e.state == State.IN_FLIGHT) remove(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * No node could take the pod: it waits for a cluster event, or in backoff if one came during its attempt.
     */
    public void addUnschedulable(QueuedPod pod) {
        lock.lock();
        try {
            Entry e = inFlight(pod);
            if (e == null) return;
            e.failedAt = clock.instant();
            if (moveRequestCycle >= pod.cycle()) {
                toBackoff(e);
            } else {
                e.state = State.UNSCHEDULABLE;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The attempt failed for another reason (the bind was refused, an error): the pod retries after its backoff. */
    public void requeueWithBackoff(QueuedPod pod) {
        lock.lock();
        try {
            Entry e = inFlight(pod);
            if (e == null) return;
            e.failedAt = clock.instant();
            toBackoff(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Something changed that could let unschedulable pods fit: each goes to active, or to backoff while its wait
     * lasts. Pods in flight now fail to backoff rather than unschedulable (see the class comment).
     */
    public void moveAllToActiveOrBackoff() {
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Entry e : entries.values()) {
                if (e.state == State.UNSCHEDULABLE) toActiveOrBackoff(e, now);
            }
            moveRequestCycle = schedulingCycle;
        } finally {
            lock.unlock();
        }
    }

    /** Moves backed-off pods whose wait is over to active, and pods unschedulable for {@code maxUnschedulable}. */
    public void flush() {
        lock.lock();
        try {
            Instant now = clock.instant();
            while (!backoff.isEmpty() && !backoff.first().backoffUntil.isAfter(now)) toActive(backoff.pollFirst());
            for (Entry e : entries.values()) {
                if (e.state == State.UNSCHEDULABLE && !e.failedAt.plus(maxUnschedulable).isAfter(now)) {
                    toActiveOrBackoff(e, now);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** How long a pod that failed its {@code attempts}-th attempt waits. */
    public Duration backoffDuration(int attempts) {
        Duration d = initialBackoff;
        for (int i = 1; i < attempts && d.compareTo(maxBackoff) < 0; i++) d = d.multipliedBy(2);
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    public State state(String key) {
        lock.lock();
        try {
            Entry e = entries.get(key);
            return e == null ? State.ABSENT : e.state;
        } finally {
            lock.unlock();
        }
    }

    /** Pods in each state; for tests, logs and metrics. */
    public Map<State, Integer> counts() {
        lock.lock();
        try {
            Map<State, Integer> counts = new java.util.EnumMap<>(State.class);
            for (State s : State.values()) counts.put(s, 0);
            for (Entry e : entries.values()) counts.merge(e.state, 1, Integer::sum);
            return counts;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes {@link #pop()} callers, which then return null. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            nonEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private Entry inFlight(QueuedPod pod) {
        Entry e = entries.get(pod.key());
        if (e == null || e.state != State.IN_FLIGHT) return null;
        if (e.deleted) {
            remove(e);
            return null;
        }
        return e;
    }

    private void toActiveOrBackoff(Entry e, Instant now) {
        Instant until = e.failedAt == null ? now : e.failedAt.plus(backoffDuration(e.attempts));
        if (until.isAfter(now)) toBackoff(e);
        else toActive(e);
    }

    private void toBackoff(Entry e) {
        e.state = State.BACKOFF;
        e.backoffUntil = e.failedAt.plus(backoffDuration(Math.max(1, e.attempts)));
        backoff.add(e);
    }

    private void toActive(Entry e) {
        e.state = State.ACTIVE;
        active.add(e);
        nonEmpty.signal();
    }

    private void remove(Entry e) {
        switch (e.state) {
            case ACTIVE -> active.remove(e);
            case BACKOFF -> backoff.remove(e);
            default -> {}
        }
        entries.remove(e.info.key());
    }
}
