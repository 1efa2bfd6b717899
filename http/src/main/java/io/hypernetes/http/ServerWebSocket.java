package io.hypernetes.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The server end of a WebSocket after the upgrade: the last handler of the connection's pipeline, below the
 * frame codec and {@code WebSocketFrameAggregator}. Whole messages queue up for {@link #receive}; the connection
 * stops reading while more than {@link #HIGH_WATER} wait, so a slow consumer slows the peer down (TCP) instead of
 * growing the heap. Pings are answered here, on the event loop.
 */
final class ServerWebSocket extends ChannelInboundHandlerAdapter implements WebSocket {
    private static final int HIGH_WATER = 32;
    private static final Message END = new Message(false, new byte[0]);

    private final Channel channel;
    private final String subprotocol;
    private final BlockingQueue<Message> inbound = new LinkedBlockingQueue<>();
    private final AtomicBoolean closeSent = new AtomicBoolean();

    ServerWebSocket(Channel channel, String subprotocol) {
        this.channel = channel;
        this.subprotocol = subprotocol;
    }

    @Override
    public String subprotocol() {
        return subprotocol;
    }

    @Override
    public Message receive() throws InterruptedException {
        Message m = inbound.take();
        if (m == END) {
            inbound.add(END);
            return null;
        }
        if (inbound.size() < HIGH_WATER / 2 && !channel.config().isAutoRead()) {
            channel.eventLoop().execute(() -> {
                channel.config().setAutoRead(true);
                channel.read();
            });
        }
        return m;
    }

    @Override
    public void send(byte[] data) throws InterruptedException {
        if (!channel.isActive()) return;
        channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(data)));
        Writability.await(channel);
    }

    @Override
    public void close(int code, String reason) {
        if (closeSent.compareAndSet(false, true) && channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            switch (frame) {
                case BinaryWebSocketFrame b -> offer(ctx, new Message(false, ByteBufUtil.getBytes(b.content())));
                case TextWebSocketFrame t -> offer(ctx, new Message(true, ByteBufUtil.getBytes(t.content())));
                case PingWebSocketFrame p -> ctx.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
                case CloseWebSocketFrame c -> {
                    // the peer's close: answer it (once) and end the connection
                    if (closeSent.compareAndSet(false, true)) {
                        ctx.writeAndFlush(new CloseWebSocketFrame(c.statusCode() < 0 ? NORMAL : c.statusCode(), ""))
                                .addListener(ChannelFutureListener.CLOSE);
                    } else {
                        ctx.close();
                    }
                    inbound.add(END);
                }
                default -> { } // pongs
            }
        } finally {
            frame.release();
        }
    }

    private void offer(ChannelHandlerContext ctx, Message m) {
        inbound.add(m);
        if (inbound.size() >= HIGH_WATER) ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inbound.add(END);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a protocol violation (unmasked frame, oversized message) or a reset: the connection is over
        inbound.add(END);
        ctx.close();
    }
}
