package io.hypernetes.cli.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/** Latency samples of one operation, recorded from many threads, summarised as percentiles. */
final class Latencies {
    private final long[] nanos;
    private final AtomicInteger count = new AtomicInteger();

    Latencies(int capacity) {
        this.nanos = new long[capacity];
    }

    void record(long elapsedNanos) {
        int i = count.getAndIncrement();
        if (i < nanos.length) nanos[i] = elapsedNanos;
    }

    int count() {
        return Math.min(count.get(), nanos.length);
    }

    /** The q-quantile in milliseconds (nearest rank). */
    double percentileMillis(double q) {
        int n = count();
        if (n == 0) return Double.NaN;
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * n) - 1;
        return sorted[Math.max(0, Math.min(n - 1, rank))] / 1e6;
    }
}
