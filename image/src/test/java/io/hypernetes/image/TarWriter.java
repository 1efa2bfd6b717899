package io.hypernetes.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Writes tar archives for tests: layers with whiteouts, hard links, hostile names. Entries are ustar with a PAX
 * {@code path} record when a name does not fit, owned by root and dated 2020-01-01 so archives are reproducible
 * (the same layer has the same digest in every test run, as images built twice from one source do).
 */
public final class TarWriter {
    private static final long MTIME = 1577836800L;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public TarWriter directory(String name, int mode) {
        return entry(name.endsWith("/") ? name : name + "/", '5', mode, new byte[0], "", 0, 0);
    }

    public TarWriter file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public TarWriter file(String name, byte[] content, int mode) {
        return entry(name, '0', mode, content, "", 0, 0);
    }

    public TarWriter file(String name, byte[] content, int mode, int uid, int gid) {
        return entry(name, '0', mode, content, "", uid, gid);
    }

    public TarWriter symlink(String name, String target) {
        return entry(name, '2', 0777, new byte[0], target, 0, 0);
    }

    public TarWriter hardlink(String name, String target) {
        return entry(name, '1', 0644, new byte[0], target, 0, 0);
    }

    public TarWriter characterDevice(String name) {
        return entry(name, '3', 0666, new byte[0], "", 0, 0);
    }

    /** The archive: the entries and the two zero blocks that end it. */
    public byte[] tar() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.writeBytes(out.toByteArray());
        copy.writeBytes(new byte[1024]);
        return copy.toByteArray();
    }

    /** The archive, gzip-compressed as registries carry layers. */
    public byte[] gzip() {
        return gzip(tar());
    }

    public static byte[] gzip(byte[] content) {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return compressed.toByteArray();
    }

    private TarWriter entry(String name, char type, int mode, byte[] content, String link, int uid, int gid) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100 || link.getBytes(StandardCharsets.UTF_8).length > 100) {
            StringBuilder pax = new StringBuilder();
            pax.append(paxRecord("path", name));
            if (!link.isEmpty()) {
                pax.append(paxRecord("linkpath", link));
            }
            byte[] data = pax.toString().getBytes(StandardCharsets.UTF_8);
            writeHeader("PaxHeader", 'x', 0644, data.length, "", 0, 0);
            writeData(data);
            name = "long-name";
            link = link.isEmpty() ? "" : "long-link";
        }
        writeHeader(name, type, mode, content.length, link, uid, gid);
        writeData(content);
        return this;
    }

    private static String paxRecord(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int length = body.getBytes(StandardCharsets.UTF_8).length;
        int total = length + Integer.toString(length).length();
        if (Integer.toString(total).length() != Integer.toString(length).length()) {
            total++;
        }
        return total + body;
    }

    private void writeHeader(String name, char type, int mode, long size, String link, int uid, int gid) {
        byte[] header = new byte[512];
        put(header, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(header, 100, 8, mode);
        octal(header, 108, 8, uid);
        octal(header, 116, 8, gid);
        octal(header, 124, 12, size);
        octal(header, 136, 12, MTIME);
        header[156] = (byte) type;
        put(header, 157, 100, link.getBytes(StandardCharsets.UTF_8));
        put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        for (int i = 148; i < 156; i++) {
            header[i] = ' ';
        }
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        octal(header, 148, 7, sum);
        out.writeBytes(header);
    }

    private void writeData(byte[] data) {
        out.writeBytes(data);
        int padding = (512 - data.length % 512) % 512;
        out.writeBytes(new byte[padding]);
    }

    private static void put(byte[] header, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, header, offset, Math.min(length, value.length));
    }

    private static void octal(byte[] header, int offset, int length, long value) {
        String digits = String.format("%0" + (length - 1) + "o", value);
        put(header, offset, length - 1, digits.getBytes(StandardCharsets.US_ASCII));
    }
}
