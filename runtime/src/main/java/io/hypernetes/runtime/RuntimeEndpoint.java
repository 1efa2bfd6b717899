package io.hypernetes.runtime;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * Where a runtime is served and reached: a unix socket, as CRI runtimes and hyperd are (the node agent and the
 * runtime are separate processes), or an in-process name (Kubemark's hollow nodes, which run hundreds of node
 * agents in one process and still go through the same gRPC interface).
 *
 * <p>Written as a URI: {@code unix:///run/hypernetes/hyperd.sock} or {@code inprocess:hollow-node-1}.
 */
public sealed interface RuntimeEndpoint {

    record Unix(Path socket) implements RuntimeEndpoint {
        @Override
        public String toString() {
            return "unix://" + socket.toAbsolutePath();
        }
    }

    record InProcess(String name) implements RuntimeEndpoint {
        @Override
        public String toString() {
            return "inprocess:" + name;
        }
    }

    static RuntimeEndpoint parse(String uri) {
        if (uri.startsWith("unix://") && uri.length() > "unix://".length()) {
            return new Unix(Path.of(uri.substring("unix://".length())));
        }
        if (uri.startsWith("inprocess:") && uri.length() > "inprocess:".length()) {
            return new InProcess(uri.substring("inprocess:".length()));
        }
        throw new IllegalArgumentException("runtime endpoint \"" + uri
                + "\" is neither unix:///path/to.sock nor inprocess:name");
    }

    /** Serves the given services here. A unix socket is created 0600 (the runtime is root's business), replacing a stale one. */
    default Serving serve(BindableService... services) {
        try {
            return switch (this) {
                case Unix(Path socket) -> {
                    Files.createDirectories(socket.toAbsolutePath().getParent());
                    Files.deleteIfExists(socket);
                    EventLoopGroup loop = new EpollEventLoopGroup(1);
                    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                            .channelType(EpollServerDomainSocketChannel.class)
                            .bossEventLoopGroup(loop)
                            .workerEventLoopGroup(loop)
                            .withChildOption(ChannelOption.SO_KEEPALIVE, null); // gRPC sets it for TCP; a unix socket has none
                    for (BindableService service : services) {
                        builder.addService(service);
                    }
                    Server server = builder.build().start();
                    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
                    yield new Serving(server, loop);
                }
                case InProcess(String name) -> {
                    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
                    for (BindableService service : services) {
                        builder.addService(service);
                    }
                    yield new Serving(builder.build().start(), null);
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the runtime on " + this + ": " + e.getMessage(), e);
        }
    }

    /** A channel to the runtime served here; the caller shuts it down. */
    default ManagedChannel connect() {
        return switch (this) {
            case Unix(Path socket) -> {
                EventLoopGroup loop = new EpollEventLoopGroup(1);
                ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                        .channelType(EpollDomainSocketChannel.class)
                        .eventLoopGroup(loop)
                        .withOption(ChannelOption.SO_KEEPALIVE, null) // gRPC sets it for TCP; a unix socket has none
                        .usePlaintext()
                        .build();
                yield new OwningChannel(channel, loop);
            }
            case InProcess(String name) -> InProcessChannelBuilder.forName(name).directExecutor().build();
        };
    }

    /** A running runtime server; closing it stops serving and frees its socket. */
    final class Serving implements AutoCloseable {
        private final Server server;
        private final EventLoopGroup loop;

        Serving(Server server, EventLoopGroup loop) {
            this.server = server;
            this.loop = loop;
        }

        @Override
        public void close() {
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (loop != null) {
                loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
    }
}
