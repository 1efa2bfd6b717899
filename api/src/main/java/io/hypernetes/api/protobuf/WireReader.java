package io.hypernetes.api.protobuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads protobuf wire format from a byte range, checking every length against what is left.
 *
 * <p>Hand-written rather than protobuf-java's CodedInputStream: the codec needs only varints, length-delimited
 * slices and skipping, and owning these lines lets every malformed-input case (truncated varint, length past the
 * end, group wire types) fail with a message that names the offset, with no extra dependency. Nothing here
 * allocates more than the input already holds, so a forged length cannot exhaust memory.
 *
 * <p>One reader serves a whole message tree: {@link #enter} narrows the limit to a nested message and
 * {@link #leave} widens it again, so nesting costs no object per message.
 */
final class WireReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    /** Where offsets in messages count from: a message read in place inside a larger body reports its own. */
    private final int origin;
    private int pos;
    private int limit;

    WireReader(byte[] buf, int offset, int limit) {
        this(buf, offset, limit, 0);
    }

    WireReader(byte[] buf, int offset, int limit, int origin) {
        this.buf = buf;
        this.pos = offset;
        this.limit = limit;
        this.origin = origin;
    }

    boolean done() {
        return pos >= limit;
    }

    int position() {
        return pos;
    }

    /** The next tag as {@code number << 3 | wireType}; rejects field number 0 and the deprecated group types. */
    int readTag() {
        int at = pos;
        long tag;
        // Field numbers below 16 fit one byte: most tags.
        if (pos < limit && buf[pos] > 0) tag = buf[pos++];
        else tag = readVarint();
        int wireType = (int) (tag & 7);
        long number = tag >>> 3;
        if (number == 0 || number > 0x1FFFFFFF) throw malformed(at, "invalid field number " + number);
        if (wireType != VARINT && wireType != FIXED64 && wireType != LEN && wireType != FIXED32) {
            throw malformed(at, "unsupported wire type " + wireType + " for field " + number);
        }
        return (int) tag;
    }

    long readVarint() {
        int at = pos;
        if (pos < limit && buf[pos] >= 0) return buf[pos++];
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= limit) throw malformed(at, "truncated varint");
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw malformed(at, "varint longer than 10 bytes");
    }

    /**
     * Reads a length and confines the reader to the value it announces; returns the enclosing limit, to be given
     * to {@link #leave} once {@link #done} says the value is used up.
     */
    int enter() {
        int start = lengthAndAdvance();
        int outer = limit;
        limit = pos;
        pos = start;
        return outer;
    }

    /** Continues after the value {@link #enter} confined the reader to. */
    void leave(int outer) {
        pos = limit;
        limit = outer;
    }

    byte[] readBytes() {
        int start = lengthAndAdvance();
        return Arrays.copyOfRange(buf, start, pos);
    }

    String readString() {
        int start = lengthAndAdvance();
        // Go keeps invalid UTF-8 as is; replacement characters are the closest a Java string gets.
        return pos == start ? "" : new String(buf, start, pos - start, StandardCharsets.UTF_8);
    }

    /** Position after the length of the next value; the reader moves past the value. */
    private int lengthAndAdvance() {
        int at = pos;
        long length = readVarint();
        if (length < 0 || length > limit - pos) {
            throw malformed(at, "length " + Long.toUnsignedString(length) + " runs past the end of the message ("
                    + (limit - pos) + " bytes left)");
        }
        int start = pos;
        pos += (int) length;
        return start;
    }

    void skip(int wireType) {
        int at = pos;
        switch (wireType) {
            case VARINT -> readVarint();
            case LEN -> lengthAndAdvance();
            case FIXED64, FIXED32 -> {
                int n = wireType == FIXED64 ? 8 : 4;
                if (limit - pos < n) throw malformed(at, "truncated fixed-width value");
                pos += n;
            }
            default -> throw malformed(at, "unsupported wire type " + wireType);
        }
    }

    Malformed malformed(int at, String what) {
        return new Malformed(what + " at byte " + (at - origin));
    }
}
