package io.hypernetes.hyperd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateLockTest {
    @Test
    void aSecondHyperdProcessIsToldWhichProcessHoldsTheDirectory(@TempDir Path dir) throws Exception {
        Process holder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StateLockTest.class.getName(), dir.toString()))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> StateLock.acquire(dir)).isInstanceOf(IOException.class)
                    .hasMessage("state directory " + dir + " is in use by another hyperd (pid " + holder.pid() + "); stop it first");
        } finally {
            holder.destroyForcibly();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        // the kernel dropped the lock with the process: nothing to clean up
        StateLock.acquire(dir).close();
    }

    @Test
    void oneProcessOpensADirectoryOnceAndAgainAfterClosingIt(@TempDir Path dir) throws Exception {
        StateLock first = StateLock.acquire(dir);
        assertThatThrownBy(() -> StateLock.acquire(dir)).hasMessageContaining("is in use by another hyperd (pid " + ProcessHandle.current().pid() + ")");
        first.close();
        StateLock.acquire(dir).close();
    }

    /** The other process: holds {@code args[0]}'s lock until it is killed. */
    public static void main(String[] args) throws Exception {
        StateLock.acquire(Path.of(args[0]));
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
