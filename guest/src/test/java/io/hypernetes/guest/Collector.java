package io.hypernetes.guest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Gathers a process's output for a test. */
class Collector implements ProcessListener {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final CompletableFuture<Integer> exit = new CompletableFuture<>();

    @Override
    public synchronized void stdout(byte[] data) {
        out.writeBytes(data);
    }

    @Override
    public synchronized void stderr(byte[] data) {
        err.writeBytes(data);
    }

    @Override
    public void exited(int exitCode) {
        exit.complete(exitCode);
    }

    synchronized String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
