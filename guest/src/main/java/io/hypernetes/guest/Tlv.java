package io.hypernetes.guest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The control payloads: a sequence of {@code u16 tag | u32 length | value}; integers are 8
 * bytes big-endian, strings UTF-8 without NUL, lists repeat the tag, nested records are
 * a TLV sequence as the value. Small enough that the C side needs no parser library.
 */
final class Tlv {
    private Tlv() {}

    static Writer writer() {
        return new Writer();
    }

    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer bytes(int tag, byte[] value) {
            out.write(tag >>> 8);
            out.write(tag);
            int n = value.length;
            out.write(n >>> 24);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
            out.writeBytes(value);
            return this;
        }

        Writer string(int tag, String value) {
            return bytes(tag, value.getBytes(StandardCharsets.UTF_8));
        }

        Writer integer(int tag, long value) {
            return bytes(tag, ByteBuffer.allocate(8).putLong(value).array());
        }

        Writer flag(int tag, boolean value) {
            return integer(tag, value ? 1 : 0);
        }

        Writer nested(int tag, Writer inner) {
            return bytes(tag, inner.toByteArray());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    record Field(int tag, byte[] value) {
        String string() {
            return new String(value, StandardCharsets.UTF_8);
        }

        long integer() {
            if (value.length != 8) {
                throw new IllegalArgumentException("tag " + tag + ": integer of " + value.length + " bytes, not 8");
            }
            return ByteBuffer.wrap(value).getLong();
        }

        Fields nested() {
            return parse(value);
        }
    }

    record Fields(List<Field> all) {
        Optional<Field> first(int tag) {
            return all.stream().filter(f -> f.tag == tag).findFirst();
        }

        List<Field> every(int tag) {
            return all.stream().filter(f -> f.tag == tag).toList();
        }

        String string(int tag, String otherwise) {
            return first(tag).map(Field::string).orElse(otherwise);
        }

        long integer(int tag, long otherwise) {
            return first(tag).map(Field::integer).orElse(otherwise);
        }
    }

    static Fields parse(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        List<Field> fields = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 6) {
                throw new IllegalArgumentException("truncated TLV header");
            }
            int tag = b.getShort() & 0xFFFF;
            long len = Integer.toUnsignedLong(b.getInt());
            if (len > b.remaining()) {
                throw new IllegalArgumentException("TLV tag " + tag + " claims " + len + " bytes, " + b.remaining() + " left");
            }
            byte[] value = new byte[(int) len];
            b.get(value);
            fields.add(new Field(tag, value));
        }
        return new Fields(List.copyOf(fields));
    }
}
