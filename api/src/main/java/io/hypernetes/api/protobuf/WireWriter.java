package io.hypernetes.api.protobuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes protobuf wire format into one growable buffer. A nested message is written in place and its length
 * inserted in front afterwards, which moves the body once per level instead of allocating a buffer per message.
 */
final class WireWriter {
    private byte[] buf = new byte[256];
    private int size;

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

    void tag(int number, int wireType) {
        varint(((long) number << 3) | wireType);
    }

    void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
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
        bytesField(number, s.getBytes(StandardCharsets.UTF_8));
    }

    /** Starts a length-delimited field; pass the result to {@link #end}. */
    int begin(int number) {
        tag(number, WireReader.LEN);
        return size;
    }

    /** Prefixes the bytes written since {@link #begin} with their length. */
    void end(int start) {
        int length = size - start;
        int prefix = varintSize(length);
        ensure(prefix);
        System.arraycopy(buf, start, buf, start + prefix, length);
        int end = size + prefix;
        size = start;
        varint(length);
        size = end;
    }

    private static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    private void ensure(int more) {
        if (size + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
}
