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

    public List<String> queryAll(String name) {
        return query.getOrDefault(name, List.of());
    }

    public Map<String, List<String>> queryParameters() {
        return query;
    }

    public String header(String name) {
        return headers.get(name);
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
        private static final long STALLED_CLIENT_MILLIS = 60_000;

        private boolean closed;

        public void write(byte[] chunk) throws InterruptedException {
            ByteBuf buf = Unpooled.wrappedBuffer(chunk);
            channel.writeAndFlush(new DefaultHttpContent(buf));
            long waited = 0;
            while (channel.isActive() && !channel.isWritable()) {
                if (waited >= STALLED_CLIENT_MILLIS) {
                    // a client that stopped reading would hold its buffers and this stream forever
                    channel.close();
                    return;
                }
                Thread.sleep(5);
                waited += 5;
            }
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
