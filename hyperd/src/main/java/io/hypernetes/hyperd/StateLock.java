package io.hypernetes.hyperd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One hyperd per state directory: {@code hyperd.lock}, locked for as long as a hyperd has the directory open and
 * holding that hyperd's pid. Two hyperds on one directory would each reattach the same VMs, hand out the same
 * addresses and delete each other's records (a second {@code hyperd --stop-all} beside a running node did: it
 * dropped the pods' records and left their VMs running, unreachable). The lock is the kernel's: it goes with the
 * process, so a killed hyperd leaves nothing to clean up.
 */
final class StateLock implements AutoCloseable {
    static final String FILE = "hyperd.lock";

    private final FileChannel channel;

    private StateLock(FileChannel channel) {
        this.channel = channel;
    }

    /** Takes the lock of {@code stateDir}, or says which process holds it. */
    static StateLock acquire(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this process holds it already
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
            throw new IOException("state directory " + stateDir + " is in use by another hyperd"
                    + (holder.matches("\\d+") ? " (pid " + holder + ")" : "") + "; stop it first");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        return new StateLock(channel);
    }

    /** Lets the next hyperd have the directory. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing releases the lock; there is nothing else to undo
        }
    }
}
