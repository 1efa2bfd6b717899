package io.hypernetes.kubelet;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kubelet's back-off for restarting crashed containers and retrying failed image pulls, per key: the first
 * failure is retried at once, the next after {@code base}, then twice as long each time up to {@code max}. A key
 * untouched for twice {@code max} (10 minutes with the default 5) starts over from {@code base}: a container that
 * ran that long is not crash-looping.
 */
final class RestartBackoff {
    private record Entry(Duration backoff, Instant lastUpdate) {}

    private final Duration base;
    private final Duration max;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    RestartBackoff(Duration base, Duration max) {
        this.base = base;
        this.max = max;
    }

    /**
     * When the retry of {@code key} whose last failure happened at {@code failedAt} may go ahead: {@code failedAt}
     * plus the current back-off, or null when it may go ahead now (no back-off yet, or it has run out).
     */
    Instant blockedUntil(String key, Instant failedAt, Instant now) {
        Entry e = entries.get(key);
        if (e == null || expired(e, now)) return null;
        Instant until = failedAt.plus(e.backoff);
        return now.isBefore(until) ? until : null;
    }

    /** The back-off the next failure of {@code key} will wait, for messages ("back-off 20s restarting ..."). */
    Duration current(String key) {
        Entry e = entries.get(key);
        return e == null ? base : e.backoff;
    }

    /** A retry of {@code key} happens now: the following one waits longer. */
    void next(String key, Instant now) {
        entries.compute(key, (k, e) -> e == null || expired(e, now)
                ? new Entry(base, now)
                : new Entry(e.backoff.multipliedBy(2).compareTo(max) > 0 ? max : e.backoff.multipliedBy(2), now));
    }

    /** Forgets every key starting with {@code prefix} (a pod that is gone). */
    void forget(String prefix) {
        entries.keySet().removeIf(k -> k.startsWith(prefix));
    }

    private boolean expired(Entry e, Instant now) {
        return Duration.between(e.lastUpdate, now).compareTo(max.multipliedBy(2)) > 0;
    }

    /** "10s", "2m40s", "500ms": as Go prints durations in the kubelet's messages. */
    static String format(Duration d) {
        if (d.toMillis() < 1000) return d.toMillis() + "ms";
        long s = d.toSeconds();
        long ms = d.toMillisPart();
        String secs = ms == 0 ? (s % 60) + "s" : String.format("%d.%03ds", s % 60, ms).replaceAll("0+s$", "s");
        if (s < 60) return secs;
        long m = s / 60;
        return m >= 60 ? (m / 60) + "h" + (m % 60) + "m" + secs : m + "m" + secs;
    }
}
