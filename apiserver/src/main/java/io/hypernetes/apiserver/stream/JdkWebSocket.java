package io.hypernetes.apiserver.stream;

import io.hypernetes.http.WebSocket;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JDK's WebSocket client seen as a blocking {@link WebSocket}: one message is asked of the connection at a
 * time (after {@link #receive} took the previous one), so a slow reader slows the kubelet down. Closing it also
 * shuts down the client it came with.
 */
final class JdkWebSocket implements java.net.http.WebSocket.Listener, WebSocket {
    private static final Message END = new Message(false, new byte[0]);

    private final HttpClient http;
    private final BlockingQueue<Message> inbound = new LinkedBlockingQueue<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile java.net.http.WebSocket ws;

    JdkWebSocket(HttpClient http) {
        this.http = http;
    }

    void opened(java.net.http.WebSocket ws) {
        this.ws = ws;
    }

    @Override
    public void onOpen(java.net.http.WebSocket webSocket) {
        this.ws = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(java.net.http.WebSocket webSocket, ByteBuffer data, boolean last) {
        return collect(webSocket, data, last, false);
    }

    @Override
    public CompletionStage<?> onText(java.net.http.WebSocket webSocket, CharSequence data, boolean last) {
        return collect(webSocket, java.nio.charset.StandardCharsets.UTF_8.encode(data.toString()), last, true);
    }

    private CompletionStage<?> collect(java.net.http.WebSocket webSocket, ByteBuffer data, boolean last, boolean text) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        partial.writeBytes(b);
        if (last) {
            inbound.add(new Message(text, partial.toByteArray()));
            partial.reset();
        } else {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(java.net.http.WebSocket webSocket, int statusCode, String reason) {
        inbound.add(END);
        return null;
    }

    @Override
    public void onError(java.net.http.WebSocket webSocket, Throwable error) {
        inbound.add(END);
    }

    @Override
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    @Override
    public Message receive() throws InterruptedException {
        Message m = inbound.take();
        if (m == END) {
            inbound.add(END);
            return null;
        }
        ws.request(1);
        return m;
    }

    @Override
    public synchronized void send(byte[] data) throws InterruptedException {
        if (closed.get() || ws.isOutputClosed()) return;
        try {
            ws.sendBinary(ByteBuffer.wrap(data), true).get();
        } catch (ExecutionException e) {
            close(GOING_AWAY, "");
        }
    }

    @Override
    public void close(int code, String reason) {
        if (!closed.compareAndSet(false, true)) return;
        try {
            if (!ws.isOutputClosed()) ws.sendClose(code, reason).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the connection is gone already
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ws.abort();
            inbound.add(END);
            http.shutdownNow();
        }
    }
}
