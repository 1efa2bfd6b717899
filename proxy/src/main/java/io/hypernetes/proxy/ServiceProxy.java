package io.hypernetes.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.LoadBalancerStatus;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one kubestack load balancer per Service of a tenant Network, as kube-proxy keeps iptables rules per Service:
 * the Hypernetes network node's proxy programs each Network's router through the {@link NetworkProvider}.
 *
 * <p><b>What is programmed.</b> A Service {@code ns/name} gets a load balancer in Network N while namespace
 * {@code ns} has {@code spec.network: N} and N is {@code status.phase: Active}. Its frontends are the cluster IP
 * (none for a headless Service), {@code spec.externalIPs} and, for {@code type: LoadBalancer}, the
 * {@code spec.loadBalancerIP} it asks for; each TCP or UDP port (SCTP is skipped with a warning: the routers do not
 * forward it) with its node port. Backends are the ready addresses of the Service's Endpoints
 * ({@code notReadyAddresses} never), each with the Endpoints port of the same name as the Service port, as kube-proxy
 * matches them — so a named {@code targetPort} reaches each pod on the port that pod resolved. Backends are sorted,
 * so a load balancer is equal to the one programmed before exactly when nothing changed, and only real changes
 * reach the provider.
 *
 * <p><b>When.</b> Shared informers of Services, Endpoints, Namespaces and Networks queue the Service keys a change
 * concerns (a Namespace or Network change queues every Service it holds); workers on virtual threads reconcile
 * them once every informer has synced. Nothing polls: an Endpoints change is programmed as soon as its watch event
 * arrives. {@code createLoadBalancer} the first time, {@code updateLoadBalancer} on a change,
 * {@code deleteLoadBalancer} when the Service goes or leaves the Network (the namespace leaves it, is deleted, or
 * the Network stops being Active); a failing provider call is retried with back-off. For a {@code LoadBalancer}
 * Service the ingress IPs the provider answers are written into {@code status.loadBalancer.ingress} when they
 * differ.
 *
 * <p><b>Restart gap.</b> The proxy remembers what it programmed only in memory, and the SPI cannot list load
 * balancers, so a Service deleted while no proxy ran keeps its load balancer until its Network is deleted.
 */
public final class ServiceProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceProxy.class);
    static final String BY_NAMESPACE = "namespace";
    static final String BY_NETWORK = "spec.network";

    /**
     * @param workers      how many Services are programmed at once
     * @param retryBase    the first retry's delay after a provider failure, doubling after each
     * @param retryMax     the longest delay between retries
     */
    public record Config(int workers, Duration retryBase, Duration retryMax) {
        public static final Config DEFAULT = new Config(2, Duration.ofMillis(200), Duration.ofSeconds(30));

        public Config {
            if (workers < 1) throw new IllegalArgumentException("workers must be at least 1");
        }
    }

    /** What the proxy has done since it started, for metrics and tests. */
    public record Stats(long creates, long updates, long deletes, long failures, long statusWrites) {}

    /** A load balancer as last programmed, with the provider's answer. */
    private record Programmed(LoadBalancer lb, LoadBalancerStatus status) {}

    private final KubeClient client;
    private final NetworkProvider provider;
    private final Informer services;
    private final Informer endpoints;
    private final Informer namespaces;
    private final Informer networks;
    private final WorkQueue queue;
    private final Config config;
    private final Map<String, Programmed> programmed = new ConcurrentHashMap<>();
    private final List<Informer.Registration> registrations = new ArrayList<>();
    private final AtomicLong creates = new AtomicLong();
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong deletes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong statusWrites = new AtomicLong();
    private volatile Thread starter;

    private ServiceProxy(InformerFactory factory, NetworkProvider provider, Config config) {
        this.client = factory.client();
        this.provider = provider;
        this.config = config;
        this.services = index(factory.informer("/api/v1/services"), BY_NAMESPACE, "metadata.namespace");
        this.endpoints = factory.informer("/api/v1/endpoints");
        this.namespaces = index(factory.informer("/api/v1/namespaces"), BY_NETWORK, "spec.network");
        this.networks = factory.informer("/api/v1/networks");
        this.queue = new WorkQueue("service-proxy", config.retryBase(), config.retryMax());
    }

    public static ServiceProxy start(InformerFactory informers, NetworkProvider provider) {
        return start(informers, provider, Config.DEFAULT);
    }

    /**
     * Runs the proxy on the process's shared informers (and their client's credentials, which must allow writing
     * Services' status); closing it leaves the informers and the provider open.
     */
    public static ServiceProxy start(InformerFactory informers, NetworkProvider provider, Config config) {
        ServiceProxy p = new ServiceProxy(informers, provider, config);
        p.registrations.add(p.services.addHandler(ResourceEventHandler.of(
                svc -> p.queue.add(WorkQueue.key(svc)),
                (old, svc) -> p.queue.add(WorkQueue.key(svc)),
                svc -> p.queue.add(WorkQueue.key(svc)))));
        p.registrations.add(p.endpoints.addHandler(ResourceEventHandler.of(
                ep -> p.queue.add(WorkQueue.key(ep)),
                (old, ep) -> {
                    if (!old.path("subsets").equals(ep.path("subsets"))) p.queue.add(WorkQueue.key(ep));
                },
                ep -> p.queue.add(WorkQueue.key(ep)))));
        p.registrations.add(p.namespaces.addHandler(ResourceEventHandler.of(
                ns -> p.namespaceChanged(ns),
                (old, ns) -> {
                    if (!old.path("spec").path("network").equals(ns.path("spec").path("network"))) p.namespaceChanged(ns);
                },
                ns -> p.namespaceChanged(ns))));
        p.registrations.add(p.networks.addHandler(ResourceEventHandler.of(
                net -> p.networkChanged(net),
                (old, net) -> {
                    if (!old.path("status").path("phase").equals(net.path("status").path("phase"))) p.networkChanged(net);
                },
                net -> p.networkChanged(net))));
        // Program nothing from half-filled caches: a Service seen before its Endpoints would lose its backends.
        p.starter = Thread.ofVirtual().name("service-proxy-start").start(() -> {
            try {
                for (Informer i : List.of(p.services, p.endpoints, p.namespaces, p.networks)) {
                    while (!i.awaitSynced(Duration.ofSeconds(10))) log.info("service proxy: waiting for {} to sync", i.path());
                }
                p.queue.run(p.config.workers(), p::sync);
                log.info("service proxy: started ({} workers)", p.config.workers());
            } catch (InterruptedException e) {
                // closed before the caches filled
            }
        });
        return p;
    }

    private static Informer index(Informer informer, String name, String field) {
        synchronized (informer) {
            try {
                informer.addIndex(name, Informer.fieldIndex(field));
            } catch (IllegalArgumentException e) {
                // another component of the process added it (same definition by convention)
            }
        }
        return informer;
    }

    private void namespaceChanged(ObjectNode ns) {
        for (ObjectNode svc : services.byIndex(BY_NAMESPACE, Meta.name(ns))) queue.add(WorkQueue.key(svc));
        // Services already gone from the cache with the namespace still have a load balancer to delete.
        String prefix = Meta.name(ns) + "/";
        for (String k : programmed.keySet()) if (k.startsWith(prefix)) queue.add(k);
    }

    private void networkChanged(ObjectNode net) {
        for (ObjectNode ns : namespaces.byIndex(BY_NETWORK, Meta.name(net))) namespaceChanged(ns);
        programmed.forEach((k, p) -> {
            if (p.lb().network().equals(Meta.name(net))) queue.add(k);
        });
    }

    /** What the proxy has done since it started. */
    public Stats stats() {
        return new Stats(creates.get(), updates.get(), deletes.get(), failures.get(), statusWrites.get());
    }

    private void sync(String key) throws NetworkException {
        String[] nsName = WorkQueue.split(key);
        String ns = nsName[0];
        String name = nsName[1];
        Optional<ObjectNode> svc = services.get(ns, name);
        Optional<String> network = svc.flatMap(s -> activeNetwork(ns));
        Optional<LoadBalancer> want = network.flatMap(n -> loadBalancer(n, svc.get(), endpoints.get(ns, name).orElse(null)));
        Programmed have = programmed.get(key);
        if (have != null && (want.isEmpty() || !want.get().network().equals(have.lb().network()))) {
            call(() -> {
                try {
                    provider.deleteLoadBalancer(have.lb().network(), ns, name);
                } catch (NetworkException e) {
                    if (e.reason() != NetworkException.Reason.NOT_FOUND) throw e; // its Network went with it
                }
                return null;
            });
            deletes.incrementAndGet();
            log.info("service {}: load balancer deleted from network {} ({})", key, have.lb().network(),
                    svc.isEmpty() ? "service deleted" : "namespace not on an active network");
            // forgotten only once its ingress is cleared too: a failed status write retries the whole (idempotent) delete
            if (svc.isPresent() && want.isEmpty()) writeIngress(svc.get(), List.of());
            programmed.remove(key);
        }
        if (want.isEmpty()) return;
        LoadBalancer lb = want.get();
        Programmed now = programmed.get(key);
        LoadBalancerStatus status;
        if (now == null || !now.lb().equals(lb)) warnSkippedPorts(svc.get());
        if (now == null) {
            status = call(() -> provider.createLoadBalancer(lb));
            creates.incrementAndGet();
            log.info("service {}: load balancer created in network {} ({})", key, lb.network(), describe(lb));
        } else if (!now.lb().equals(lb)) {
            status = call(() -> provider.updateLoadBalancer(lb));
            updates.incrementAndGet();
            log.info("service {}: load balancer updated in network {} ({})", key, lb.network(), describe(lb));
        } else {
            status = now.status();
        }
        programmed.put(key, new Programmed(lb, status));
        if ("LoadBalancer".equals(svc.get().path("spec").path("type").asText())) writeIngress(svc.get(), status.ingressIps());
    }

    private interface ProviderCall<T> {
        T call() throws NetworkException;
    }

    private <T> T call(ProviderCall<T> c) throws NetworkException {
        try {
            return c.call();
        } catch (NetworkException | RuntimeException e) {
            failures.incrementAndGet();
            throw e;
        }
    }

    /** The namespace's Network when it has one in phase Active. */
    private Optional<String> activeNetwork(String ns) {
        // A namespace being deleted keeps its load balancers until its Services are gone, as Kubernetes' do.
        return namespaces.get(null, ns)
                .map(n -> n.path("spec").path("network").asText(""))
                .filter(n -> !n.isEmpty())
                .filter(n -> networks.get(null, n).map(net -> net.path("status").path("phase").asText().equals("Active")).orElse(false));
    }

    private static String describe(LoadBalancer lb) {
        StringBuilder b = new StringBuilder("clusterIP ").append(lb.clusterIp().isEmpty() ? "none" : lb.clusterIp());
        if (!lb.externalIps().isEmpty()) b.append(", external ").append(String.join(",", lb.externalIps()));
        for (LoadBalancer.Port p : lb.ports()) {
            b.append(", ").append(p.protocol()).append(' ').append(p.port());
            if (p.nodePort() != 0) b.append(" nodePort ").append(p.nodePort());
            b.append(" → ").append(p.backends().size()).append(" backends");
        }
        return b.toString();
    }

    /**
     * The load balancer a Service needs in {@code network}, given its Endpoints (null when it has none yet); empty
     * for Services that have no load balancer (ExternalName).
     */
    static Optional<LoadBalancer> loadBalancer(String network, JsonNode svc, JsonNode endpoints) {
        JsonNode spec = svc.path("spec");
        String type = spec.path("type").asText("ClusterIP");
        if (type.equals("ExternalName")) return Optional.empty();
        String clusterIp = spec.path("clusterIP").asText("");
        if (clusterIp.equals("None")) clusterIp = "";
        Set<String> external = new LinkedHashSet<>();
        for (JsonNode ip : spec.path("externalIPs")) external.add(ip.asText());
        // The address a LoadBalancer Service asks for; the provider's ingress answer is not fed back, so a provider
        // that answers with an address of its own (the network node's) never gets it routed into the router.
        if (type.equals("LoadBalancer") && !spec.path("loadBalancerIP").asText("").isEmpty()) external.add(spec.path("loadBalancerIP").asText());
        List<LoadBalancer.Port> ports = new ArrayList<>();
        for (JsonNode sp : spec.path("ports")) {
            String protocol = sp.path("protocol").asText("TCP");
            String portName = sp.path("name").asText("");
            if (!forwarded(protocol)) continue; // warned about in sync, once per programming

            ports.add(new LoadBalancer.Port(portName, protocol, sp.path("port").asInt(), sp.path("nodePort").asInt(0),
                    backends(endpoints, portName, protocol)));
        }
        return Optional.of(new LoadBalancer(network, Meta.namespace(svc), Meta.name(svc), clusterIp, List.copyOf(external), ports));
    }

    private static boolean forwarded(String protocol) {
        return protocol.equals("TCP") || protocol.equals("UDP");
    }

    private static void warnSkippedPorts(JsonNode svc) {
        for (JsonNode sp : svc.path("spec").path("ports")) {
            String protocol = sp.path("protocol").asText("TCP");
            if (forwarded(protocol)) continue;
            log.warn("service {}: port {} ({} {}) skipped: tenant routers forward TCP and UDP only", WorkQueue.key(svc),
                    sp.path("name").asText("").isEmpty() ? "(unnamed)" : sp.path("name").asText(), protocol, sp.path("port").asInt());
        }
    }

    /** The ready addresses of every subset that has a port named {@code portName} of {@code protocol}, sorted. */
    static List<LoadBalancer.Backend> backends(JsonNode endpoints, String portName, String protocol) {
        if (endpoints == null) return List.of();
        Set<LoadBalancer.Backend> out = new LinkedHashSet<>();
        for (JsonNode subset : endpoints.path("subsets")) {
            for (JsonNode p : subset.path("ports")) {
                if (!p.path("name").asText("").equals(portName) || !p.path("protocol").asText("TCP").equals(protocol)) continue;
                for (JsonNode a : subset.path("addresses")) {
                    String ip = a.path("ip").asText("");
                    if (!ip.isEmpty()) out.add(new LoadBalancer.Backend(ip, p.path("port").asInt()));
                }
            }
        }
        return out.stream().sorted(Comparator.comparing(LoadBalancer.Backend::ip).thenComparingInt(LoadBalancer.Backend::port)).toList();
    }

    private void writeIngress(ObjectNode svc, List<String> ips) {
        List<String> have = new ArrayList<>();
        for (JsonNode in : svc.path("status").path("loadBalancer").path("ingress")) have.add(in.path("ip").asText(""));
        if (have.equals(ips)) return;
        ObjectNode patch = Json.object();
        ArrayNode ingress = patch.putObject("status").putObject("loadBalancer").putArray("ingress");
        ips.forEach(ip -> ingress.addObject().put("ip", ip));
        String path = "/api/v1/namespaces/" + Meta.namespace(svc) + "/services/" + Meta.name(svc) + "/status";
        KubeClient.Response r = client.patch(path, "application/merge-patch+json", patch);
        if (r.code() == 404) return; // deleted meanwhile: its delete event follows
        if (r.code() != 200) throw new IllegalStateException("patch " + path + ": " + r.code() + " " + r.text());
        statusWrites.incrementAndGet();
        log.info("service {}: status.loadBalancer.ingress {}", WorkQueue.key(svc), ips);
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        Thread s = starter;
        if (s != null) s.interrupt();
        queue.close();
    }
}
