package io.hypernetes.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the read-only ext4 image of an image's flattened layers, the disk a pod VM mounts under its writable
 * overlay: layers are applied in order to a {@link RootfsTree} in a scratch directory, then {@code mkfs.ext4 -d}
 * copies that tree into a new file system (no root, loop device or mount needed).
 *
 * <p>e2fsprogs 1.47.0's {@code mke2fs -d} takes only a directory (reading a tarball came in 1.47.1), hence the
 * tree. The file system has no journal (nothing writes to it), no reserved blocks, and a UUID derived from the image
 * id; it is sized from the tree plus headroom for ext4's own metadata.
 */
final class Ext4Image {
    private static final Logger log = LoggerFactory.getLogger(Ext4Image.class);
    private static final long BLOCK = 4096;
    private static final long MIB = 1 << 20;

    /** What a build did and how long each part took, for the log and for benchmarks. */
    record Built(Path file, long files, long treeBytes, long imageBytes, long unpackMillis, long mkfsMillis) {}

    private Ext4Image() {}

    /**
     * Flattens {@code layers} (blob files, lowest first, checked against {@code diffIds} when those are known) into
     * the ext4 image {@code out}, using {@code scratch} (an empty directory, removed by the caller) for the tree.
     */
    static Built build(List<Path> layers, List<String> diffIds, Path scratch, Path out, String id) throws IOException {
        long start = System.nanoTime();
        Path treeRoot = Files.createDirectory(scratch.resolve("tree"));
        Files.setAttribute(treeRoot, "unix:mode", 0755);
        RootfsTree tree = new RootfsTree(treeRoot);
        for (int i = 0; i < layers.size(); i++) {
            String what = "layer " + (i + 1) + " of " + layers.size() + " (" + "sha256:" + layers.get(i).getFileName() + ")";
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(layers.get(i)), 1 << 16)) {
                DigestInputStream uncompressed = new DigestInputStream(decompress(raw, what), Digests.sha256());
                try (TarReader tar = new TarReader(uncompressed)) {
                    tree.apply(tar, what);
                    tar.drain();
                    String diffId = Digests.of(uncompressed.getMessageDigest());
                    if (i < diffIds.size() && !diffIds.get(i).equals(diffId)) {
                        throw new ImageException(ImageException.Reason.CORRUPT, "digest mismatch for " + what
                                + ": its uncompressed content is " + diffId + ", the image configuration says " + diffIds.get(i));
                    }
                }
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        }
        long unpacked = System.nanoTime();
        long[] stats = measure(treeRoot);
        long files = stats[0];
        long dataBlocks = stats[1];
        long inodes = files + 64 + files / 10;
        long bytes = dataBlocks * BLOCK + inodes * 256;
        long size = Math.max(8 * MIB, ((bytes + bytes / 5 + 4 * MIB) + MIB - 1) / MIB * MIB);
        try {
            mkfs(treeRoot, out, size, inodes, id);
        } catch (NoSpace e) {
            size *= 2;
            Files.deleteIfExists(out);
            mkfs(treeRoot, out, size, inodes * 2, id);
        }
        long done = System.nanoTime();
        return new Built(out, files, dataBlocks * BLOCK, size, TimeUnit.NANOSECONDS.toMillis(unpacked - start),
                TimeUnit.NANOSECONDS.toMillis(done - unpacked));
    }

    /** Recognizes the compression by its magic number rather than trusting the media type. */
    static InputStream decompress(InputStream raw, String what) throws IOException {
        raw.mark(8);
        byte[] magic = raw.readNBytes(6);
        raw.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        }
        if (magic.length >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd) {
            throw new ImageException(ImageException.Reason.UNSUPPORTED, what + " is zstd-compressed, which is unsupported: "
                    + "push the image with gzip layers (e.g. skopeo copy --dest-compress-format gzip)");
        }
        if (magic.length >= 6 && (magic[0] & 0xff) == 0xfd && magic[1] == '7' && magic[2] == 'z' && magic[3] == 'X') {
            throw new ImageException(ImageException.Reason.UNSUPPORTED, what + " is xz-compressed, which is unsupported");
        }
        if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
            throw new ImageException(ImageException.Reason.UNSUPPORTED, what + " is bzip2-compressed, which is unsupported");
        }
        return raw;
    }

    /** Files and 4 KiB data blocks in the tree (directories and long symlink targets take a block each). */
    private static long[] measure(Path root) throws IOException {
        long[] stats = new long[2];
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                stats[0]++;
                stats[1] += 1;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                stats[0]++;
                if (attributes.isRegularFile()) {
                    long blocks = (attributes.size() + BLOCK - 1) / BLOCK;
                    stats[1] += blocks + blocks / 1024;
                } else if (attributes.isSymbolicLink()) {
                    stats[1] += 1;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return stats;
    }

    private static final class NoSpace extends IOException {
        NoSpace(String message) {
            super(message);
        }
    }

    private static void mkfs(Path tree, Path out, long size, long inodes, String id) throws IOException {
        String hex = Digests.hex(id);
        String uuid = hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20, 32);
        List<String> command = new ArrayList<>(List.of(mkfsExecutable(), "-q", "-F", "-t", "ext4", "-d", tree.toString(),
                "-L", "rootfs", "-U", uuid, "-E", "root_owner=0:0,hash_seed=" + uuid, "-b", Long.toString(BLOCK), "-I", "256",
                "-N", Long.toString(inodes), "-m", "0", "-O", "^has_journal", out.toString(), (size / 1024) + "k"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes()).strip();
        int exit;
        try {
            exit = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the root file system", e);
        }
        if (exit != 0) {
            if (output.contains("Could not allocate") || output.contains("No space left")) {
                throw new NoSpace(output);
            }
            throw new ImageException(ImageException.Reason.INTERNAL, "mkfs.ext4 failed (exit " + exit + "): " + output);
        }
        if (!output.isEmpty()) {
            log.debug("mkfs.ext4: {}", output);
        }
    }

    private static String mkfsExecutable() {
        for (String candidate : List.of("/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4", "/usr/sbin/mke2fs", "/sbin/mke2fs")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "mkfs.ext4";
    }
}
