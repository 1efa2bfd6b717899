package io.hypernetes.store.embedded;

import io.hypernetes.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Measures durable write throughput and latency: N virtual-thread writers, each creating then updating its own
 * keys for a fixed time, every write acknowledged only after its fsync.
 *
 * <p>Usage: {@code StoreBench [--writers N] [--seconds S] [--value-bytes B] [--dir DIR]}. Without {@code --dir}
 * it uses (and removes) a temporary directory, which should be on the disk the store will live on.
 */
public final class StoreBench {

    /** What one run measured. */
    public record Result(int writers, long writes, double seconds, double p50Millis, double p99Millis, double maxMillis) {
        public double writesPerSecond() {
            return writes / seconds;
        }

        @Override
        public String toString() {
            return String.format("%d writers: %d writes in %.1fs = %.0f writes/s, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                    writers, writes, seconds, writesPerSecond(), p50Millis, p99Millis, maxMillis);
        }
    }

    private StoreBench() {}

    public static void main(String[] args) throws Exception {
        int writers = 16;
        double seconds = 5;
        int valueBytes = 512;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--writers" -> writers = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: StoreBench [--writers N] [--seconds S] [--value-bytes B] [--dir DIR]");
                    System.exit(2);
                }
            }
        }
        boolean temporary = dir == null;
        if (temporary) dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "store-bench");
        try {
            System.out.println(run(dir, writers, seconds, valueBytes));
        } finally {
            if (temporary) delete(dir);
        }
    }

    /** Runs the benchmark against a store in {@code dir}. */
    public static Result run(Path dir, int writers, double seconds, int valueBytes) throws Exception {
        byte[] value = new byte[valueBytes];
        ThreadLocalRandom.current().nextBytes(value);
        try (Store store = EmbeddedStore.open(dir);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            List<Future<long[]>> results = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String prefix = "/bench/" + w + "/";
                results.add(threads.submit(() -> {
                    long[] latencies = new long[1 << 12];
                    int n = 0;
                    for (long now = System.nanoTime(); now < end; ) {
                        String key = prefix + (n % 100);
                        if (n < 100) store.create(key, value);
                        else store.update(key, value, 0);
                        long done = System.nanoTime();
                        if (n == latencies.length) latencies = Arrays.copyOf(latencies, n * 2);
                        latencies[n++] = done - now;
                        now = done;
                    }
                    return Arrays.copyOf(latencies, n);
                }));
            }
            long[] all = new long[0];
            for (Future<long[]> result : results) {
                long[] mine = result.get();
                int at = all.length;
                all = Arrays.copyOf(all, at + mine.length);
                System.arraycopy(mine, 0, all, at, mine.length);
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            Arrays.sort(all);
            return new Result(writers, all.length, elapsed, millis(all, 0.50), millis(all, 0.99),
                    all.length == 0 ? 0 : all[all.length - 1] / 1e6);
        }
    }

    private static double millis(long[] sorted, double quantile) {
        if (sorted.length == 0) return 0;
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] / 1e6;
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
