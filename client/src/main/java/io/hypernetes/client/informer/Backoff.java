package io.hypernetes.client.informer;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with jitter: the n-th consecutive failure waits a random time in
 * {@code [d/2, d]} where {@code d = min(max, initial * 2^(n-1))}, so many clients that failed together do not
 * retry together. {@link #reset} after a success. Not thread-safe (one per retry loop).
 */
final class Backoff {
    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;
    private int failures;

    Backoff(Duration initial, Duration max, DoubleSupplier random) {
        if (initial.isNegative() || initial.isZero()) throw new IllegalArgumentException("initial backoff must be positive");
        if (max.compareTo(initial) < 0) throw new IllegalArgumentException("max backoff below the initial one");
        this.initial = initial;
        this.max = max;
        this.random = random;
    }

    /** The wait before the next attempt, counting one more failure. */
    Duration next() {
        long cap = max.toNanos();
        long d = initial.toNanos();
        for (int i = 0; i < failures && d < cap; i++) d = Math.min(cap, d * 2);
        failures++;
        long half = d / 2;
        return Duration.ofNanos(half + (long) (random.getAsDouble() * (d - half)));
    }

    void reset() {
        failures = 0;
    }

    int failures() {
        return failures;
    }
}
