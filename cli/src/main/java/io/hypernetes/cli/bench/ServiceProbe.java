package io.hypernetes.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The client pod of {@code hypernetes bench network}'s Service-change measurement: a JVM that {@link NetworkBench}
 * starts inside the client's network namespace ({@code ip netns exec}), so that probing costs one TCP connection
 * rather than a process per probe.
 *
 * <p>Each line on stdin names the body the next change should bring; the probe then GETs {@code /} from the Service
 * address, one new connection after another, until that body answers, and prints
 * {@code <wall-clock µs when it answered> <probes> <µs spent probing>} (or {@code timeout <probes>} after 10 s). The
 * wall clock (CLOCK_REALTIME, µs) is the one the bench reads in its own process when it starts a change. A probe's
 * duration is the resolution of "traffic follows": the rules changed at some point during the last probe that still
 * got the old body or the first that got the new one.
 */
public final class ServiceProbe {
    private static final long GIVE_UP_NANOS = 10_000_000_000L;
    private static final byte[] GET = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private ServiceProbe() {}

    public static void main(String[] args) throws IOException {
        InetSocketAddress service = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
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
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int body = response.indexOf("\r\n\r\n");
            return body < 0 ? null : response.substring(body + 4).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
