package io.hypernetes.apiserver.stream;

import static io.hypernetes.http.RemoteCommandProtocol.CLOSE;
import static io.hypernetes.http.RemoteCommandProtocol.ERROR;
import static io.hypernetes.http.RemoteCommandProtocol.RESIZE;
import static io.hypernetes.http.RemoteCommandProtocol.STDERR;
import static io.hypernetes.http.RemoteCommandProtocol.STDIN;
import static io.hypernetes.http.RemoteCommandProtocol.STDOUT;
import static io.hypernetes.http.RemoteCommandProtocol.V4;
import static io.hypernetes.http.RemoteCommandProtocol.V5;

import io.hypernetes.apiserver.ApiException;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.http.RemoteCommandProtocol;
import io.hypernetes.http.SpdyConnection;
import io.hypernetes.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exec and attach between kubectl and a node's kubelet server. Towards the node it is always a WebSocket; towards
 * the client whatever the client speaks:
 *
 * <ul>
 *   <li><b>WebSocket</b> {@code v5.channel.k8s.io} or {@code v4.channel.k8s.io} (kubectl 1.30 and later): the
 *       kubelet is asked for the same subprotocol and whole messages are relayed both ways unchanged;
 *   <li><b>SPDY/3.1</b> with {@code X-Stream-Protocol-Version: v4.channel.k8s.io} (kubectl before 1.30, and
 *       kubectl 1.30+ when its WebSocket attempt is refused): one SPDY stream per channel, named by its
 *       {@code streamType} header (error, stdin, stdout, stderr, resize), translated to and from the kubelet's
 *       {@code v5.channel.k8s.io} channels; the client's half-close of stdin becomes v5's close signal
 *       {@code [255, 0]}.
 * </ul>
 *
 * The kubelet is dialled before the client's upgrade is answered, so its refusals (no such running container,
 * bad options) reach the client as ordinary HTTP errors.
 */
public final class RemoteCommandRelay {
    private static final Logger log = LoggerFactory.getLogger(RemoteCommandRelay.class);
    /** How long a SPDY client has to open the streams it asked for (Kubernetes' DefaultStreamCreationTimeout). */
    private static final Duration STREAM_CREATION = Duration.ofSeconds(30);

    private RemoteCommandRelay() {}

    /** Which streams the request asked for. */
    public record Streams(boolean stdin, boolean stdout, boolean stderr, boolean tty) {}

    /**
     * Serves one exec or attach request: refuses what no protocol here fits (400) before anything is dialled,
     * then relays until either end finishes.
     */
    public static void relay(HttpExchange ex, KubeletClient kubelets, KubeletClient.Endpoint node, String kubeletPath,
            Streams streams) throws InterruptedException {
        if (ex.upgradeRequested("websocket")) {
            List<String> offered = ex.webSocketProtocols();
            String protocol = RemoteCommandProtocol.choose(offered).orElseThrow(() -> ApiException.badRequest(
                    "unable to upgrade: unable to negotiate protocol: client supports " + offered + ", server supports [" + V5 + " " + V4 + "]"));
            WebSocket kubelet = kubelets.connect(node, kubeletPath, protocol);
            WebSocket client;
            try {
                client = ex.acceptWebSocket(protocol, ApiException.FORMAT);
            } catch (RuntimeException e) {
                kubelet.close(WebSocket.GOING_AWAY, "");
                throw e;
            }
            relayWebSockets(client, kubelet);
        } else if (ex.upgradeRequested("SPDY/3.1")) {
            List<String> offered = new ArrayList<>();
            for (String h : ex.headerValues("X-Stream-Protocol-Version")) {
                for (String p : h.split(",")) if (!p.isBlank()) offered.add(p.trim());
            }
            if (!offered.contains(V4)) {
                throw new ApiException(403, "Forbidden", "unable to upgrade: unable to negotiate protocol: client supports "
                        + offered + ", server supports [" + V4 + "]", null);
            }
            WebSocket kubelet = kubelets.connect(node, kubeletPath, V5);
            SpdyConnection client;
            try {
                client = ex.acceptSpdy(Map.of("X-Stream-Protocol-Version", V4));
            } catch (RuntimeException e) {
                kubelet.close(WebSocket.GOING_AWAY, "");
                throw e;
            }
            relaySpdy(client, kubelet, streams);
        } else {
            throw ApiException.badRequest("Upgrade request required: exec and attach speak WebSocket ("
                    + V5 + ", " + V4 + ") or SPDY/3.1 (" + V4 + ")");
        }
    }

    /** Whole messages both ways; whichever side ends first ends the other. */
    private static void relayWebSockets(WebSocket client, WebSocket kubelet) throws InterruptedException {
        Thread up = Thread.ofVirtual().name("relay-up").start(() -> {
            try {
                WebSocket.Message m;
                while ((m = client.receive()) != null) kubelet.send(m.data());
            } catch (InterruptedException e) {
                return;
            }
            // the client left before the command ended
            kubelet.close(WebSocket.GOING_AWAY, "");
        });
        try {
            WebSocket.Message m;
            while ((m = kubelet.receive()) != null) client.send(m.data());
        } finally {
            client.close(WebSocket.NORMAL, "");
            kubelet.close(WebSocket.NORMAL, "");
            up.interrupt();
        }
    }

    /** SPDY streams to and from the kubelet's v5 channels. */
    private static void relaySpdy(SpdyConnection client, WebSocket kubelet, Streams asked) throws InterruptedException {
        Map<String, SpdyConnection.Stream> streams = new HashMap<>();
        Set<String> expected = new java.util.HashSet<>(Set.of("error"));
        if (asked.stdin()) expected.add("stdin");
        if (asked.stdout()) expected.add("stdout");
        if (asked.stderr() && !asked.tty()) expected.add("stderr");
        if (asked.tty()) expected.add("resize");
        Instant deadline = Instant.now().plus(STREAM_CREATION);
        List<Thread> pumps = new ArrayList<>();
        client.onClose(() -> kubelet.close(WebSocket.GOING_AWAY, ""));
        try {
            while (!streams.keySet().containsAll(expected)) {
                Duration left = Duration.between(Instant.now(), deadline);
                SpdyConnection.Stream s = left.isNegative() ? null : client.accept(left);
                if (s == null) {
                    log.info("SPDY client opened {} of the streams {} it asked for; giving up", streams.keySet(), expected);
                    return;
                }
                String type = s.header("streamType");
                if (type == null) continue;
                streams.put(type, s);
                switch (type) {
                    case "stdin" -> pumps.add(pump(s, kubelet, STDIN, true));
                    case "resize" -> pumps.add(pump(s, kubelet, RESIZE, false));
                    default -> { }
                }
            }
            WebSocket.Message m;
            while ((m = kubelet.receive()) != null) {
                if (m.data().length == 0) continue;
                String type = switch (m.data()[0] & 0xff) {
                    case STDOUT -> "stdout";
                    case STDERR -> "stderr";
                    case ERROR -> "error";
                    default -> null;
                };
                SpdyConnection.Stream s = type == null ? null : streams.get(type);
                if (s != null) s.write(Arrays.copyOfRange(m.data(), 1, m.data().length));
            }
        } finally {
            for (Thread t : pumps) t.interrupt();
            kubelet.close(WebSocket.NORMAL, "");
            client.close();
        }
    }

    /** Client to kubelet for one SPDY stream; stdin's end (the client's FIN) becomes v5's close signal. */
    private static Thread pump(SpdyConnection.Stream from, WebSocket kubelet, int channel, boolean signalEnd) {
        return Thread.ofVirtual().name("relay-" + channel).start(() -> {
            try {
                byte[] b;
                while ((b = from.read()) != null) {
                    byte[] msg = new byte[b.length + 1];
                    msg[0] = (byte) channel;
                    System.arraycopy(b, 0, msg, 1, b.length);
                    kubelet.send(msg);
                }
                if (signalEnd) kubelet.send(new byte[] {(byte) CLOSE, (byte) channel});
            } catch (InterruptedException e) {
                // the command ended
            }
        });
    }
}
