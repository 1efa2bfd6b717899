package io.hypernetes.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Keystone tokens cached per (Keystone, user, domain, project) in {@code <cache dir>/tokens/<sha256>.json}: the
 * directory 0700, each file 0600 and replaced atomically, so a reader sees the old token or the new one, never half.
 */
final class TokenCache {
    /** A cached token is handed out only while it has more than this left; then a new one is issued. */
    static final Duration MIN_REMAINING = Duration.ofMinutes(5);

    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    record Entry(String token, Instant expiresAt, String userName, String projectId, String projectName) {
        boolean fresh(Instant now) {
            return expiresAt.isAfter(now.plus(MIN_REMAINING));
        }

        @Override
        public String toString() {
            return "Entry[expiresAt=" + expiresAt + ", user=" + userName + ", project=" + projectName + " (" + projectId + ")]";
        }
    }

    private final Path dir;

    /** @param cacheDir Hypernetes' cache directory ({@code ~/.cache/hypernetes}); tokens go to its {@code tokens/} */
    TokenCache(Path cacheDir) {
        this.dir = cacheDir.resolve("tokens");
    }

    /** HYPERNETES_CACHE_DIR, else {@code $XDG_CACHE_HOME/hypernetes}, else {@code ~/.cache/hypernetes}. */
    static Path defaultDir(Map<String, String> env) {
        String explicit = env.get("HYPERNETES_CACHE_DIR");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit).toAbsolutePath();
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "hypernetes");
        return Path.of(System.getProperty("user.home"), ".cache", "hypernetes");
    }

    static String key(String authUrl, String user, String userDomain, String project) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            // NUL-separated: no two different tuples hash the same string
            byte[] digest = sha.digest(String.join("\0", authUrl, user, userDomain, project).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Path file(String key) {
        return dir.resolve(key + ".json");
    }

    /** The cached entry, or empty when there is none or it is unreadable (then a new token is issued over it). */
    Optional<Entry> read(String key) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file(key));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
        try {
            Map<String, Object> n = LightJson.parseObject(bytes);
            String token = LightJson.string(n, "token");
            String expires = LightJson.string(n, "expires_at");
            if (token == null || token.isEmpty() || expires == null) return Optional.empty();
            return Optional.of(new Entry(token, Instant.parse(expires), LightJson.string(n, "user_name"),
                    LightJson.string(n, "project_id"), LightJson.string(n, "project_name")));
        } catch (IOException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    void write(String key, Entry entry) throws IOException {
        Files.createDirectories(dir.getParent(), PosixFilePermissions.asFileAttribute(DIR_MODE));
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        if (!Files.getPosixFilePermissions(dir).equals(DIR_MODE)) Files.setPosixFilePermissions(dir, DIR_MODE);
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("token", entry.token());
        n.put("expires_at", entry.expiresAt().toString());
        n.put("user_name", entry.userName());
        n.put("project_id", entry.projectId());
        n.put("project_name", entry.projectName());
        writeAtomically(file(key), LightJson.write(n).getBytes(StandardCharsets.UTF_8));
    }

    /** Writes a 0600 temporary file beside {@code target}, forces it to disk, and renames it over the target. */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(FILE_MODE));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(content);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
