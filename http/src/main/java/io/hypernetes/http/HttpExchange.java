package io.hypernetes.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request and its response. A handler answers with exactly one of {@link #respond} or {@link #stream}.
 * Safe to use from any thread: Netty hands writes to the channel's event loop.
 */
public final class HttpExchange {
    private final Channel channel;
    private final String method;
    private final String path;
    private final Map<String, List<String>> query;
    private final HttpHeaders headers;
    private final byte[] body;
    private final boolean keepAlive;
    private final User user;
    private final List<String> warnings = new ArrayList<>();
    private final List<Map.Entry<String, String>> responseHeaders = new ArrayList<>();
    private final Runnable onDone;
    private final String malformedUri;
    private final String uri;
    private int status;

    HttpExchange(Channel channel, String method, String uri, HttpHeaders headers, byte[] body, boolean keepAlive,
            User user, Runnable onDone) {
        this.channel = channel;
        this.onDone = onDone;
        this.method = method;
        this.uri = uri;
        String decodedPath = uri;
        Map<String, List<String>> decodedQuery = Map.of();
        String malformed = null;
        try {
            QueryStringDecoder d = new QueryStringDecoder(uri);
            decodedPath = d.path();
            decodedQuery = d.parameters();
        } catch (IllegalArgumentException e) {
            malformed = e.getMessage();
        }
        this.path = decodedPath;
        this.query = decodedQuery;
        this.malformedUri = malformed;
        this.headers = headers;
        this.body = body;
        this.keepAlive = keepAlive;
        this.user = user;
    }

    /** Why the request URI could not be decoded (a bad percent escape), or null when it could. */
    public String malformedUri() {
        return malformedUri;
    }

    public String method() {
        return method;
    }

    /** The request URI as sent: path and query, still encoded. */
    public String uri() {
        return uri;
    }

    public String path() {
        return path;
    }

    /** The last value of a query parameter, or null. */
    public String query(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.getLast();
    }

    /**
     * A boolean query parameter as Go's {@code strconv.ParseBool} reads it (Kubernetes' servers are Go): false when
     * absent; {@code valueless} when given without a value ({@code ?stdin}); anything else unparseable is a
     * {@link BadQueryParameter} worded as Kubernetes words it.
     */
    public boolean queryBool(String name, boolean valueless) {
        String v = query(name);
        if (v == null) return false;
        if (v.isEmpty()) return valueless;
        return switch (v) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new BadQueryParameter(name + ": Invalid value: \"" + v + "\": strconv.ParseBool: parsing \"" + v + "\": invalid syntax");
        };
    }

    /** An integer query parameter as Go's {@code strconv.ParseInt} reads it, or null when absent or empty. */
    public Long queryLong(String name) {
        String v = query(name);
        if (v == null || v.isEmpty()) return null;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new BadQueryParameter(name + ": Invalid value: \"" + v + "\": strconv.ParseInt: parsing \"" + v + "\": invalid syntax");
        }
    }

    public List<String> queryAll(String name) {
        return query.getOrDefault(name, List.of());
    }

    public Map<String, List<String>> queryParameters() {
        return query;
    }

    public String header(String name) {
        return headers.get(name);
    }

    /** Every value of a request header that may repeat, in order. */
    public List<String> headerValues(String name) {
        return headers.getAll(name);
    }

    public byte[] body() {
        return body;
    }

    public User user() {
        return user;
    }

    /**
     * The peer of the TCP connection (there is no proxy in front of these services, so this is the client):
     * what per-source limits such as login throttling key on. Null once the connection is gone.
     */
    public InetSocketAddress remoteAddress() {
        return channel.remoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    /** The status code sent, 0 until a response started. */
    public int status() {
        return status;
    }

    /** Sets a response header (before the response starts). */
    public void header(String name, String value) {
        responseHeaders.add(Map.entry(name, value));
    }

    /** Adds a {@code Warning: 299 - "..."} header to the response, as Kubernetes does for field validation. */
    public void warn(String message) {
        // Kubernetes' warning recorder sends each text once; a retried write must not repeat its warnings either
        if (!warnings.contains(message)) warnings.add(message);
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Runs {@code action} when the client goes away. */
    /** Runs {@code action} when the client goes away; the returned handle forgets it (call it when done). */
    public Runnable onClose(Runnable action) {
        GenericFutureListener<Future<? super Void>> listener = f -> action.run();
        channel.closeFuture().addListener(listener);
        return () -> channel.closeFuture().removeListener(listener);
    }

    public void respond(int code, String contentType, byte[] content) {
        status = code;
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
                Unpooled.wrappedBuffer(content));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache, private");
        addHeaders(r);
        HttpUtil.setContentLength(r, content.length);
        if (keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            channel.writeAndFlush(r);
        } else {
            channel.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
        onDone.run();
    }

    private void addHeaders(HttpResponse r) {
        for (Map.Entry<String, String> h : responseHeaders) r.headers().set(h.getKey(), h.getValue());
        for (String w : warnings) {
            r.headers().add("Warning", "299 - \"" + w.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
    }

    // ---- protocol upgrades (RFC 7230 §6.7): the connection leaves HTTP/1.1 for the rest of its life

    /** Whether the request asks to switch to {@code protocol} ({@code Connection: Upgrade}, {@code Upgrade: protocol}). */
    public boolean upgradeRequested(String protocol) {
        String connection = headers.get(HttpHeaderNames.CONNECTION);
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        if (connection == null || upgrade == null) return false;
        boolean asked = false;
        for (String token : connection.split(",")) asked |= token.trim().equalsIgnoreCase("upgrade");
        if (!asked) return false;
        for (String token : upgrade.split(",")) {
            if (token.trim().equalsIgnoreCase(protocol)) return true;
        }
        return false;
    }

    /** The subprotocols a WebSocket handshake offers ({@code Sec-WebSocket-Protocol}), in the client's order. */
    public List<String> webSocketProtocols() {
        List<String> out = new ArrayList<>();
        for (String h : headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
            for (String p : h.split(",")) {
                if (!p.isBlank()) out.add(p.trim());
            }
        }
        return out;
    }

    /**
     * Completes a WebSocket handshake (RFC 6455 §4.2.2, version 13) with {@code subprotocol} (null for none) and
     * hands the connection to the returned socket. The handler keeps the exchange's virtual thread for as long as
     * it uses the socket.
     *
     * @throws HttpError (worded by {@code errors}) 400 when the request is no valid WebSocket handshake
     */
    public WebSocket acceptWebSocket(String subprotocol, HttpError.Format errors) {
        String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (!method.equals("GET") || !upgradeRequested("websocket") || key == null || key.isBlank()) {
            throw errors.error(400, "not a WebSocket handshake: expected GET with Connection: Upgrade, Upgrade: websocket and Sec-WebSocket-Key");
        }
        if (!"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            header("Sec-WebSocket-Version", "13");
            throw errors.error(400, "unsupported WebSocket version " + headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION) + ": only 13 is spoken");
        }
        HttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        r.headers().set(HttpHeaderNames.UPGRADE, "websocket");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, webSocketAccept(key.trim()));
        if (subprotocol != null) r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, subprotocol);
        ServerWebSocket socket = new ServerWebSocket(channel, subprotocol == null ? "" : subprotocol);
        switchProtocols(r, List.of(
                Map.entry("ws-decoder", new io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder(
                        io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig.newBuilder()
                                .expectMaskedFrames(true).allowExtensions(false).maxFramePayloadLength(MAX_MESSAGE).build())),
                Map.entry("ws-encoder", new io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder(false)),
                Map.entry("ws-aggregator", new io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator(MAX_MESSAGE)),
                Map.entry("ws", socket)));
        return socket;
    }

    /** The largest WebSocket message accepted; Kubernetes' streams send at most 32 KiB per message. */
    private static final int MAX_MESSAGE = 1 << 20;

    private static String webSocketAccept(String key) {
        try {
            byte[] sha1 = java.security.MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return java.util.Base64.getEncoder().encodeToString(sha1);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Answers {@code Upgrade: SPDY/3.1} with 101 and {@code extraHeaders} (such as Kubernetes'
     * {@code X-Stream-Protocol-Version}) and hands the connection to the returned SPDY/3.1 server session.
     */
    public SpdyConnection acceptSpdy(Map<String, String> extraHeaders) {
        HttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        r.headers().set(HttpHeaderNames.UPGRADE, "SPDY/3.1");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        extraHeaders.forEach((k, v) -> r.headers().set(k, v));
        SpdyConnection spdy = new SpdyConnection(channel);
        switchProtocols(r, List.of(
                Map.entry("spdy-codec", new io.netty.handler.codec.spdy.SpdyFrameCodec(io.netty.handler.codec.spdy.SpdyVersion.SPDY_3_1)),
                Map.entry("spdy", spdy)));
        return spdy;
    }

    /**
     * Sends the 101 through the HTTP/1.1 encoder, then, in the same event-loop task (the connection is not reading
     * while a request is served, so no byte of the new protocol can be taken for HTTP), replaces the HTTP/1.1
     * handlers with {@code handlers}. Bytes the HTTP decoder had already buffered pass on to the new first handler.
     */
    private void switchProtocols(HttpResponse response, List<Map.Entry<String, io.netty.channel.ChannelHandler>> handlers) {
        status = 101;
        java.util.concurrent.CompletableFuture<Void> switched = new java.util.concurrent.CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            try {
                var p = channel.pipeline();
                p.writeAndFlush(response);
                String previous = HttpServer.HTTP_CODEC;
                for (Map.Entry<String, io.netty.channel.ChannelHandler> h : handlers) {
                    p.addAfter(previous, h.getKey(), h.getValue());
                    previous = h.getKey();
                }
                p.remove(HttpServer.DISPATCHER);
                p.remove(HttpServer.BODY_LIMIT);
                p.remove(HttpServer.HTTP_CODEC);
                channel.config().setAutoRead(true);
                channel.read();
                switched.complete(null);
            } catch (RuntimeException e) {
                channel.close();
                switched.completeExceptionally(e);
            }
        });
        switched.join();
    }

    /** Starts a chunked response; the caller writes chunks and closes it. */
    public Stream stream(int code, String contentType) {
        status = code;
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache, private");
        r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        addHeaders(r);
        channel.writeAndFlush(r);
        // read while streaming, so a client that hangs up is noticed at once (its close runs onClose actions);
        // a request it pipelines meanwhile waits its turn in the dispatcher
        channel.eventLoop().execute(() -> {
            channel.config().setAutoRead(true);
            channel.read();
        });
        return new Stream();
    }

    /** A chunked response body. Writes wait while the client reads slower than we write. */
    public final class Stream implements Closeable {
        private boolean closed;

        public void write(byte[] chunk) throws InterruptedException {
            ByteBuf buf = Unpooled.wrappedBuffer(chunk);
            channel.writeAndFlush(new DefaultHttpContent(buf));
            // a client that stopped reading would hold its buffers and this stream forever
            Writability.await(channel);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            if (keepAlive) {
                channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            }
            onDone.run();
        }
    }
}
