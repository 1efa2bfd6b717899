package io.hypernetes.store.embedded;

import io.hypernetes.store.KeyValue;
import io.hypernetes.store.Store;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The victim of {@link CrashTest}: writes keys from several threads until killed, printing each write the
 * moment the store acknowledges it. Small segments and frequent snapshots so kills land in rolls and snapshots too.
 *
 * <p>Usage: {@code CrashWriter <data dir> <run> <threads>}
 */
public final class CrashWriter {

    static final String PREFIX = "/crash/";

    private CrashWriter() {}

    /** The value every write of {@code key} carries: long and key-specific, so a torn or misplaced value shows. */
    static byte[] valueFor(String key) {
        int length = 100 + Math.floorMod(key.hashCode(), 3000);
        StringBuilder value = new StringBuilder(length);
        while (value.length() < length) value.append(key).append('|');
        return value.substring(0, length).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        int threads = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        Store store = EmbeddedStore.open(dir, new EmbeddedStore.Options(64 * 1024, 500));
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int n = 0; ; n++) {
                    String key = PREFIX + run + "/" + thread + "/" + n;
                    KeyValue kv = store.create(key, valueFor(key));
                    synchronized (out) {
                        out.println("ACK " + key + " " + kv.modRevision());
                        out.flush();
                    }
                }
            }));
        }
        for (Thread writer : writers) writer.join();
    }
}
