package io.hypernetes.proxy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A DNS client for the tests, written from RFC 1035 independently of the server's Netty codec: it builds query
 * packets byte by byte, sends them over real UDP and TCP sockets and parses the answers.
 */
final class DnsWire {
    static final int A = 1, SOA = 6, AAAA = 28, SRV = 33, ANY = 255;

    record Record(String name, int type, int ttl, byte[] data) {
        /** rdata of an A record as text. */
        String ip() {
            return (data[0] & 0xff) + "." + (data[1] & 0xff) + "." + (data[2] & 0xff) + "." + (data[3] & 0xff);
        }
    }

    record Message(int id, int flags, List<String> questions, List<Record> answers, List<Record> authority,
                   List<Record> additional, byte[] raw) {
        int rcode() {
            return flags & 0xf;
        }

        boolean authoritative() {
            return (flags & 0x0400) != 0;
        }

        boolean truncated() {
            return (flags & 0x0200) != 0;
        }

        boolean recursionAvailable() {
            return (flags & 0x0080) != 0;
        }

        boolean response() {
            return (flags & 0x8000) != 0;
        }

        List<String> ips() {
            return answers.stream().filter(r -> r.type() == A).map(Record::ip).toList();
        }
    }

    static final int NOERROR = 0, FORMERR = 1, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5;

    static byte[] query(int id, String name, int type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(id >> 8);
        out.write(id);
        out.write(0x01); // RD
        out.write(0x00);
        out.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) continue;
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        out.write(type >> 8);
        out.write(type);
        out.write(0);
        out.write(1); // IN
        return out.toByteArray();
    }

    /** Sends {@code packet} over UDP and waits up to {@code timeoutMs} for one answer; null when none came. */
    static Message udp(InetSocketAddress server, byte[] packet, int timeoutMs) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(timeoutMs);
            s.send(new DatagramPacket(packet, packet.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (java.net.SocketTimeoutException e) {
                return null;
            }
            byte[] got = new byte[p.getLength()];
            System.arraycopy(buf, 0, got, 0, got.length);
            return parse(got);
        }
    }

    static Message udp(InetSocketAddress server, String name, int type) throws IOException {
        Message m = udp(server, query(0x1234, name, type), 5000);
        if (m == null) throw new AssertionError("no UDP answer from " + server + " for " + name);
        return m;
    }

    static Message tcp(InetSocketAddress server, String name, int type) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            s.setSoTimeout(5000);
            writeFrame(s.getOutputStream(), query(0x4321, name, type));
            return readFrame(s);
        }
    }

    static void writeFrame(OutputStream out, byte[] packet) throws IOException {
        out.write(packet.length >> 8);
        out.write(packet.length);
        out.write(packet);
        out.flush();
    }

    static Message readFrame(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int len = in.readUnsignedShort();
        byte[] got = new byte[len];
        in.readFully(got);
        return parse(got);
    }

    static Message parse(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        int id = b.getShort() & 0xffff;
        int flags = b.getShort() & 0xffff;
        int qd = b.getShort() & 0xffff, an = b.getShort() & 0xffff, ns = b.getShort() & 0xffff, ar = b.getShort() & 0xffff;
        List<String> questions = new ArrayList<>();
        for (int i = 0; i < qd; i++) {
            questions.add(name(raw, b));
            b.getInt();
        }
        return new Message(id, flags, questions, records(raw, b, an), records(raw, b, ns), records(raw, b, ar), raw);
    }

    private static List<Record> records(byte[] raw, ByteBuffer b, int n) {
        List<Record> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = name(raw, b);
            int type = b.getShort() & 0xffff;
            b.getShort(); // class
            int ttl = b.getInt();
            byte[] data = new byte[b.getShort() & 0xffff];
            b.get(data);
            out.add(new Record(name, type, ttl, data));
        }
        return out;
    }

    /** A name at the buffer's position (following compression pointers), advancing past it. */
    static String name(byte[] raw, ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        int pos = b.position();
        boolean jumped = false;
        while (true) {
            int len = raw[pos] & 0xff;
            if ((len & 0xc0) == 0xc0) {
                int target = ((len & 0x3f) << 8) | (raw[pos + 1] & 0xff);
                if (!jumped) b.position(pos + 2);
                jumped = true;
                pos = target;
                continue;
            }
            if (len == 0) {
                if (!jumped) b.position(pos + 1);
                return s.isEmpty() ? "." : s.toString();
            }
            s.append(new String(raw, pos + 1, len, StandardCharsets.US_ASCII)).append('.');
            pos += len + 1;
        }
    }

    /** An SRV record's priority, weight, port and target. */
    record Srv(int priority, int weight, int port, String target) {
        static Srv of(Record r) {
            ByteBuffer b = ByteBuffer.wrap(r.data());
            int priority = b.getShort() & 0xffff, weight = b.getShort() & 0xffff, port = b.getShort() & 0xffff;
            return new Srv(priority, weight, port, name(r.data(), b));
        }
    }
}
