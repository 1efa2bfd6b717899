package io.hypernetes.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyGoAwayFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server end of a SPDY/3.1 connection after an {@code Upgrade: SPDY/3.1} (what kubectl before 1.30 speaks for
 * exec, attach and port-forward, through Go's spdystream): the client opens streams, each named by its headers;
 * the server accepts them, reads what the client sends on each and writes back on the same stream.
 *
 * <p>Framing and header compression (zlib with SPDY's dictionary) are Netty's {@code SpdyFrameCodec}, below this
 * handler; this class turns its frames into blocking per-stream reads for code on a virtual thread, answers pings
 * and answers every stream a client opens at once with a SYN_REPLY, as spdystream waits for one before it writes.
 *
 * <p><b>No flow-control windows.</b> The SPDY/3.1 of Kubernetes is Go's spdystream, which neither sends
 * WINDOW_UPDATE frames nor honours them (nor does the Kubernetes API server's own side of it): Netty's
 * {@code SpdySessionHandler}, which keeps the windows, stalled every stream after its first 64 KiB. Back-pressure
 * is TCP's instead: writes wait while the connection is not writable, and reading pauses while more than
 * {@value #HIGH_WATER_BYTES} bytes wait to be read.
 */
public final class SpdyConnection extends ChannelInboundHandlerAdapter implements AutoCloseable {
    private static final byte[] END = new byte[0];
    /** Bytes waiting to be read across all streams beyond which the connection stops reading from the socket. */
    private static final int HIGH_WATER_BYTES = 1 << 20;

    private final Channel channel;
    private final BlockingQueue<Stream> opened = new LinkedBlockingQueue<>();
    private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
    private final AtomicInteger buffered = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Queued in {@link #opened} when the connection ends, so a waiting {@link #accept} returns at once. */
    private final Stream hungUp = new Stream(0, null);

    SpdyConnection(Channel channel) {
        this.channel = channel;
    }

    /** One stream the client opened: its headers, what it sends, and our side of it. */
    public final class Stream {
        private final int id;
        private final io.netty.handler.codec.spdy.SpdyHeaders headers;
        private final BlockingQueue<byte[]> data = new LinkedBlockingQueue<>();
        private final AtomicBoolean finished = new AtomicBoolean();

        private Stream(int id, io.netty.handler.codec.spdy.SpdyHeaders headers) {
            this.id = id;
            this.headers = headers;
        }

        public int id() {
            return id;
        }

        /** A header of the stream's SYN_STREAM (names are case-insensitive), or null. */
        public String header(String name) {
            return headers.getAsString(name.toLowerCase(java.util.Locale.ROOT));
        }

        /** The next data the client sent on this stream; null once it half-closed it, reset it or hung up. */
        public byte[] read() throws InterruptedException {
            byte[] b = data.take();
            if (b == END) {
                data.add(END);
                return null;
            }
            if (buffered.addAndGet(-b.length) < HIGH_WATER_BYTES / 2 && !channel.config().isAutoRead()) {
                channel.eventLoop().execute(() -> {
                    channel.config().setAutoRead(true);
                    channel.read();
                });
            }
            return b;
        }

        /** Sends data on this stream, waiting while the client reads slower than we write. */
        public void write(byte[] bytes) throws InterruptedException {
            if (finished.get() || !channel.isActive()) return;
            channel.writeAndFlush(new DefaultSpdyDataFrame(id, Unpooled.wrappedBuffer(bytes)));
            Writability.await(channel);
        }

        /** Half-closes our side (an empty DATA frame with FIN): the client reads end-of-stream; idempotent. */
        public void finish() {
            if (!finished.compareAndSet(false, true) || !channel.isActive()) return;
            DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(id);
            fin.setLast(true);
            channel.writeAndFlush(fin);
        }

        private void end() {
            data.add(END);
        }
    }

    /** The next stream the client opens, waiting up to {@code timeout}; null on timeout or once the connection is gone. */
    public Stream accept(Duration timeout) throws InterruptedException {
        Stream s = opened.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (s == hungUp) {
            opened.add(hungUp);
            return null;
        }
        return s;
    }

    /** Runs {@code action} once the connection is gone, whoever closed it. */
    public void onClose(Runnable action) {
        channel.closeFuture().addListener(f -> action.run());
    }

    /** Half-closes every stream still open on our side, says GOAWAY and closes the connection; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (Stream s : streams.values()) s.finish();
        if (channel.isActive()) {
            channel.writeAndFlush(new DefaultSpdyGoAwayFrame(0)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (msg) {
            case SpdySynStreamFrame syn -> {
                Stream s = new Stream(syn.streamId(), syn.headers());
                streams.put(s.id, s);
                // Netty leaves an empty header block out entirely, which Go's framer cannot parse (it reads the
                // header count from the zlib stream): the reply repeats the stream's type so the block is never empty
                DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(s.id);
                String type = syn.headers().getAsString("streamtype");
                reply.headers().set("streamtype", type == null ? "" : type);
                ctx.writeAndFlush(reply);
                if (syn.isLast()) s.end();
                opened.add(s);
            }
            case SpdyDataFrame d -> {
                try {
                    Stream s = streams.get(d.streamId());
                    if (s == null) return;
                    if (d.content().isReadable()) {
                        byte[] b = ByteBufUtil.getBytes(d.content());
                        s.data.add(b);
                        if (buffered.addAndGet(b.length) >= HIGH_WATER_BYTES) ctx.channel().config().setAutoRead(false);
                    }
                    if (d.isLast()) s.end();
                } finally {
                    d.release();
                }
            }
            case io.netty.handler.codec.spdy.SpdyPingFrame ping -> ctx.writeAndFlush(new io.netty.handler.codec.spdy.DefaultSpdyPingFrame(ping.id()));
            case SpdyRstStreamFrame rst -> {
                Stream s = streams.get(rst.streamId());
                if (s != null) s.end();
            }
            default -> io.netty.util.ReferenceCountUtil.release(msg); // settings, window updates, goaway, headers
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        opened.add(hungUp);
        for (Stream s : streams.values()) s.end();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
