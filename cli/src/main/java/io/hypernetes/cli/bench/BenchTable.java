package io.hypernetes.cli.bench;

import io.hypernetes.client.KubeClient;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/** What the API benches share: their table of figures, and n operations spread over concurrent clients. */
final class BenchTable {
    private BenchTable() {}

    static void header() {
        System.out.printf("%-34s %10s %10s %10s %12s%n", "operation", "count", "p50 ms", "p99 ms", "ops/s");
    }

    static void print(String what, Latencies l, double rate) {
        System.out.printf("%-34s %10d %10.2f %10.2f %12.0f%n", what, l.count(), l.percentileMillis(0.5), l.percentileMillis(0.99), rate);
    }

    /** Runs {@code op(0..n-1)} on {@code clients} virtual threads, each taking the next index; answers ops/s. */
    static double parallel(int clients, int n, IntConsumer op) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                pool.execute(() -> {
                    for (int i; (i = next.getAndIncrement()) < n; ) op.accept(i);
                });
            }
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    static KubeClient.Response check(KubeClient.Response r, int code) {
        if (r.code() != code) throw new IllegalStateException("expected " + code + ", got " + r.code() + ": " + r.text());
        return r;
    }
}
