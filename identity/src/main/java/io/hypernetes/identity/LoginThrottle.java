package io.hypernetes.identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down password guessing per (user, source): the first {@code free} failures cost nothing beyond the
 * hash, then each further failure locks that pair out for {@code base * 2^(n - free - 1)}, capped at {@code max}.
 * A success clears the pair. Keyed by pair, not by user alone, so a guesser elsewhere cannot lock the real
 * user out from their own machine; the Argon2id cost bounds how fast a guesser with many sources can go.
 *
 * <p>Attempts are counted when they <em>begin</em>, not only when they fail: otherwise a burst of parallel
 * guesses would all pass the check before the first failure was recorded. A pair may have at most as many
 * attempts in flight as it has free failures left (at least one), so the budget holds under any concurrency.
 *
 * <p>State is in memory: a restart forgives everyone, which is fine for a rate limit (the hash cost is the
 * floor). It is bounded: idle pairs are forgotten once there are many.
 */
final class LoginThrottle {
    private static final int PRUNE_ABOVE = 10_000;
    /** What a refused attempt is told to wait when it was refused for crowding, not for a lockout. */
    private static final Duration BUSY = Duration.ofSeconds(1);

    private record Entry(int failures, int inFlight, Instant lockedUntil, Instant lastFailure) {}

    /** One attempt under way: report how it ended, exactly once. */
    interface Attempt {
        void failed();

        void succeeded();
    }

    private final Clock clock;
    private final int free;
    private final Duration base;
    private final Duration max;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    LoginThrottle(Clock clock, int free, Duration base, Duration max) {
        if (free < 1) throw new IllegalArgumentException("allow at least one failure");
        this.clock = clock;
        this.free = free;
        this.base = base;
        this.max = max;
    }

    static LoginThrottle defaults(Clock clock) {
        return new LoginThrottle(clock, 5, Duration.ofSeconds(1), Duration.ofMinutes(5));
    }

    /**
     * Starts an attempt for this pair.
     *
     * @throws ThrottledException if the pair is locked out, or has as many attempts in flight as it may fail
     */
    Attempt begin(String user, String source) {
        String key = key(user, source);
        Instant now = clock.instant();
        Duration[] refused = new Duration[1];
        entries.compute(key, (k, e) -> {
            if (e == null) return new Entry(0, 1, now, now);
            int failures = idle(e, now) ? 0 : e.failures();
            if (now.isBefore(e.lockedUntil())) {
                refused[0] = Duration.between(now, e.lockedUntil());
                return e;
            }
            if (e.inFlight() >= Math.max(1, free - failures)) {
                refused[0] = BUSY;
                return e;
            }
            return new Entry(failures, e.inFlight() + 1, e.lockedUntil(), e.lastFailure());
        });
        if (refused[0] != null) throw new ThrottledException(refused[0]);
        if (entries.size() > PRUNE_ABOVE) entries.values().removeIf(e -> e.inFlight() == 0 && idle(e, now));
        return new Attempt() {
            private boolean done;

            @Override
            public void failed() {
                if (finish()) failure(key);
            }

            @Override
            public void succeeded() {
                if (finish()) entries.computeIfPresent(key, (k, e) -> e.inFlight() > 1
                        ? new Entry(0, e.inFlight() - 1, e.lockedUntil(), e.lastFailure())
                        : null);
            }

            private synchronized boolean finish() {
                boolean first = !done;
                done = true;
                return first;
            }
        };
    }

    private void failure(String key) {
        Instant now = clock.instant();
        entries.computeIfPresent(key, (k, e) -> {
            int failures = e.failures() + 1;
            Instant until = e.lockedUntil();
            if (failures > free) {
                int doublings = Math.min(failures - free - 1, 30);
                Duration wait = base.multipliedBy(1L << doublings);
                Instant candidate = now.plus(wait.compareTo(max) > 0 ? max : wait);
                if (candidate.isAfter(until)) until = candidate;
            }
            return new Entry(failures, Math.max(0, e.inFlight() - 1), until, now);
        });
    }

    int tracked() {
        return entries.size();
    }

    /** A pair that has not failed for twice the longest lockout starts over. */
    private boolean idle(Entry e, Instant now) {
        return now.isAfter(e.lastFailure().plus(max.multipliedBy(2))) && !now.isBefore(e.lockedUntil());
    }

    private static String key(String user, String source) {
        return user + "\u0000" + (source == null ? "" : source);
    }
}
