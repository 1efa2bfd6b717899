package io.hypernetes.image;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a tar stream entry by entry: POSIX ustar with GNU long names ({@code L}/{@code K}) and PAX extended headers
 * ({@code path}, {@code linkpath}, {@code size}, {@code uid}, {@code gid}, {@code mtime}), base-256 numbers — what
 * Docker, BuildKit, skopeo and umoci write. Names are returned as written; callers judge them.
 */
final class TarReader implements AutoCloseable {
    private static final int BLOCK = 512;
    private static final int MAX_META = 1 << 20;

    /** The kinds of entry, by their tar type flag. */
    enum Type { FILE, HARDLINK, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, DIRECTORY, FIFO }

    record Entry(String name, Type type, long size, int mode, int uid, int gid, long mtime, String linkName) {}

    private final InputStream in;
    private long remaining;
    private long padding;
    private boolean ended;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive; its content is {@link #content()} until the next call. */
    Entry next() throws IOException {
        skipContent();
        Map<String, String> pax = new HashMap<>();
        String longName = null;
        String longLink = null;
        while (!ended) {
            byte[] header = in.readNBytes(BLOCK);
            if (header.length == 0) {
                ended = true;
                return null;
            }
            if (header.length < BLOCK) {
                throw new EOFException("tar archive ends inside a header");
            }
            if (allZero(header)) {
                ended = true;
                return null;
            }
            checkSum(header);
            char flag = (char) header[156];
            long size = number(header, 124, 12);
            if (size < 0) {
                throw new IOException("tar entry has a negative size");
            }
            String name = string(header, 0, 100);
            String prefix = ustar(header) ? string(header, 345, 155) : "";
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            switch (flag) {
                case 'x', 'g' -> {
                    byte[] data = meta(size);
                    if (flag == 'x') {
                        pax.putAll(parsePax(data));
                    }
                    continue;
                }
                case 'L' -> {
                    longName = trimNul(meta(size));
                    continue;
                }
                case 'K' -> {
                    longLink = trimNul(meta(size));
                    continue;
                }
                default -> { }
            }
            Type type = switch (flag) {
                case '0', '\0', '7' -> Type.FILE;
                case '1' -> Type.HARDLINK;
                case '2' -> Type.SYMLINK;
                case '3' -> Type.CHAR_DEVICE;
                case '4' -> Type.BLOCK_DEVICE;
                case '5' -> Type.DIRECTORY;
                case '6' -> Type.FIFO;
                case 'S' -> throw new ImageException(ImageException.Reason.UNSUPPORTED, "tar entry \"" + name
                        + "\" is a GNU sparse file, which is not supported");
                default -> throw new ImageException(ImageException.Reason.UNSUPPORTED, "tar entry \"" + name
                        + "\" has unknown type '" + flag + "'");
            };
            if (longName != null) {
                name = longName;
            }
            String linkName = longLink != null ? longLink : string(header, 157, 100);
            name = pax.getOrDefault("path", name);
            linkName = pax.getOrDefault("linkpath", linkName);
            if (pax.containsKey("size")) {
                size = Long.parseLong(pax.get("size"));
            }
            int uid = pax.containsKey("uid") ? Integer.parseInt(pax.get("uid")) : (int) number(header, 108, 8);
            int gid = pax.containsKey("gid") ? Integer.parseInt(pax.get("gid")) : (int) number(header, 116, 8);
            long mtime = pax.containsKey("mtime") ? (long) Double.parseDouble(pax.get("mtime")) : number(header, 136, 12);
            int mode = (int) (number(header, 100, 8) & 07777);
            if (type != Type.FILE) {
                size = type == Type.HARDLINK || type == Type.SYMLINK || type == Type.DIRECTORY ? 0 : size;
            }
            remaining = size;
            padding = (BLOCK - size % BLOCK) % BLOCK;
            return new Entry(name, type, size, mode, uid, gid, mtime, linkName);
        }
        return null;
    }

    /** The current entry's content; reading it is optional. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("tar archive ends inside an entry");
                }
                remaining--;
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(buffer, offset, (int) Math.min(length, remaining));
                if (n < 0) {
                    throw new EOFException("tar archive ends inside an entry");
                }
                remaining -= n;
                return n;
            }
        };
    }

    /** Reads the rest of the stream, so a digest computed over it covers the whole archive. */
    void drain() throws IOException {
        skipContent();
        in.transferTo(java.io.OutputStream.nullOutputStream());
    }

    /** Skips by reading, not {@code skip()}: a digest computed over the stream must see every byte. */
    private void skipContent() throws IOException {
        long skip = remaining + padding;
        remaining = 0;
        padding = 0;
        byte[] buffer = new byte[8192];
        while (skip > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, skip));
            if (n < 0) {
                throw new EOFException("tar archive ends inside an entry");
            }
            skip -= n;
        }
    }

    private byte[] meta(long size) throws IOException {
        if (size > MAX_META) {
            throw new IOException("tar extended header of " + size + " bytes is too large");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException("tar archive ends inside an extended header");
        }
        in.readNBytes((int) ((BLOCK - size % BLOCK) % BLOCK));
        return data;
    }

    private static Map<String, String> parsePax(byte[] data) throws IOException {
        Map<String, String> out = new HashMap<>();
        int i = 0;
        while (i < data.length) {
            int space = i;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, i, space - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException("malformed PAX header record");
            }
            if (length <= 0 || i + length > data.length || space >= i + length) {
                throw new IOException("malformed PAX header record");
            }
            String record = new String(data, space + 1, i + length - space - 2, StandardCharsets.UTF_8);
            int equals = record.indexOf('=');
            if (equals > 0) {
                out.put(record.substring(0, equals), record.substring(equals + 1));
            }
            i += length;
        }
        return out;
    }

    private static boolean ustar(byte[] header) {
        return header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a' && header[261] == 'r'
                && header[262] == 0;
    }

    private static void checkSum(byte[] header) throws IOException {
        long expected = number(header, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
        }
        if (sum != expected) {
            throw new IOException("not a tar archive (header checksum mismatch)");
        }
    }

    private static boolean allZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String string(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String trimNul(byte[] data) {
        int end = data.length;
        while (end > 0 && data[end - 1] == 0) {
            end--;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }

    /** An octal field, or a base-256 one (high bit of the first byte set), as GNU tar writes large values. */
    private static long number(byte[] header, int offset, int length) throws IOException {
        if ((header[offset] & 0x80) != 0) {
            long value = header[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                value = (value << 8) | (header[offset + i] & 0xff);
            }
            return value;
        }
        long value = 0;
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        for (; i < end && header[i] != 0 && header[i] != ' '; i++) {
            if (header[i] < '0' || header[i] > '7') {
                throw new IOException("not a tar archive (bad number in header)");
            }
            value = value * 8 + (header[i] - '0');
        }
        return value;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
