package io.hypernetes.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;

/**
 * Content-addressed blobs under {@code blobs/sha256/<hex>}. Content is written to a temporary file and renamed into
 * place only once its digest and size are what was asked for, so a blob that exists is whole and correct, and a
 * crash or a lying server leaves nothing behind but a temporary file, which the next start clears.
 */
final class BlobStore {
    private final Path blobs;
    private final Path tmp;

    BlobStore(Path root) {
        this.blobs = root.resolve("blobs").resolve("sha256");
        this.tmp = root.resolve("tmp");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(tmp);
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp, "blob-*")) {
                for (Path leftover : leftovers) {
                    Files.deleteIfExists(leftover);
                }
            }
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot create the blob store under " + root + ": " + e.getMessage(), e);
        }
    }

    Path path(String digest) {
        if (!Digests.isSha256(digest)) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return blobs.resolve(Digests.hex(digest));
    }

    boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    /**
     * Stores {@code content}, which must have {@code digest} and, unless it is negative, {@code size} bytes. Reading
     * stops one byte past the expected size, so an endless body cannot fill the disk.
     */
    void write(String digest, long size, InputStream content, String what) {
        String actual = write(content, size, what, digest);
        if (!actual.equals(digest)) {
            throw new ImageException(ImageException.Reason.CORRUPT, "digest mismatch for " + what + ": expected " + digest
                    + ", got " + actual + " (the content was refused)");
        }
    }

    /** Stores {@code content} whatever its digest (an archive's layer), and returns that digest. */
    String write(InputStream content, String what) {
        return write(content, -1, what, null);
    }

    private String write(InputStream content, long size, String what, String expected) {
        Path temp = null;
        try {
            temp = Files.createTempFile(tmp, "blob-", "");
            MessageDigest sha256 = Digests.sha256();
            long written = 0;
            byte[] buffer = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(temp)) {
                int n;
                while ((n = content.read(buffer)) > 0) {
                    written += n;
                    if (size >= 0 && written > size) {
                        throw new ImageException(ImageException.Reason.CORRUPT, what + " is larger than the " + size
                                + " bytes its descriptor says (the content was refused)");
                    }
                    sha256.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            if (size >= 0 && written != size) {
                throw new ImageException(ImageException.Reason.CORRUPT, what + " has " + written + " bytes, its descriptor says "
                        + size + " (the content was refused)");
            }
            String digest = Digests.of(sha256);
            if (expected == null || digest.equals(expected)) {
                move(temp, path(digest));
            }
            return digest;
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.UNAVAILABLE, "cannot store " + what + ": " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the next start clears tmp
                }
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A small blob (manifest, configuration) read whole, refused when larger than {@code limit}. */
    byte[] read(String digest, long limit) {
        Path path = path(digest);
        try {
            if (Files.size(path) > limit) {
                throw new ImageException(ImageException.Reason.CORRUPT, "blob " + digest + " is larger than " + limit + " bytes");
            }
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ImageException(ImageException.Reason.NOT_FOUND, "blob " + digest + " is not in the store", e);
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot read blob " + digest + ": " + e.getMessage(), e);
        }
    }

    long size(String digest) {
        try {
            return Files.size(path(digest));
        } catch (IOException e) {
            return 0;
        }
    }

    void delete(String digest) {
        try {
            Files.deleteIfExists(path(digest));
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot delete blob " + digest + ": " + e.getMessage(), e);
        }
    }

    Set<String> all() {
        Set<String> out = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(blobs)) {
            for (Path file : files) {
                String digest = "sha256:" + file.getFileName();
                if (Digests.isSha256(digest)) {
                    out.add(digest);
                }
            }
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot list blobs: " + e.getMessage(), e);
        }
        return out;
    }

    Path tmp() {
        return tmp;
    }
}
