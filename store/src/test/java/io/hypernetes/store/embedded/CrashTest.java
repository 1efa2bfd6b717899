package io.hypernetes.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RangeResult;
import io.hypernetes.store.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Kills a writing JVM with SIGKILL mid-stream and checks that every write it acknowledged survived. */
class CrashTest {

    private static final int RUNS = 4;
    private static final int THREADS = 8;

    @TempDir
    Path work;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyAcknowledgedWriteSurvivesKillNine() throws Exception {
        Path data = work.resolve("data");
        Path errors = work.resolve("child.err");
        long totalAcknowledged = 0;
        for (int run = 0; run < RUNS; run++) {
            Map<String, Long> acknowledged = new HashMap<>();
            int killAfter = ThreadLocalRandom.current().nextInt(200, 3000);
            Process child = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                    CrashWriter.class.getName(), data.toString(), "r" + run, Integer.toString(THREADS))
                    .redirectError(ProcessBuilder.Redirect.appendTo(errors.toFile()))
                    .start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                String line;
                while (acknowledged.size() < killAfter && System.nanoTime() < deadline && (line = out.readLine()) != null) {
                    record(line, acknowledged);
                }
                // SIGKILL: no shutdown hooks, no close. Through the handle, because Process.destroyForcibly also closes
                // our end of the pipe, and what the child acknowledged last may still be in it.
                child.toHandle().destroyForcibly();
                child.waitFor();
                // What was acknowledged before the kill may still sit in the pipe.
                while ((line = out.readLine()) != null) record(line, acknowledged);
            }
            assertThat(acknowledged).as("acknowledged writes in run %d; child stderr: %s", run, stderr(errors)).isNotEmpty();
            totalAcknowledged += acknowledged.size();

            try (Store store = EmbeddedStore.open(data)) {
                for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
                    KeyValue kv = store.get(ack.getKey()).orElse(null);
                    assertThat(kv).as("acknowledged %s at %d, run %d", ack.getKey(), ack.getValue(), run).isNotNull();
                    assertThat(kv.modRevision()).isEqualTo(ack.getValue());
                    assertThat(kv.value()).isEqualTo(CrashWriter.valueFor(ack.getKey()));
                }
                assertConsistent(store);
            }
        }
        assertThat(totalAcknowledged).isGreaterThan(RUNS);
    }

    /** Only creates ever ran, so the revisions present must be exactly 1..revision, each with its key's value. */
    private static void assertConsistent(Store store) {
        RangeResult all = store.range(CrashWriter.PREFIX, Store.prefixEnd(CrashWriter.PREFIX), 0, 0);
        assertThat(all.count()).isEqualTo(store.revision());
        List<Long> revisions = all.kvs().stream().map(KeyValue::modRevision).sorted().toList();
        for (int i = 0; i < revisions.size(); i++) assertThat(revisions.get(i)).isEqualTo(i + 1L);
        for (KeyValue kv : all.kvs()) {
            assertThat(kv.value()).as(kv.key()).isEqualTo(CrashWriter.valueFor(kv.key()));
            assertThat(kv.version()).isEqualTo(1);
        }
    }

    private static void record(String line, Map<String, Long> acknowledged) {
        String[] parts = line.split(" ");
        if (parts.length == 3 && parts[0].equals("ACK")) acknowledged.put(parts[1], Long.parseLong(parts[2]));
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String stderr(Path errors) {
        try {
            return Files.exists(errors) ? Files.readString(errors) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
