package io.hypernetes.store.embedded;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One change as the write-ahead log holds it. Puts and deletes each take the next store revision, so the
 * log stores no revisions for them: a frame names the revision before its first entry and the rest follows
 * by counting. Create revision and version are derived on replay by the same code that derives them live.
 */
sealed interface LogEntry {

    byte PUT = 1;
    byte DELETE = 2;
    byte COMPACT = 3;

    /** Creates or replaces a key. */
    record Put(String key, byte[] value) implements LogEntry {}

    /** Deletes a key that exists. */
    record Delete(String key) implements LogEntry {}

    /** Forgets history before {@code revision}; takes no revision of its own, as in etcd. */
    record Compact(long revision) implements LogEntry {}

    default boolean takesRevision() {
        return !(this instanceof Compact);
    }

    default int encodedSize() {
        return switch (this) {
            case Put p -> 1 + 4 + utf8Length(p.key()) + 4 + p.value().length;
            case Delete d -> 1 + 4 + utf8Length(d.key());
            case Compact c -> 1 + 8;
        };
    }

    default void encode(ByteBuffer out) {
        switch (this) {
            case Put p -> {
                out.put(PUT);
                putKey(out, p.key());
                out.putInt(p.value().length).put(p.value());
            }
            case Delete d -> {
                out.put(DELETE);
                putKey(out, d.key());
            }
            case Compact c -> out.put(COMPACT).putLong(c.revision());
        }
    }

    /** Reads one entry; the caller has already checked the frame's CRC, so a malformed entry is a bug or tampering. */
    static LogEntry decode(ByteBuffer in) {
        byte tag = in.get();
        return switch (tag) {
            case PUT -> {
                String key = getKey(in);
                byte[] value = new byte[checkedLength(in)];
                in.get(value);
                yield new Put(key, value);
            }
            case DELETE -> new Delete(getKey(in));
            case COMPACT -> new Compact(in.getLong());
            default -> throw new IllegalStateException("unknown log entry tag " + tag);
        };
    }

    private static int utf8Length(String key) {
        // Keys are ASCII in practice; only pay for a real encoding when they are not.
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) >= 0x80) return key.getBytes(StandardCharsets.UTF_8).length;
        }
        return key.length();
    }

    private static void putKey(ByteBuffer out, String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        out.putInt(bytes.length).put(bytes);
    }

    private static String getKey(ByteBuffer in) {
        byte[] bytes = new byte[checkedLength(in)];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static int checkedLength(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) throw new IllegalStateException("entry length " + length + " overruns its frame");
        return length;
    }
}
