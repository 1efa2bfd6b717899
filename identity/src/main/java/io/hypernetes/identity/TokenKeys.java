package io.hypernetes.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The token signing keys in {@code DIR/identity/keys}, laid out much as Keystone's Fernet key repository is: one
 * file per key named by a serial number, the highest serial being the primary key that signs, the others still
 * accepted for validation until rotated out. There is no staged key 0: staging matters only when keys are copied
 * to several servers before they start signing, and one process signs here. Files are mode 0600 in a 0700 directory; each holds 32 random
 * bytes in URL-safe base64.
 *
 * <p>A token names its key by a 4-byte id derived from the key (a hash, so it reveals nothing), so validation
 * picks the right key at once and a token from another key set fails as "unknown key", not as a forgery.
 */
final class TokenKeys {
    static final int KEY_BYTES = 32;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

    record Key(int serial, byte[] id, byte[] secret) {}

    private final Path dir;
    private final int retain;
    private final SecureRandom random = new SecureRandom();
    private volatile Ring ring;

    private record Ring(Key primary, Map<String, Key> byId) {}

    TokenKeys(Path dir, int retain) {
        if (retain < 2) throw new IllegalArgumentException("keep at least 2 keys, or rotation invalidates every token");
        this.dir = dir;
        this.retain = retain;
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
            Files.setPosixFilePermissions(dir, OWNER_DIR);
            if (load().isEmpty()) write(1);
            this.ring = ring(load());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare token keys in " + dir, e);
        }
    }

    Key primary() {
        return ring.primary();
    }

    Key byId(byte[] id) {
        return ring.byId().get(HexFormat.of().formatHex(id));
    }

    int count() {
        return ring.byId().size();
    }

    /**
     * Makes a new primary key and drops the oldest beyond {@code retain}. Tokens signed by a dropped key stop
     * validating, so rotate at most every (token lifetime / (retain - 1)).
     */
    synchronized void rotate() {
        try {
            TreeMap<Integer, Key> keys = load();
            write(keys.lastKey() + 1);
            keys = load();
            while (keys.size() > retain) {
                Files.deleteIfExists(dir.resolve(Integer.toString(keys.pollFirstEntry().getKey())));
            }
            ring = ring(load());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rotate token keys in " + dir, e);
        }
    }

    private Ring ring(TreeMap<Integer, Key> keys) {
        Map<String, Key> byId = new java.util.HashMap<>();
        for (Key k : keys.values()) byId.put(HexFormat.of().formatHex(k.id()), k);
        return new Ring(keys.lastEntry().getValue(), Map.copyOf(byId));
    }

    private TreeMap<Integer, Key> load() throws IOException {
        TreeMap<Integer, Key> keys = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!name.matches("[0-9]{1,9}")) continue; // temporary files and strangers
                if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                    Files.setPosixFilePermissions(file, OWNER_ONLY); // someone loosened it: a key is a password
                }
                byte[] secret = Base64.getUrlDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
                if (secret.length != KEY_BYTES) throw new IOException(file + ": a key must be " + KEY_BYTES + " bytes");
                int serial = Integer.parseInt(name);
                keys.put(serial, new Key(serial, idOf(secret), secret));
            }
        }
        return keys;
    }

    private void write(int serial) throws IOException {
        byte[] secret = new byte[KEY_BYTES];
        random.nextBytes(secret);
        Path tmp = dir.resolve(serial + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.writeString(tmp, Base64.getUrlEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII);
        try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Path target = dir.resolve(Integer.toString(serial));
        if (Files.exists(target)) throw new FileAlreadyExistsException(target.toString());
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        Arrays.fill(secret, (byte) 0);
    }

    static byte[] idOf(byte[] secret) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("hypernetes token key id\0".getBytes(StandardCharsets.US_ASCII));
            return Arrays.copyOf(sha.digest(secret), 4);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
