package io.hypernetes.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The traffic of {@code hypernetes bench network}'s stand-in pods: a small JVM that {@link NetworkBench} starts inside a
 * pod's network namespace ({@code ip netns exec}), so that a probe costs one TCP connection rather than a process, and
 * a stream moves through large writes rather than busybox nc's 1 KiB copies.
 *
 * <ul>
 *   <li>{@code probe ADDRESS PORT}: each line on stdin names the body the next Service change should bring; it GETs
 *       {@code /} from the Service, one new connection after another, until that body answers, and prints
 *       {@code <wall-clock µs when it answered> <probes> <µs spent probing>} (or {@code timeout <probes>} after 10 s).
 *       The wall clock (CLOCK_REALTIME) is the one the bench reads when it starts the change. One probe's duration is
 *       the resolution: the rules changed during the last probe that got the old body or the first that got the new.
 *   <li>{@code sink PORT}: accepts connections one after another, reads each to its end and closes it.
 *   <li>{@code send ADDRESS PORT BYTES COUNT}: COUNT times, connects, writes BYTES zeros in 64 KiB writes, shuts its
 *       side and waits for the sink's close (so every byte has arrived), printing the µs from connect to close.
 * </ul>
 */
public final class PodTraffic {
    private static final long GIVE_UP_NANOS = 10_000_000_000L;
    private static final byte[] GET = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 64 * 1024;

    private PodTraffic() {}

    public static void main(String[] args) throws IOException {
        switch (args[0]) {
            case "probe" -> probe(new InetSocketAddress(args[1], Integer.parseInt(args[2])));
            case "sink" -> sink(Integer.parseInt(args[1]));
            case "send" -> send(new InetSocketAddress(args[1], Integer.parseInt(args[2])), Long.parseLong(args[3]),
                    Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException("usage: probe ADDRESS PORT | sink PORT | send ADDRESS PORT BYTES COUNT");
        }
    }

    private static void probe(InetSocketAddress service) throws IOException {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String expected; (expected = commands.readLine()) != null; ) {
            long start = System.nanoTime();
            long probes = 0;
            String answered = null;
            while (answered == null && System.nanoTime() - start < GIVE_UP_NANOS) {
                probes++;
                if (expected.equals(get(service))) {
                    answered = Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()));
                }
            }
            long spentMicros = (System.nanoTime() - start) / 1000;
            System.out.println(answered == null ? "timeout " + probes : answered + " " + probes + " " + spentMicros);
            System.out.flush();
        }
    }

    /** The body of {@code GET /}, stripped; null when the connection failed. */
    private static String get(InetSocketAddress service) {
        try (Socket socket = new Socket()) {
            socket.connect(service, 1000);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write(GET);
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int body = response.indexOf("\r\n\r\n");
            return body < 0 ? null : response.substring(body + 4).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static void sink(int port) throws IOException {
        byte[] buffer = new byte[CHUNK];
        try (ServerSocket server = new ServerSocket(port)) {
            System.out.println("listening");
            System.out.flush();
            while (true) {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream()) {
                    while (in.read(buffer) >= 0) {
                        // discard
                    }
                }
            }
        }
    }

    private static void send(InetSocketAddress sink, long bytes, int count) throws IOException {
        byte[] zeros = new byte[CHUNK];
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            try (Socket socket = new Socket()) {
                socket.connect(sink, 5000);
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                for (long left = bytes; left > 0; left -= CHUNK) {
                    out.write(zeros, 0, (int) Math.min(CHUNK, left));
                }
                socket.shutdownOutput();
                if (socket.getInputStream().read() >= 0) {
                    throw new IOException("the sink answered instead of closing");
                }
            }
            System.out.println((System.nanoTime() - start) / 1000);
            System.out.flush();
        }
    }
}
