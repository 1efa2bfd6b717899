package io.hypernetes.runtime;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.util.concurrent.TimeUnit;

/** A channel that owns its event loop and shuts it down with itself. */
final class OwningChannel extends ManagedChannel {
    private final ManagedChannel channel;
    private final EventLoopGroup loop;

    OwningChannel(ManagedChannel channel, EventLoopGroup loop) {
        this.channel = channel;
        this.loop = loop;
    }

    @Override
    public ManagedChannel shutdown() {
        channel.shutdown();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return this;
    }

    @Override
    public ManagedChannel shutdownNow() {
        channel.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        return this;
    }

    @Override
    public boolean isShutdown() {
        return channel.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return channel.isTerminated() && loop.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return channel.awaitTermination(timeout, unit) && loop.awaitTermination(timeout, unit);
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return channel.newCall(method, options);
    }

    @Override
    public String authority() {
        return channel.authority();
    }
}
