package io.hypernetes.store.embedded;

import io.hypernetes.store.KeyValue;
import io.hypernetes.store.StorageFailureException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The whole retained history at one revision, so recovery replays only the log written after it and older
 * segments can go.
 *
 * <p>Format: {@code "HNSNAP01"}, revision (8), compacted revision (8), then per version: 1, key length (4), key,
 * create revision (8), mod revision (8), version (8, 0 for a tombstone), value length (4), value; then 0, then
 * the CRC32C of everything before it (4). Versions of a key are consecutive and oldest first.
 */
final class SnapshotFile {

    private static final long MAGIC = 0x484e534e41503031L; // "HNSNAP01"

    /** What a snapshot says besides its versions. */
    record Header(long revision, long compactedRevision) {}

    private SnapshotFile() {}

    /**
     * Writes the versions at or below {@code revision} to a temporary file, forces it, and renames it into place.
     * Histories may grow while this runs; versions above {@code revision} are left out.
     */
    static void write(DataDir dir, long revision, long compactedRevision, Map<String, KeyHistory> keys) throws IOException {
        Path target = dir.snapshot(revision);
        Path temporary = DataDir.temporary(target);
        CRC32C crc = new CRC32C();
        try (FileOutputStream file = new FileOutputStream(temporary.toFile())) {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(file, crc), 1 << 16));
            out.writeLong(MAGIC);
            out.writeLong(revision);
            out.writeLong(compactedRevision);
            for (Map.Entry<String, KeyHistory> entry : keys.entrySet()) {
                byte[] key = entry.getKey().getBytes(StandardCharsets.UTF_8);
                for (KeyValue kv : entry.getValue().upTo(revision)) {
                    out.writeByte(1);
                    out.writeInt(key.length);
                    out.write(key);
                    out.writeLong(kv.createRevision());
                    out.writeLong(kv.modRevision());
                    out.writeLong(kv.version());
                    out.writeInt(kv.value().length);
                    out.write(kv.value());
                }
            }
            out.writeByte(0);
            out.flush();
            int sum = (int) crc.getValue();
            file.write(new byte[] {(byte) (sum >>> 24), (byte) (sum >>> 16), (byte) (sum >>> 8), (byte) sum});
            file.getChannel().force(true);
        }
        dir.publish(temporary, target);
    }

    /**
     * Reads a snapshot, handing every version to {@code versions} in file order. The checksum is only known at
     * the end, so the caller must discard what it built if this throws.
     */
    static Header read(Path file, Consumer<KeyValue> versions) throws IOException {
        CRC32C crc = new CRC32C();
        try (InputStream raw = Files.newInputStream(file)) {
            DataInputStream in = new DataInputStream(new CheckedInputStream(new BufferedInputStream(raw, 1 << 16), crc));
            if (in.readLong() != MAGIC) throw corrupt(file, "not a snapshot");
            Header header = new Header(in.readLong(), in.readLong());
            while (in.readByte() == 1) {
                String key = new String(readBytes(in), StandardCharsets.UTF_8);
                long createRevision = in.readLong();
                long modRevision = in.readLong();
                long version = in.readLong();
                versions.accept(new KeyValue(key, readBytes(in), createRevision, modRevision, version));
            }
            int expected = (int) crc.getValue();
            if (in.readInt() != expected || in.read() != -1) throw corrupt(file, "checksum mismatch");
            return header;
        } catch (EOFException e) {
            throw corrupt(file, "truncated");
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) throw new EOFException();
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) throw new EOFException();
        return bytes;
    }

    private static StorageFailureException corrupt(Path file, String why) {
        return new StorageFailureException("corrupt snapshot " + file + ": " + why, null);
    }
}
