package io.hypernetes.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.network.NetworkProvider;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells this host's provider who the other hosts of the overlay are ({@link NetworkProvider#setPeers}): every Node's
 * {@code InternalIP} plus configured extra addresses (on a compute node: the network node's, which may run no Node),
 * minus this host's own addresses. Called once the Node cache has filled and again whenever the set changes; a
 * failing call is retried with back-off. Runs on every host that has a provider: the network node and each compute
 * node.
 */
public final class NodePeers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodePeers.class);
    private static final String KEY = "peers";

    /**
     * @param extraPeers   addresses that are peers whether or not a Node lists them (the network node's underlay address)
     * @param ownAddresses this host's addresses, never its own peer
     */
    public record Config(Set<String> extraPeers, Set<String> ownAddresses) {
        public Config {
            extraPeers = Set.copyOf(extraPeers);
            ownAddresses = Set.copyOf(ownAddresses);
        }

        /** The extra peers, and this host's own addresses read from its interfaces. */
        public static Config withHostAddresses(Collection<String> extraPeers) {
            return new Config(Set.copyOf(extraPeers), hostAddresses());
        }
    }

    private final Informer nodes;
    private final NetworkProvider provider;
    private final Config config;
    private final WorkQueue queue = new WorkQueue("node-peers", Duration.ofMillis(200), Duration.ofSeconds(30));
    private final Informer.Registration registration;
    private volatile List<String> applied;
    private volatile Thread starter;

    private NodePeers(InformerFactory informers, NetworkProvider provider, Config config) {
        this.nodes = informers.informer("/api/v1/nodes");
        this.provider = provider;
        this.config = config;
        this.registration = nodes.addHandler(ResourceEventHandler.of(
                n -> queue.add(KEY),
                (old, n) -> {
                    if (!internalIps(old).equals(internalIps(n))) queue.add(KEY);
                },
                n -> queue.add(KEY)));
    }

    public static NodePeers start(InformerFactory informers, NetworkProvider provider, Config config) {
        NodePeers p = new NodePeers(informers, provider, config);
        p.starter = Thread.ofVirtual().name("node-peers-start").start(() -> {
            try {
                while (!p.nodes.awaitSynced(Duration.ofSeconds(10))) log.info("node peers: waiting for the node cache");
                p.queue.add(KEY); // even with no Node at all, the extra peers are due
                p.queue.run(1, k -> p.sync());
            } catch (InterruptedException e) {
                // closed first
            }
        });
        return p;
    }

    /** The peers last given to the provider, empty before the first call succeeded. */
    public List<String> applied() {
        List<String> a = applied;
        return a == null ? List.of() : a;
    }

    private void sync() throws Exception {
        TreeSet<String> peers = new TreeSet<>(config.extraPeers());
        for (ObjectNode node : nodes.list()) peers.addAll(internalIps(node));
        peers.removeAll(config.ownAddresses());
        List<String> next = List.copyOf(peers);
        if (next.equals(applied)) return;
        provider.setPeers(next);
        applied = next;
        log.info("node peers: {}", next);
    }

    static List<String> internalIps(JsonNode node) {
        List<String> ips = new ArrayList<>();
        for (JsonNode a : node.path("status").path("addresses")) {
            if (a.path("type").asText().equals("InternalIP") && !a.path("address").asText("").isEmpty()) ips.add(a.path("address").asText());
        }
        return ips;
    }

    /** Every address of this host's interfaces, textual as a Node lists it. */
    static Set<String> hostAddresses() {
        try {
            return NetworkInterface.networkInterfaces()
                    .flatMap(NetworkInterface::inetAddresses)
                    .map(InetAddress::getHostAddress)
                    .map(a -> a.contains("%") ? a.substring(0, a.indexOf('%')) : a)
                    .collect(Collectors.toUnmodifiableSet());
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        registration.close();
        Thread s = starter;
        if (s != null) s.interrupt();
        queue.close();
    }
}
