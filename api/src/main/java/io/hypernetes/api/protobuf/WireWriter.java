package io.hypernetes.api.protobuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes protobuf wire format into one growable buffer. A nested message is written in place behind a one-byte
 * length; only a message of 128 bytes or more, whose length needs more bytes, moves once to make room. Most
 * messages of an object are short, so most lengths cost a single store.
 */
final class WireWriter {
    private byte[] buf;
    private int size;

    WireWriter(int capacity) {
        buf = new byte[Math.max(capacity, 16)];
    }

    int size() {
        return size;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    void raw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, size, bytes.length);
        size += bytes.length;
    }

    /** A tag already combined as {@code number << 3 | wireType}. */
    void tag(int tag) {
        varint(tag);
    }

    void tag(int number, int wireType) {
        varint(number << 3 | wireType);
    }

    /** Kept small so the JIT inlines it: most varints (tags, short lengths, small numbers) are one byte. */
    void varint(long v) {
        if ((v & ~0x7FL) == 0 && size < buf.length) buf[size++] = (byte) v;
        else longVarint(v);
    }

    private void longVarint(long v) {
        ensure(10);
        byte[] b = buf;
        int p = size;
        while ((v & ~0x7FL) != 0) {
            b[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[p++] = (byte) v;
        size = p;
    }

    void varintField(int number, long v) {
        tag(number, WireReader.VARINT);
        varint(v);
    }

    void bytesField(int number, byte[] bytes) {
        tag(number, WireReader.LEN);
        varint(bytes.length);
        raw(bytes);
    }

    void stringField(int number, String s) {
        tag(number, WireReader.LEN);
        string(s);
    }

    /** A string's length and UTF-8 bytes; the JDK checks and copies an ASCII string's bytes with intrinsics. */
    void string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        varint(utf8.length);
        raw(utf8);
    }

    /** Starts a length-delimited field; pass the result to {@link #end}. */
    int begin(int number) {
        tag(number, WireReader.LEN);
        if (size == buf.length) grow(1);
        return ++size;
    }

    /** Fills in the length of the bytes written since {@link #begin}. */
    void end(int start) {
        int length = size - start;
        if (length < 0x80) buf[start - 1] = (byte) length;
        else moveForLength(start, length);
    }

    /** A length of two or more bytes: the body moves up to make room after the one byte {@link #begin} kept. */
    private void moveForLength(int start, int length) {
        int extra = varintSize(length) - 1;
        ensure(extra);
        System.arraycopy(buf, start, buf, start + extra, length);
        size = start - 1;
        longVarint(length);
        size = start + extra + length;
    }

    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    private void ensure(int more) {
        if (more > buf.length - size) grow(more);
    }

    private void grow(int more) {
        long want = Math.max((long) buf.length * 2, (long) size + more);
        if (want > Integer.MAX_VALUE - 8) throw new ProtobufException("encoded object exceeds 2 GiB");
        buf = Arrays.copyOf(buf, (int) want);
    }
}
