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
import io.hypernetes.network.LoadBalancerRef;
import io.hypernetes.network.LoadBalancerStatus;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
 * <p><b>After a restart.</b> The proxy remembers what it programmed only in memory, so a Service deleted while no
 * proxy ran ({@code hypernetes up} stopped, Service deleted, {@code up} again) would keep its load balancer — router
 * DNAT, node port, external-IP routes — until its Network goes. So each Active Network is <em>swept</em>: its Network
 * key (a bare name; Service keys are {@code ns/name}) is queued by the Network's add event once the caches have
 * synced, and again whenever the Network becomes Active. A sweep asks {@link NetworkProvider#listLoadBalancers} and
 * marks each load balancer no Service accounts for — no Service of that name, or one whose namespace is on no Active
 * Network, or on another one — as a <em>leftover</em> and queues that Service's key; the Service's own reconcile then
 * deletes it, after checking the cache again, so a sweep never races the Service's create. There is no periodic
 * sweep: while the proxy runs, it deletes what it made itself.
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

    /**
     * What the proxy has done since it started, for metrics and tests.
     *
     * @param leftovers load balancers found by a sweep with no Service accounting for them, and deleted
     */
    public record Stats(long creates, long updates, long deletes, long failures, long statusWrites, long leftovers) {}

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
    /** Load balancers a sweep found without a Service; their Service keys are queued to delete them. */
    private final Set<LoadBalancerRef> leftovers = ConcurrentHashMap.newKeySet();
    private final List<Informer.Registration> registrations = new ArrayList<>();
    private final AtomicLong creates = new AtomicLong();
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong deletes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong statusWrites = new AtomicLong();
    private final AtomicLong leftoversDeleted = new AtomicLong();
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
        if (isActive(net)) queue.add(Meta.name(net)); // sweep it
        for (ObjectNode ns : namespaces.byIndex(BY_NETWORK, Meta.name(net))) namespaceChanged(ns);
        programmed.forEach((k, p) -> {
            if (p.lb().network().equals(Meta.name(net))) queue.add(k);
        });
    }

    /** What the proxy has done since it started. */
    public Stats stats() {
        return new Stats(creates.get(), updates.get(), deletes.get(), failures.get(), statusWrites.get(), leftoversDeleted.get());
    }

    private void sync(String key) throws NetworkException {
        String[] nsName = WorkQueue.split(key);
        if (nsName[0].isEmpty()) {
            sweep(nsName[1]);
            return;
        }
        String ns = nsName[0];
        String name = nsName[1];
        Optional<ObjectNode> svc = services.get(ns, name);
        Optional<LoadBalancer> want = wanted(ns, name, svc);
        Programmed have = programmed.get(key);
        // leftovers first: one may hold the node port the Service's load balancer in its new Network needs
        for (LoadBalancerRef left : List.copyOf(leftovers)) {
            if (!left.namespace().equals(ns) || !left.name().equals(name)) continue;
            boolean wantedThere = want.map(lb -> lb.network().equals(left.network())).orElse(false);
            boolean programmedThere = have != null && have.lb().network().equals(left.network()); // deleted below if need be
            if (!wantedThere && !programmedThere) {
                delete(left);
                leftoversDeleted.incrementAndGet();
                log.info("service {}: leftover load balancer deleted from network {} ({})", key, left.network(),
                        svc.isEmpty() ? "no such service: deleted while no proxy ran"
                                : want.map(lb -> "the service's load balancer is in network " + lb.network())
                                        .orElse("the service needs none: its namespace is on no active network, or it is ExternalName"));
            }
            leftovers.remove(left);
        }
        if (have != null && (want.isEmpty() || !want.get().network().equals(have.lb().network()))) {
            delete(have.lb().ref());
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

    /**
     * Marks the load balancers of Active {@code network} that no Service accounts for as leftovers, and queues their
     * Services' keys: {@link #sync} decides, against the cache as it is then.
     */
    private void sweep(String network) throws NetworkException {
        if (!networks.get(null, network).map(ServiceProxy::isActive).orElse(false)) return;
        Collection<LoadBalancerRef> held;
        try {
            held = provider.listLoadBalancers(network);
        } catch (NetworkException e) {
            if (e.reason() == NetworkException.Reason.NOT_FOUND) { // no router of it (yet): nothing left in it either
                log.debug("network {}: the provider holds no load balancers of it ({})", network, e.getMessage());
                return;
            }
            failures.incrementAndGet();
            throw e;
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            throw e;
        }
        int found = 0;
        for (LoadBalancerRef lb : held) {
            if (!lb.network().equals(network) || lb.namespace().isEmpty() || lb.name().isEmpty()) {
                log.warn("network {}: the provider listed {}, which is no Service's load balancer in it; left alone", network, lb);
                continue;
            }
            boolean accounted = wanted(lb.namespace(), lb.name(), services.get(lb.namespace(), lb.name()))
                    .map(want -> want.network().equals(network)).orElse(false);
            if (accounted) continue;
            leftovers.add(lb);
            queue.add(WorkQueue.key(lb.namespace(), lb.name()));
            found++;
        }
        log.debug("network {}: {} load balancers, {} without a service", network, held.size(), found);
    }

    /** The load balancer the Service {@code ns/name} needs now, in its namespace's Active Network. */
    private Optional<LoadBalancer> wanted(String ns, String name, Optional<ObjectNode> svc) {
        return svc.flatMap(s -> activeNetwork(ns)).flatMap(n -> loadBalancer(n, svc.get(), endpoints.get(ns, name).orElse(null)));
    }

    private void delete(LoadBalancerRef lb) throws NetworkException {
        call(() -> {
            try {
                provider.deleteLoadBalancer(lb.network(), lb.namespace(), lb.name());
            } catch (NetworkException e) {
                if (e.reason() != NetworkException.Reason.NOT_FOUND) throw e; // its Network went with it
            }
            return null;
        });
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
                .filter(n -> networks.get(null, n).map(ServiceProxy::isActive).orElse(false));
    }

    private static boolean isActive(JsonNode network) {
        return network.path("status").path("phase").asText().equals("Active");
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
