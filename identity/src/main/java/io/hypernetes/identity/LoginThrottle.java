package io.hypernetes.identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down password guessing per (user, source): the first {@code free} failures cost nothing beyond the
 * hash, then each further failure locks that pair out for {@code base * 2^(n - free)}, capped at {@code max}.
 * A success clears the pair. Keyed by pair, not by user alone, so a guesser elsewhere cannot lock the real
 * user out of their own machine; the Argon2id cost bounds how fast a guesser with many sources can go.
 *
 * <p>State is in memory: a restart forgives everyone, which is fine for a rate limit (the hash cost is the
 * floor). It is bounded: idle pairs are forgotten once there are many.
 */
final class LoginThrottle {
    private static final int PRUNE_ABOVE = 10_000;

    private record Entry(int failures, Instant lockedUntil, Instant lastFailure) {}

    private final Clock clock;
    private final int free;
    private final Duration base;
    private final Duration max;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    LoginThrottle(Clock clock, int free, Duration base, Duration max) {
        this.clock = clock;
        this.free = free;
        this.base = base;
        this.max = max;
    }

    static LoginThrottle defaults(Clock clock) {
        return new LoginThrottle(clock, 5, Duration.ofSeconds(1), Duration.ofMinutes(5));
    }

    /** @throws ThrottledException if this pair is locked out now */
    void check(String user, String source) {
        Entry e = entries.get(key(user, source));
        Instant now = clock.instant();
        if (e != null && now.isBefore(e.lockedUntil())) throw new ThrottledException(Duration.between(now, e.lockedUntil()));
    }

    void failure(String user, String source) {
        Instant now = clock.instant();
        entries.compute(key(user, source), (k, e) -> {
            int failures = (e == null || idle(e, now) ? 0 : e.failures()) + 1;
            Instant until = now;
            if (failures > free) {
                int doublings = Math.min(failures - free - 1, 30);
                Duration wait = base.multipliedBy(1L << doublings);
                until = now.plus(wait.compareTo(max) > 0 ? max : wait);
            }
            return new Entry(failures, until, now);
        });
        if (entries.size() > PRUNE_ABOVE) entries.values().removeIf(e -> idle(e, now));
    }

    void success(String user, String source) {
        entries.remove(key(user, source));
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
