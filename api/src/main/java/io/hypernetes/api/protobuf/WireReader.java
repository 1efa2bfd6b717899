package io.hypernetes.api.protobuf;

/**
 * Reads protobuf wire format from a byte range, checking every length against what is left.
 *
 * <p>Hand-written rather than protobuf-java's CodedInputStream: the codec needs only varints, length-delimited
 * slices and skipping, and owning these forty lines lets every malformed-input case (truncated varint, length
 * past the end, group wire types) fail with a message that names the offset, with no extra dependency. Nothing
 * here allocates more than the input already holds, so a forged length cannot exhaust memory.
 */
final class WireReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int limit;

    WireReader(byte[] buf, int offset, int limit) {
        this.buf = buf;
        this.pos = offset;
        this.limit = limit;
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
        long tag = readVarint();
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
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= limit) throw malformed(at, "truncated varint");
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw malformed(at, "varint longer than 10 bytes");
    }

    /** A reader over the next length-delimited value, after which this reader continues. */
    WireReader readDelimited() {
        int start = lengthAndAdvance();
        return new WireReader(buf, start, pos);
    }

    byte[] readBytes() {
        int start = lengthAndAdvance();
        return java.util.Arrays.copyOfRange(buf, start, pos);
    }

    String readString() {
        int start = lengthAndAdvance();
        // Go keeps invalid UTF-8 as is; replacement characters are the closest a Java string gets.
        return new String(buf, start, pos - start, java.nio.charset.StandardCharsets.UTF_8);
    }

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
        return new Malformed(what + " at byte " + at);
    }
}
