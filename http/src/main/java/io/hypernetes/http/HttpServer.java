package io.hypernetes.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS front: TLS, HTTP/1.1 framing, a body size limit, authentication, then one virtual thread per
 * request running the {@link Handler}. The event loop never blocks; handlers may (store writes wait for fsync).
 *
 * <pre>
 *  socket → SslHandler → HttpServerCodec → BodyLimit (413) → Dispatcher ──virtual thread──▶ Handler
 *                                                                        ▲ responses: HttpExchange.respond / stream
 *
 *  after a protocol upgrade (101), the HTTP/1.1 handlers are replaced for the rest of the connection:
 *  socket → SslHandler → WebSocket frames → ServerWebSocket ◀──blocking receive/send── Handler
 *  socket → SslHandler → SpdyFrameCodec → SpdySessionHandler → SpdyConnection ◀── Handler
 * </pre>
 *
 * A connection reads its next request only after the current response ends, so pipelined requests are answered
 * in order. Errors are {@link HttpError}s, worded by the service's {@link HttpError.Format}.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    /** Kubernetes' limit on request bodies, which every service here shares. */
    public static final int MAX_BODY = 3 * 1024 * 1024;

    /** Names of the HTTP/1.1 handlers, which a protocol upgrade ({@link HttpExchange#acceptWebSocket}) replaces. */
    static final String HTTP_CODEC = "http", BODY_LIMIT = "body-limit", DISPATCHER = "dispatcher";

    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final Channel channel;
    private final HttpError.Format errors;

    public HttpServer(InetSocketAddress address, SslContext tls, List<Authenticator> authenticators, Handler handler,
            HttpError.Format errors) throws InterruptedException {
        this.errors = errors;
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        ch.pipeline().addLast(HTTP_CODEC, new HttpServerCodec(8192, 64 * 1024, 8192));
                        ch.pipeline().addLast(BODY_LIMIT, new BodyLimit());
                        ch.pipeline().addLast(DISPATCHER, new Dispatcher(authenticators, handler));
                    }
                });
        this.channel = b.bind(address).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        Future<?> a = boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        Future<?> c = workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        requests.shutdownNow();
        a.syncUninterruptibly();
        c.syncUninterruptibly();
    }

    /**
     * How far past {@link #MAX_BODY} an oversized body may run and still be read to its end and dropped, so that the
     * connection can carry the next request: Go's net/http, which Kubernetes serves with, drains at most 256 KiB
     * after a handler for the same reason.
     */
    static final int DRAIN_LIMIT = 256 * 1024;

    /**
     * Aggregates bodies up to {@link #MAX_BODY}; answers larger ones with a 413 without ever holding more than
     * the limit. The connection stays usable when the rest of the body can be read and dropped cheaply: the body
     * declares its length, that length is at most {@link #DRAIN_LIMIT} past the limit, and the client keeps the
     * connection alive; the 413 goes out at once and the remaining bytes are discarded as they arrive, counted
     * against that budget. A chunked body gets the same budget after the point where it overflowed. Anything
     * else (a declared length far beyond the limit, a budget overrun, a client asking to close) closes the
     * connection after the 413, as before.
     */
    private final class BodyLimit extends HttpObjectAggregator {
        /** Bytes of an oversized body still to be dropped before the connection must close; -1 when not draining. */
        private long draining = -1;

        BodyLimit() {
            super(MAX_BODY);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (draining >= 0 && msg instanceof HttpContent content && !(msg instanceof HttpMessage)) {
                // the rest of an answered oversized body: dropped as it arrives, never aggregated
                draining -= content.content().readableBytes();
                boolean last = msg instanceof LastHttpContent;
                content.release();
                if (draining < 0) {
                    ctx.close();
                } else if (last) {
                    draining = -1;
                }
                return;
            }
            // a new request ends any draining: a chunked body may have overflowed on its very last chunk
            if (msg instanceof HttpMessage) draining = -1;
            super.channelRead(ctx, msg);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            long declared = HttpUtil.getContentLength(oversized, -1L);
            boolean chunked = HttpUtil.isTransferEncodingChunked(oversized);
            // a FullHttpMessage here is a chunked body aggregated up to the limit; a bare request had only its length checked
            long budget = oversized instanceof FullHttpMessage || chunked ? DRAIN_LIMIT
                    : declared >= 0 && declared <= (long) MAX_BODY + DRAIN_LIMIT ? declared : -1;
            boolean keep = HttpUtil.isKeepAlive(oversized) && budget >= 0;
            HttpError error = errors.error(413, "Request entity too large: limit is " + MAX_BODY);
            byte[] body = error.body();
            var r = new io.netty.handler.codec.http.DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                    io.netty.handler.codec.http.HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    io.netty.buffer.Unpooled.wrappedBuffer(body));
            r.headers().set("Content-Type", error.contentType());
            HttpUtil.setContentLength(r, body.length);
            if (keep) {
                draining = budget;
                r.headers().set("Connection", "keep-alive");
                ctx.writeAndFlush(r).addListener(io.netty.channel.ChannelFutureListener.CLOSE_ON_FAILURE);
            } else {
                r.headers().set("Connection", "close");
                ctx.writeAndFlush(r).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }
        }
    }

    private final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final List<Authenticator> authenticators;
        private final Handler handler;

        Dispatcher(List<Authenticator> authenticators, Handler handler) {
            this.authenticators = authenticators;
            this.handler = handler;
        }

        /** Requests read while one is being answered (pipelining), started in order; touched only on the event loop. */
        private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
        private boolean busy;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            Channel ch = ctx.channel();
            ch.config().setAutoRead(false);
            byte[] body = ByteBufUtil.getBytes(req.content());
            HttpError undecodable = undecodable(req);
            // after a request that could not be decoded the stream's framing is lost: answer it and close
            boolean keepAlive = undecodable == null && HttpUtil.isKeepAlive(req);
            String method = req.method().name();
            String uri = req.uri();
            var headers = req.headers().copy();
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            SSLSession session = ssl == null ? null : ssl.engine().getSession();
            Runnable next = () -> {
                if (ch.eventLoop().isShuttingDown()) return;
                ch.eventLoop().execute(() -> {
                    Runnable queued = waiting.poll();
                    if (queued != null) {
                        queued.run();
                    } else {
                        busy = false;
                        ch.config().setAutoRead(true);
                        ch.read();
                    }
                });
            };
            Runnable start = undecodable != null
                    ? () -> requests.execute(() -> answer(ch, null, undecodable, method, uri, false, next))
                    : () -> requests.execute(() -> serve(ch, session, method, uri, headers, body, keepAlive, next));
            if (busy) {
                waiting.add(start);
            } else {
                busy = true;
                start.run();
            }
        }

        private void serve(Channel ch, SSLSession session, String method, String uri, HttpHeaders headers, byte[] body,
                boolean keepAlive, Runnable next) {
            HttpExchange ex = null;
            try {
                User user = User.ANONYMOUS;
                HttpError authError = null;
                try {
                    for (Authenticator a : authenticators) {
                        Optional<User> u = a.authenticate(session, headers);
                        if (u.isPresent()) {
                            user = u.get();
                            break;
                        }
                    }
                } catch (HttpError e) {
                    authError = e;
                }
                ex = new HttpExchange(ch, method, uri, headers, body, keepAlive, user, next);
                if (ex.malformedUri() != null) throw errors.error(400, "malformed request URI: " + ex.malformedUri());
                if (authError != null) throw authError;
                handler.handle(ex);
                if (ex.status() == 0) throw new IllegalStateException("the handler did not answer");
            } catch (HttpError e) {
                answer(ch, ex, e, method, uri, keepAlive, next);
            } catch (BadQueryParameter e) {
                answer(ch, ex, errors.error(400, e.getMessage()), method, uri, keepAlive, next);
            } catch (Throwable t) {
                log.error("{} {}: {}", method, uri, t.toString(), t);
                answer(ch, ex, errors.error(500, String.valueOf(t.getMessage())), method, uri, keepAlive, next);
            }
        }

        /**
         * Why Netty could not decode the request, worded by the service: a request line over 8 KiB is 414, headers
         * over 64 KiB 431, anything else malformed 400. Null when it decoded.
         */
        private HttpError undecodable(FullHttpRequest req) {
            if (!req.decoderResult().isFailure()) return null;
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpLineException) return errors.error(414, "the request line is longer than 8192 bytes");
            if (cause instanceof TooLongHttpHeaderException) return errors.error(431, "the request headers are longer than 65536 bytes");
            return errors.error(400, "malformed HTTP request: " + cause.getMessage());
        }

        /** Sends an error unless an answer already started, in which case the connection is all that can be closed. */
        private void answer(Channel ch, HttpExchange ex, HttpError e, String method, String uri, boolean keepAlive, Runnable next) {
            if (ex == null) ex = new HttpExchange(ch, method, "/", new DefaultHttpHeaders(), new byte[0], keepAlive, User.ANONYMOUS, next);
            if (ex.status() == 0) {
                e.headers().forEach(ex::header);
                ex.respond(e.code(), e.contentType(), e.body());
            }
            else ch.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
