package io.hypernetes.controllers.network;

import static io.hypernetes.controllers.network.NetworkController.IP_ANNOTATION;
import static io.hypernetes.controllers.network.NetworkController.NETWORK_ANNOTATION;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.event.EventRecorder;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.controllers.work.ControllerRefs;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod address management (IPAM) for tenant Networks: every pod in a namespace whose {@code spec.network} names an
 * Active Network gets an address from that Network's subnets, written once into its annotations
 * {@value NetworkController#IP_ANNOTATION} and {@value NetworkController#NETWORK_ANNOTATION} by one merge PATCH of its
 * metadata that carries the pod's uid and resourceVersion as preconditions, so two writers cannot both assign.
 *
 * <p>The pods' annotations are the allocation table: what a Network's addresses are held by is read from the pod
 * informer (indexed by the network annotation), so it survives restarts, and nothing is assigned before the pods,
 * namespaces and Networks have been listed. Between choosing an address and seeing the pod's annotation in the cache,
 * the address is <em>reserved</em> for that pod uid, and a retried write reuses it. An address is free again only when
 * its pod is deleted from the API — a pod that has finished or is being deleted may still be torn down on its node.
 *
 * <p>Which free address: next-fit ({@link AddressPool#next}) after the address this process handed out last in that
 * Network (after a restart: after the newest pod's). A Network with no free address leaves the pod waiting with a
 * Warning event {@code NoFreeAddress}; the pod is retried when an address of that Network is given back or its
 * subnets grow. Pods on the default network (namespace without {@code spec.network}) and {@code hostNetwork} pods are
 * left alone.
 *
 * <p>A Network being deleted is {@linkplain #close(JsonNode) closed} first: from then on none of its addresses is
 * handed out, so the Network controller can wait for {@link #holders} to reach zero before removing it.
 */
final class PodAddresses implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodAddresses.class);
    /** Index of pods by the Network their address is in (pods with both annotations). */
    static final String PODS_BY_NETWORK = "hypernetes.io/address-network";
    /** Index of namespaces by {@code spec.network}. */
    static final String NAMESPACES_BY_NETWORK = "hypernetes.io/spec-network";
    static final String NO_FREE_ADDRESS = "NoFreeAddress";

    /** An address chosen for a pod and not yet seen in its annotations. */
    private record Reservation(String network, String ip, String namespace, String name) {}

    /** What {@link #allocate} decided. */
    sealed interface Allocation {
        record Address(String ip) implements Allocation {}

        /** Every address of the Network is held. */
        record Full() implements Allocation {}

        /** The Network is being deleted. */
        record Closed() implements Allocation {}
    }

    private final KubeClient client;
    private final Informer pods;
    private final Informer namespaces;
    private final Informer networks;
    private final WorkQueue queue;
    private final EventRecorder events;
    private final Consumer<String> released;
    private final List<Informer.Registration> registrations = new ArrayList<>();
    /** Addresses written, and writes refused because the pod changed since it was read (another writer, a stale cache). */
    final AtomicLong assigned = new AtomicLong();
    final AtomicLong conflicts = new AtomicLong();
    // guarded by this
    private final Map<String, Reservation> reservations = new HashMap<>();
    private final Map<String, String> lastHandedOut = new HashMap<>();
    private final Set<String> closed = new HashSet<>();
    private final Map<String, Set<String>> waiting = new HashMap<>();

    /** @param released told the name of a Network one of whose addresses was given back */
    PodAddresses(InformerFactory factory, NetworkController.Config config, Consumer<String> released) {
        this.client = factory.client();
        this.pods = factory.informer("/api/v1/pods");
        this.namespaces = factory.informer("/api/v1/namespaces");
        this.networks = factory.informer("/api/v1/networks");
        ControllerRefs.namespaceIndex(pods);
        index(pods, PODS_BY_NETWORK, pod -> {
            String network = annotation(pod, NETWORK_ANNOTATION);
            return network.isEmpty() || annotation(pod, IP_ANNOTATION).isEmpty() ? List.of() : List.of(network);
        });
        index(namespaces, NAMESPACES_BY_NETWORK, Informer.fieldIndex("spec.network"));
        this.queue = new WorkQueue("pod-addresses", config.retryBase(), config.retryMax());
        this.events = new EventRecorder(client, NetworkController.COMPONENT);
        this.released = released;
    }

    private static void index(Informer informer, String name, java.util.function.Function<ObjectNode, Collection<String>> fn) {
        synchronized (informer) {
            try {
                informer.addIndex(name, fn);
            } catch (IllegalArgumentException e) {
                // another component on the same informers added it (same definition)
            }
        }
    }

    /** Starts watching; addresses are handed out only after {@link #run}. */
    void watch() {
        registrations.add(pods.addHandler(ResourceEventHandler.of(
                pod -> {
                    if (wantsAddress(pod)) queue.add(WorkQueue.key(pod));
                },
                (old, pod) -> {
                    if (wantsAddress(pod)) queue.add(WorkQueue.key(pod));
                },
                this::podDeleted)));
        registrations.add(namespaces.addHandler(ResourceEventHandler.of(
                ns -> {
                    if (!network(ns).isEmpty()) queuePodsOf(Meta.name(ns));
                },
                (old, ns) -> {
                    if (!network(ns).equals(network(old))) queuePodsOf(Meta.name(ns));
                },
                ns -> {})));
        registrations.add(networks.addHandler(ResourceEventHandler.of(
                net -> {
                    if (usable(net)) queuePodsOn(Meta.name(net));
                },
                (old, net) -> {
                    boolean grew = !old.path("spec").path("subnets").equals(net.path("spec").path("subnets"));
                    if (usable(net) && (!usable(old) || grew)) queuePodsOn(Meta.name(net));
                },
                this::networkDeleted)));
    }

    /** Hands out addresses from now on, with {@code workers} pods at a time; the informers must have synced. */
    void run(int workers) {
        queue.run(workers, this::reconcile);
    }

    static String annotation(JsonNode obj, String key) {
        return obj.path("metadata").path("annotations").path(key).asText("");
    }

    private static String network(JsonNode ns) {
        return ns.path("spec").path("network").asText("");
    }

    /** Whether pods may get addresses in this Network now. */
    static boolean usable(JsonNode net) {
        return "Active".equals(net.path("status").path("phase").asText()) && !Meta.deleting(net);
    }

    /** Whether this pod is one to give an address, its namespace and Network aside. */
    static boolean wantsAddress(JsonNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        return annotation(pod, IP_ANNOTATION).isEmpty() && !pod.path("spec").path("hostNetwork").asBoolean(false)
                && !Meta.deleting(pod) && !phase.equals("Succeeded") && !phase.equals("Failed");
    }

    private void queuePodsOf(String namespace) {
        for (ObjectNode pod : pods.byIndex(ControllerRefs.NAMESPACE_INDEX, namespace)) {
            if (wantsAddress(pod)) queue.add(WorkQueue.key(pod));
        }
    }

    private void queuePodsOn(String network) {
        for (ObjectNode ns : namespaces.byIndex(NAMESPACES_BY_NETWORK, network)) queuePodsOf(Meta.name(ns));
    }

    private void podDeleted(ObjectNode pod) {
        String network = annotation(pod, IP_ANNOTATION).isEmpty() ? "" : annotation(pod, NETWORK_ANNOTATION);
        List<String> retry = List.of();
        synchronized (this) {
            Reservation r = reservations.remove(Meta.uid(pod));
            if (network.isEmpty() && r != null) network = r.network();
            for (Set<String> keys : waiting.values()) keys.remove(WorkQueue.key(pod));
            if (!network.isEmpty()) {
                Set<String> keys = waiting.remove(network);
                if (keys != null) retry = List.copyOf(keys);
            }
        }
        if (network.isEmpty()) return;
        log.debug("pod {}: gave back its address in network {}", WorkQueue.key(pod), network);
        retry.forEach(queue::add);
        released.accept(network);
    }

    private synchronized void networkDeleted(ObjectNode net) {
        lastHandedOut.remove(Meta.uid(net));
        closed.remove(Meta.uid(net));
    }

    /** Hands out no more addresses of this Network; returns how many pods hold one (see {@link #holders}). */
    synchronized int close(JsonNode network) {
        closed.add(Meta.uid(network));
        return holders(Meta.name(network));
    }

    /** How many pods hold an address in the Network (written, or chosen and being written). */
    synchronized int holders(String network) {
        int written = pods.byIndex(PODS_BY_NETWORK, network).size();
        int pending = 0;
        for (Iterator<Reservation> it = reservations.values().iterator(); it.hasNext(); ) {
            Reservation r = it.next();
            if (!pending(r, null)) it.remove();
            else if (r.network().equals(network)) pending++;
        }
        return written + pending;
    }

    /** Whether a reservation still stands: its pod (of that uid, when given) exists and has no address yet. */
    private boolean pending(Reservation r, String uid) {
        Optional<ObjectNode> pod = pods.get(r.namespace(), r.name());
        if (pod.isEmpty()) return false;
        if (uid != null && !uid.equals(Meta.uid(pod.get()))) return false;
        return annotation(pod.get(), IP_ANNOTATION).isEmpty() && !Meta.deleting(pod.get());
    }

    /** Chooses the pod's address in the Network (the one reserved for it, if any) and reserves it. */
    synchronized Allocation allocate(JsonNode net, JsonNode pod) {
        String network = Meta.name(net);
        if (closed.contains(Meta.uid(net))) return new Allocation.Closed();
        String uid = Meta.uid(pod);
        Reservation mine = reservations.get(uid);
        if (mine != null && mine.network().equals(network) && pending(mine, uid)) return new Allocation.Address(mine.ip());
        reservations.remove(uid);
        Set<String> held = new HashSet<>();
        List<ObjectNode> holders = pods.byIndex(PODS_BY_NETWORK, network);
        for (ObjectNode p : holders) held.add(annotation(p, IP_ANNOTATION));
        for (Iterator<Map.Entry<String, Reservation>> it = reservations.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Reservation> e = it.next();
            if (!pending(e.getValue(), e.getKey())) it.remove();
            else if (e.getValue().network().equals(network)) held.add(e.getValue().ip());
        }
        String last = lastHandedOut.computeIfAbsent(Meta.uid(net), k -> newest(holders));
        Optional<String> ip = AddressPool.of(net).next(last, held);
        if (ip.isEmpty()) return new Allocation.Full();
        reservations.put(uid, new Reservation(network, ip.get(), Meta.namespace(pod), Meta.name(pod)));
        lastHandedOut.put(Meta.uid(net), ip.get());
        return new Allocation.Address(ip.get());
    }

    /** The address of the newest holder, where a restarted controller goes on handing out; null when none. */
    private static String newest(List<ObjectNode> holders) {
        return holders.stream()
                .max(Comparator.comparing((ObjectNode p) -> p.path("metadata").path("creationTimestamp").asText(""))
                        .thenComparing(p -> AddressPool.parse(annotation(p, IP_ANNOTATION)).orElse(-1L)))
                .map(p -> annotation(p, IP_ANNOTATION))
                .orElse(null);
    }

    /** One pass over one pod: gives it an address if it should have one and can. Package-private for tests. */
    void reconcile(String key) {
        String[] nsName = WorkQueue.split(key);
        Optional<ObjectNode> found = pods.get(nsName[0], nsName[1]);
        if (found.isEmpty()) return;
        ObjectNode pod = found.get();
        if (!wantsAddress(pod)) {
            unwait(key);
            return;
        }
        String network = namespaces.get(null, nsName[0]).map(PodAddresses::network).orElse("");
        if (network.isEmpty()) return; // the default network: the node's bridge gives the address
        Optional<ObjectNode> net = networks.get(null, network);
        if (net.isEmpty() || !usable(net.get())) {
            // queued again when it turns Active; an address chosen before it was deleted is given back
            if (unreserve(Meta.uid(pod))) released.accept(network);
            return;
        }
        switch (allocate(net.get(), pod)) {
            case Allocation.Closed c -> {
                if (unreserve(Meta.uid(pod))) released.accept(network);
            }
            case Allocation.Full f -> {
                boolean first;
                synchronized (this) {
                    first = waiting.computeIfAbsent(network, k -> new HashSet<>()).add(key);
                }
                if (first) {
                    log.info("pod {}: network {} has no free address", key, network);
                    events.warning(pod, NO_FREE_ADDRESS, "network " + network + " has no free address");
                }
            }
            case Allocation.Address a -> assign(pod, key, network, a.ip());
        }
    }

    private void assign(ObjectNode pod, String key, String network, String ip) {
        unwait(key);
        ObjectNode patch = Json.object();
        ObjectNode meta = patch.putObject("metadata").put("uid", Meta.uid(pod)).put("resourceVersion", Meta.resourceVersion(pod));
        meta.putObject("annotations").put(IP_ANNOTATION, ip).put(NETWORK_ANNOTATION, network);
        String path = "/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod);
        KubeClient.Response r = client.patch(path, "application/merge-patch+json", patch);
        switch (r.code()) {
            case 200 -> {
                assigned.incrementAndGet();
                log.info("pod {}: address {} in network {}", key, ip, network);
                events.normal(pod, "AddressAssigned", "address " + ip + " in network " + network);
            }
            case 404 -> unreserve(Meta.uid(pod));
            // the reservation stays: the retry writes the same address, or sees someone else's and drops it
            case 409 -> {
                conflicts.incrementAndGet();
                throw new WorkQueue.Conflict("pod " + key + ": changed since read");
            }
            default -> throw new IllegalStateException("annotate pod " + key + ": " + r.code() + " " + r.text());
        }
    }

    /** Drops the pod's reservation; whether it had one. */
    private synchronized boolean unreserve(String uid) {
        return reservations.remove(uid) != null;
    }

    private synchronized void unwait(String key) {
        for (Set<String> keys : waiting.values()) keys.remove(key);
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        queue.close();
    }
}
