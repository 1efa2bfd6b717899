package io.hypernetes.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.network.NetworkStatus;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenant DNS server: one listener (UDP and TCP on one {@code ip:port}) per tenant Network, answering the pods of
 * that Network alone from the API's Services and Endpoints ({@link ServiceRecords} says which names and how). The
 * listener a query arrives on is the only thing that says which tenant asks: the provider gives each Network's
 * router its own DNS address ({@link NetworkStatus#dnsAddress}), so a pod reaches only its own Network's listener.
 *
 * <pre>
 *  UDP: datagram ─► size check (≤ 512 B, else dropped) ─► DatagramDnsQueryDecoder ─► Responder ─► DatagramDnsResponseEncoder
 *  TCP: stream  ─► TcpDnsQueryDecoder (frames ≤ 512 B)  ─► Responder ─► TcpDnsResponseEncoder   (idle 10 s: closed)
 * </pre>
 *
 * <p>A packet that does not decode is dropped (a TCP connection sending one is closed); nothing a client sends stops
 * a listener. A UDP answer longer than 512 bytes is sent truncated (TC, question only) so the client asks again over
 * TCP. No recursion: names outside the cluster's zones are REFUSED.
 *
 * <p>Listeners are set by {@link #serve}/{@link #stop} (tests bind 127.0.0.x), or follow the Networks with
 * {@link #followNetworks}: each Active Network is served at the address its provider reports.
 */
public final class TenantDns implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TenantDns.class);
    /** Queries are one question; anything longer is not a query we answer. */
    static final int MAX_QUERY = 512;
    /** The classic UDP payload limit (RFC 1035): longer answers go over TCP. */
    static final int MAX_UDP_ANSWER = 512;
    private static final Duration TCP_IDLE = Duration.ofSeconds(10);

    /** A Network's listener: its UDP and TCP channels on one address. */
    private record Listener(InetSocketAddress address, Channel udp, Channel tcp) {}

    /** What the server has answered since it started. */
    public record Stats(long queries, long answered, long nxdomain, long refused, long truncated, long dropped) {}

    private final Informer networks;
    private final ServiceRecords records;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, Listener> listeners = new TreeMap<>();
    private final List<Informer.Registration> registrations = new ArrayList<>();
    private final AtomicLong queries = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong nxdomain = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile WorkQueue following;

    private TenantDns(InformerFactory informers) {
        Informer services = informers.informer("/api/v1/services");
        Informer endpoints = informers.informer("/api/v1/endpoints");
        Informer namespaces = informers.informer("/api/v1/namespaces");
        this.networks = informers.informer("/api/v1/networks");
        this.records = new ServiceRecords(services, endpoints, namespaces);
    }

    /** A server answering from the process's shared informers, with no listener yet. */
    public static TenantDns start(InformerFactory informers) {
        return new TenantDns(informers);
    }

    /**
     * Serves {@code network}'s pods at {@code at} (UDP and TCP); a Network already served elsewhere moves (its old
     * listener stays when the new address cannot be bound). Port 0 picks a free port, the same for both. Returns the
     * address bound.
     */
    public synchronized InetSocketAddress serve(String network, InetSocketAddress at) throws IOException {
        if (network == null || network.isEmpty()) throw new IllegalArgumentException("network name required");
        Listener have = listeners.get(network);
        if (have != null && (have.address().equals(at) || at.getPort() == 0 && have.address().getAddress().equals(at.getAddress()))) {
            return have.address();
        }
        // the new listener first: when it cannot bind, the old one keeps serving
        Channel udp = bindUdp(network, at);
        InetSocketAddress bound = (InetSocketAddress) udp.localAddress();
        Channel tcp;
        try {
            tcp = bindTcp(network, bound);
        } catch (IOException | RuntimeException e) {
            udp.close().syncUninterruptibly();
            throw e;
        }
        if (have != null) stop(network);
        listeners.put(network, new Listener(bound, udp, tcp));
        log.info("tenant dns: network {} served at {} (udp, tcp)", network, bound);
        return bound;
    }

    /** Stops serving {@code network}; nothing when it is not served. */
    public synchronized void stop(String network) {
        Listener l = listeners.remove(network);
        if (l == null) return;
        l.udp().close().syncUninterruptibly();
        l.tcp().close().syncUninterruptibly();
        log.info("tenant dns: network {} no longer served at {}", network, l.address());
    }

    /** The Networks served and where. */
    public synchronized Map<String, InetSocketAddress> listeners() {
        Map<String, InetSocketAddress> out = new TreeMap<>();
        listeners.forEach((n, l) -> out.put(n, l.address()));
        return out;
    }

    public Stats stats() {
        return new Stats(queries.get(), answered.get(), nxdomain.get(), refused.get(), truncated.get(), dropped.get());
    }

    /**
     * Keeps one listener per Active Network at the address {@code provider} reports for it (its
     * {@code NetworkStatus.dnsAddress}), and none for the others. A Network the provider has no address for yet, or
     * whose address cannot be bound yet (the router's link still coming up), is retried with back-off.
     */
    public synchronized TenantDns followNetworks(NetworkProvider provider) {
        if (following != null) throw new IllegalStateException("already following the Networks");
        WorkQueue queue = new WorkQueue("tenant-dns", Duration.ofMillis(200), Duration.ofSeconds(30));
        following = queue;
        registrations.add(networks.addHandler(ResourceEventHandler.of(
                net -> queue.add(Meta.name(net)),
                (old, net) -> {
                    if (!old.path("status").equals(net.path("status"))) queue.add(Meta.name(net));
                },
                net -> queue.add(Meta.name(net)))));
        queue.run(1, name -> follow(provider, name));
        return this;
    }

    private void follow(NetworkProvider provider, String network) throws Exception {
        boolean active = networks.get(null, network).map(n -> n.path("status").path("phase").asText().equals("Active")).orElse(false);
        if (!active) {
            stop(network);
            return;
        }
        String address = provider.getNetwork(network).map(NetworkStatus::dnsAddress).orElse("");
        if (address.isEmpty()) throw new IllegalStateException("provider " + provider.name() + " has no DNS address for network " + network + " yet");
        serve(network, parse(address));
    }

    /** {@code ip:port} as a socket address (the ip a literal: never looked up). */
    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) throw new IllegalArgumentException("not ip:port: " + address);
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        if (!host.matches("\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F:.]*")) throw new IllegalArgumentException("not an IP literal: " + address);
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port: " + address);
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port out of range: " + address);
        return new InetSocketAddress(host, port);
    }

    private Channel bindUdp(String network, InetSocketAddress at) throws IOException {
        Bootstrap b = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(new ChannelInitializer<NioDatagramChannel>() {
            @Override
            protected void initChannel(NioDatagramChannel ch) {
                ch.pipeline().addLast(new DatagramDnsResponseEncoder(), new UdpSizeLimit(),
                        new DatagramDnsQueryDecoder(), new Responder(network, true));
            }
        });
        return bind(b.bind(at), network, at, "udp");
    }

    private Channel bindTcp(String network, InetSocketAddress at) throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class).childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new TcpDnsResponseEncoder(), new TcpDnsQueryDecoder(DnsRecordDecoder.DEFAULT, MAX_QUERY),
                        new Responder(network, false));
            }
        });
        return bind(b.bind(at), network, at, "tcp");
    }

    private static Channel bind(io.netty.channel.ChannelFuture f, String network, InetSocketAddress at, String proto) throws IOException {
        f.awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("tenant dns: cannot listen on " + proto + " " + at + " for network " + network + ": " + f.cause().getMessage(), f.cause());
        }
        return f.channel();
    }

    /** Drops datagrams too long to be a query before they are decoded. */
    private final class UdpSizeLimit extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p && p.content().readableBytes() > MAX_QUERY) {
                dropped.incrementAndGet();
                log.debug("tenant dns: dropped a {} byte datagram from {}", p.content().readableBytes(), p.sender());
                p.release();
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Answers one Network's queries. */
    private final class Responder extends SimpleChannelInboundHandler<DnsQuery> {
        private final String network;
        private final boolean udp;
        private ScheduledFuture<?> idle;

        Responder(String network, boolean udp) {
            this.network = network;
            this.udp = udp;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (!udp) touch(ctx);
            ctx.fireChannelActive();
        }

        private void touch(ChannelHandlerContext ctx) {
            if (idle != null) idle.cancel(false);
            idle = ctx.executor().schedule(() -> {
                ctx.close();
            }, TCP_IDLE.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DnsQuery query) {
            queries.incrementAndGet();
            if (!udp) touch(ctx);
            DnsResponse response = respond(query, udp ? (DatagramDnsQuery) query : null);
            ctx.writeAndFlush(response);
        }

        private DnsResponse respond(DnsQuery query, DatagramDnsQuery datagram) {
            DnsResponse r = datagram != null
                    ? new DatagramDnsResponse(datagram.recipient(), datagram.sender(), query.id(), query.opCode())
                    : new DefaultDnsResponse(query.id(), query.opCode());
            r.setRecursionDesired(query.isRecursionDesired()).setRecursionAvailable(false);
            int count = query.count(DnsSection.QUESTION);
            DnsQuestion question = count > 0 ? query.recordAt(DnsSection.QUESTION, 0) : null;
            if (question != null) r.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type(), question.dnsClass()));
            if (!query.opCode().equals(DnsOpCode.QUERY)) return r.setCode(DnsResponseCode.NOTIMP);
            if (count != 1) return r.setCode(DnsResponseCode.FORMERR);
            ServiceRecords.Answer a = records.answer(network, question.name(), question.type());
            r.setCode(a.code()).setAuthoritativeAnswer(a.authoritative());
            if (a.code().equals(DnsResponseCode.REFUSED)) refused.incrementAndGet();
            else if (a.code().equals(DnsResponseCode.NXDOMAIN)) nxdomain.incrementAndGet();
            else answered.incrementAndGet();
            a.answers().forEach(rec -> r.addRecord(DnsSection.ANSWER, rec));
            a.authority().forEach(rec -> r.addRecord(DnsSection.AUTHORITY, rec));
            a.additional().forEach(rec -> r.addRecord(DnsSection.ADDITIONAL, rec));
            if (datagram != null && wireSize(r) > MAX_UDP_ANSWER) {
                truncated.incrementAndGet();
                r.clear(DnsSection.ANSWER).clear(DnsSection.AUTHORITY).clear(DnsSection.ADDITIONAL);
                r.setTruncated(true);
            }
            return r;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            dropped.incrementAndGet();
            // One bad packet must not stop the listener: the UDP channel stays, a TCP connection is closed.
            log.debug("tenant dns: network {}: dropped a {} query: {}", network, udp ? "udp" : "tcp", cause.toString());
            if (!udp) ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (idle != null) idle.cancel(false);
            ctx.fireChannelInactive();
        }
    }

    /** The encoded size of {@code r}: Netty writes names uncompressed. */
    static int wireSize(DnsResponse r) {
        int size = 12;
        for (int i = 0; i < r.count(DnsSection.QUESTION); i++) {
            DnsRecord q = r.recordAt(DnsSection.QUESTION, i);
            size += ServiceRecords.nameLength(q.name()) + 4;
        }
        for (DnsSection s : List.of(DnsSection.ANSWER, DnsSection.AUTHORITY, DnsSection.ADDITIONAL)) {
            for (int i = 0; i < r.count(s); i++) {
                DnsRecord rec = r.recordAt(s, i);
                ByteBuf content = rec instanceof DnsRawRecord raw ? raw.content() : null;
                size += ServiceRecords.nameLength(rec.name()) + 10 + (content == null ? 0 : content.readableBytes());
            }
        }
        return size;
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        WorkQueue q = following;
        if (q != null) q.close();
        synchronized (this) {
            for (String n : List.copyOf(listeners.keySet())) stop(n);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
