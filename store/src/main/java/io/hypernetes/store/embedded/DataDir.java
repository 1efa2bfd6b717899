package io.hypernetes.store.embedded;

import io.hypernetes.store.StorageFailureException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The data directory: owns the process lock and knows how files are named.
 *
 * <pre>
 *   LOCK                       held with an OS file lock while a store is open
 *   wal-&lt;base revision&gt;.log   log segments; the base is the store revision before the segment's first frame
 *   snap-&lt;revision&gt;.snap      the full state at a revision
 *   *.tmp                      a file being written; never read, removed on open
 * </pre>
 *
 * Revisions in names are 16 hex digits, so names sort in revision order.
 */
final class DataDir implements AutoCloseable {

    static final String SEGMENT_PREFIX = "wal-";
    static final String SEGMENT_SUFFIX = ".log";
    static final String SNAPSHOT_PREFIX = "snap-";
    static final String SNAPSHOT_SUFFIX = ".snap";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path path;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private DataDir(Path path, FileChannel lockChannel, FileLock lock) {
        this.path = path;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    static DataDir lock(Path path) {
        FileChannel channel = null;
        try {
            Files.createDirectories(path);
            channel = FileChannel.open(path.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM already holds it
            }
            if (lock == null) {
                channel.close();
                throw new StorageFailureException(path + " is in use by another store", null);
            }
            DataDir dir = new DataDir(path, channel, lock);
            dir.removeTemporaries();
            return dir;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StorageFailureException("cannot open data directory " + path, e);
        }
    }

    Path path() {
        return path;
    }

    Path segment(long baseRevision) {
        return path.resolve(SEGMENT_PREFIX + hex(baseRevision) + SEGMENT_SUFFIX);
    }

    Path snapshot(long revision) {
        return path.resolve(SNAPSHOT_PREFIX + hex(revision) + SNAPSHOT_SUFFIX);
    }

    static Path temporary(Path target) {
        return target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
    }

    /** Segment base revisions, oldest first. */
    List<Long> segments() throws IOException {
        return revisions(SEGMENT_PREFIX, SEGMENT_SUFFIX);
    }

    /** Snapshot revisions, oldest first. */
    List<Long> snapshots() throws IOException {
        return revisions(SNAPSHOT_PREFIX, SNAPSHOT_SUFFIX);
    }

    Optional<Long> latestSnapshot() throws IOException {
        List<Long> all = snapshots();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    /**
     * Makes a fully written and forced temporary file visible under its final name. The rename is atomic, and
     * the directory is forced afterwards so the new name itself survives a power loss.
     */
    void publish(Path temporary, Path target) throws IOException {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        force();
    }

    /** Forces the directory's entries (creations, renames, deletions) to disk. */
    void force() throws IOException {
        try (FileChannel dir = FileChannel.open(path, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private List<Long> revisions(String prefix, String suffix) throws IOException {
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path, prefix + "*" + suffix)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String digits = name.substring(prefix.length(), name.length() - suffix.length());
                if (digits.length() == 16) found.add(HexFormat.fromHexDigitsToLong(digits));
            }
        }
        found.sort(null);
        return found;
    }

    private void removeTemporaries() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path, "*" + TEMP_SUFFIX)) {
            for (Path file : files) Files.deleteIfExists(file);
        }
    }

    private static String hex(long revision) {
        return HexFormat.of().toHexDigits(revision);
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it anyway
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do: the lock dies with the channel or the process
        }
    }
}
