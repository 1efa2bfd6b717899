package io.hypernetes.guest;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One protocol frame: {@code u32 length | u8 type | u32 id | payload}, big-endian, where
 * length counts the bytes after itself. The whole frame is at most {@link Protocol#FRAME_MAX}.
 */
record Frame(int type, int id, byte[] payload) {

    Frame {
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("frame type " + type + " is not a byte");
        }
        if (payload.length > Protocol.PAYLOAD_MAX) {
            throw new IllegalArgumentException("frame payload of " + payload.length
                    + " bytes exceeds " + Protocol.PAYLOAD_MAX + " (one frame is at most 32 KiB)");
        }
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(Protocol.HEADER_LEN + payload.length);
        b.putInt(payload.length + 5).put((byte) type).putInt(id).put(payload);
        return b.array();
    }

    /**
     * Reads the next frame from {@code in} (positioned, in read mode) or returns null if it
     * does not yet hold a whole frame; the buffer is left at the frame's first byte then.
     *
     * @throws ProtocolException for a length no peer may send
     */
    static Frame decode(ByteBuffer in) throws ProtocolException {
        if (in.remaining() < 4) {
            return null;
        }
        int start = in.position();
        long length = Integer.toUnsignedLong(in.getInt(start));
        if (length < 5 || length > Protocol.FRAME_MAX - 4) {
            throw new ProtocolException("frame length " + length + " is outside 5.." + (Protocol.FRAME_MAX - 4));
        }
        if (in.remaining() < 4 + length) {
            return null;
        }
        in.position(start + 4);
        int type = in.get() & 0xFF;
        int id = in.getInt();
        byte[] payload = new byte[(int) length - 5];
        in.get(payload);
        return new Frame(type, id, payload);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.type == type && f.id == id && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * type + id) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return Protocol.typeName(type) + "#" + Integer.toUnsignedString(id) + "(" + payload.length + " bytes)";
    }

    /** The peer broke the framing: the connection must resynchronise or close. */
    static final class ProtocolException extends Exception {
        ProtocolException(String message) {
            super(message);
        }
    }
}
