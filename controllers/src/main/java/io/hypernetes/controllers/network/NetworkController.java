package io.hypernetes.controllers.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.event.EventRecorder;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.TenantCheck;
import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings each Network object to life through a {@link NetworkProvider} (kubestack), and takes it away again.
 *
 * <p>Lifecycle of a Network {@code N}:
 * <ol>
 *   <li>finalizer {@value #FINALIZER} added, so {@code N} cannot go before the provider has let go of it;
 *   <li>{@code status.vni}: the lowest VNI (1..16777215) no other live Network holds ({@link Vnis}), kept for
 *       {@code N}'s whole life, and written before the provider is asked for anything with it;
 *   <li>phase Initializing → {@link NetworkProvider#checkTenant} → {@link NetworkProvider#createNetwork} → Active. A
 *       refusal — {@code spec.providerNetworkID} (the SPI has no provider networks), a tenant the provider refuses, a
 *       {@link NetworkException} other than UNAVAILABLE — is phase Failed with {@code status.message} saying why, until
 *       the spec changes or the controller restarts. UNAVAILABLE is retried with back-off, the phase left as it was and
 *       the message saying what failed;
 *   <li>a changed spec (a subnet added) → {@link NetworkProvider#updateNetwork};
 *   <li>deleted: phase Terminating; no more addresses are handed out ({@link PodAddresses#close}); it waits until no
 *       pod holds an address in {@code N}, then {@link NetworkProvider#deleteNetwork}, then drops the finalizer and
 *       the API server removes {@code N}. Its VNI is free once {@code N} is gone.
 * </ol>
 * Pods' addresses are handed out by {@link PodAddresses}, which this controller runs beside itself.
 *
 * <p>What the provider was asked for is remembered per Network uid and generation in this process only: after a
 * restart every Network is asked for again (every provider call is idempotent), and provider networks no Network
 * object names any more ({@link NetworkProvider#listNetworks}) are deleted. Nothing is decided before the Networks,
 * pods and namespaces have been listed: the VNI table is rebuilt from the Networks' statuses, the address table is
 * the pods' annotations.
 *
 * <p>Event-driven from shared informers of Networks, pods and namespaces; writes go through the API with
 * resourceVersion preconditions. One log line and one Event per change of a Network's state.
 */
public final class NetworkController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkController.class);

    /** Keeps a Network until the provider has deleted it. */
    public static final String FINALIZER = "hypernetes.io/network";
    /** A pod's address in its Network, e.g. {@code 10.0.0.5}: written once, before the kubelet starts the pod. */
    public static final String IP_ANNOTATION = "network.hypernetes.io/ip";
    /** The name of the Network the pod's {@link #IP_ANNOTATION address} is in. */
    public static final String NETWORK_ANNOTATION = "network.hypernetes.io/network";
    /** The source of this controller's Events. */
    public static final String COMPONENT = "network-controller";

    public static final String INITIALIZING = "Initializing";
    public static final String ACTIVE = "Active";
    public static final String FAILED = "Failed";
    public static final String TERMINATING = "Terminating";

    /** Queue key of the look for provider networks no Network names; never a Network's name (not a DNS label). */
    static final String ORPHANS = "*orphans*";

    /**
     * @param networkWorkers how many Networks are reconciled at once (provider calls may take seconds)
     * @param podWorkers     how many pods are given addresses at once
     * @param retryBase      first back-off after a failed attempt (an unavailable provider, a conflict), doubling…
     * @param retryMax       …up to this
     * @param recheck        how often a deleted Network whose pods still hold addresses is looked at again, beyond
     *                       being told of each pod that goes
     */
    public record Config(int networkWorkers, int podWorkers, Duration retryBase, Duration retryMax, Duration recheck) {
        public static final Config DEFAULT = new Config(2, 4, Duration.ofMillis(200), Duration.ofSeconds(60), Duration.ofSeconds(10));
    }

    /** What this process last made of a Network of some generation: the status it should show. */
    private record Outcome(long generation, int vni, String phase, String message) {}

    private final KubeClient client;
    private final NetworkProvider provider;
    private final Config config;
    private final Informer networks;
    private final Informer pods;
    private final Informer namespaces;
    private final PodAddresses addresses;
    private final Vnis vnis = new Vnis();
    private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
    /** Uids of Networks whose finalizer this process removed after deleting them from the provider. */
    private final Set<String> finalized = ConcurrentHashMap.newKeySet();
    private final WorkQueue queue;
    private final EventRecorder events;
    private final List<Informer.Registration> registrations = new ArrayList<>();
    private volatile boolean closed;
    private Thread starter;

    private NetworkController(InformerFactory factory, NetworkProvider provider, Config config) {
        this.client = factory.client();
        this.provider = provider;
        this.config = config;
        this.networks = factory.informer("/api/v1/networks");
        this.pods = factory.informer("/api/v1/pods");
        this.namespaces = factory.informer("/api/v1/namespaces");
        this.queue = new WorkQueue("network", config.retryBase(), config.retryMax());
        this.events = new EventRecorder(client, COMPONENT);
        this.addresses = new PodAddresses(factory, config, queue::add);
    }

    public static NetworkController start(InformerFactory informers, NetworkProvider provider) {
        return start(informers, provider, Config.DEFAULT);
    }

    /**
     * Runs the controller (and pod address management) on the process's shared informers and their client; closing
     * it leaves the informers and the provider open. Returns at once; work starts once the informers have synced.
     */
    public static NetworkController start(InformerFactory informers, NetworkProvider provider, Config config) {
        NetworkController c = new NetworkController(informers, provider, config);
        c.registrations.add(c.networks.addHandler(ResourceEventHandler.of(
                net -> c.queue.add(Meta.name(net)),
                (old, net) -> c.queue.add(Meta.name(net)),
                c::networkDeleted)));
        c.addresses.watch();
        c.starter = Thread.ofVirtual().name("network-controller-start").start(c::begin);
        return c;
    }

    /** Waits for the informers, rebuilds the VNI table, then starts the workers. */
    private void begin() {
        try {
            for (Informer i : List.of(networks, pods, namespaces)) {
                while (!i.awaitSynced(Duration.ofSeconds(1))) if (closed) return;
            }
        } catch (InterruptedException e) {
            return;
        }
        try {
            rebuildThenWork();
        } catch (RuntimeException e) {
            if (closed) return;
            log.error("network controller: could not start: {}", e.toString(), e);
            throw e;
        }
    }

    /** Rebuilds the VNI table from the cached Networks' statuses (oldest first), then starts the workers. */
    private void rebuildThenWork() {
        List<ObjectNode> all = new ArrayList<>(networks.list());
        all.sort(Comparator.comparing((ObjectNode n) -> n.path("metadata").path("creationTimestamp").asText(""))
                .thenComparing(Meta::name));
        for (ObjectNode net : all) {
            int vni = net.path("status").path("vni").asInt(0);
            if (vni != 0 && !vnis.keep(Meta.uid(net), vni)) {
                log.warn("network {}: vni {} is held by an older network or invalid; it gets another", Meta.name(net), vni);
            }
        }
        // one deleted between the list and its keep was released before it was kept: release it now
        for (ObjectNode net : all) {
            if (!networks.get(null, Meta.name(net)).map(n -> Meta.uid(n).equals(Meta.uid(net))).orElse(false)) vnis.release(Meta.uid(net));
        }
        log.info("network controller: {} networks, {} vnis held, provider {}", all.size(), vnis.size(), provider.name());
        queue.add(ORPHANS);
        addresses.run(config.podWorkers());
        queue.run(config.networkWorkers(), this::sync);
    }

    private void networkDeleted(ObjectNode net) {
        vnis.release(Meta.uid(net));
        outcomes.remove(Meta.uid(net));
        // removed by someone else while the provider may still have it: delete it there too
        if (!finalized.remove(Meta.uid(net)) && hasFinalizer(net)) queue.add(Meta.name(net));
    }

    private void sync(String key) throws Exception {
        if (key.equals(ORPHANS)) {
            deleteOrphans();
            return;
        }
        Optional<ObjectNode> cached = networks.get(null, key);
        if (cached.isEmpty()) {
            provider.deleteNetwork(key);
            log.info("network {}: deleted from provider {} (no such Network)", key, provider.name());
            return;
        }
        ObjectNode net = cached.get();
        if (Meta.deleting(net)) {
            terminate(net);
            return;
        }
        if (!hasFinalizer(net)) {
            patchFinalizers(net, true);
            return; // the update brings it back
        }
        String uid = Meta.uid(net);
        long generation = net.path("metadata").path("generation").asLong(0);
        int vni = vnis.claim(uid, net.path("status").path("vni").asInt(0));
        Outcome done = outcomes.get(uid);
        if (done != null && done.generation() == generation && done.vni() == vni) {
            writeStatus(net, done.phase(), vni, done.message()); // someone else changed the status: put it back
            return;
        }
        if (net.path("status").path("vni").asInt(0) != vni) {
            // written before the provider sees it, so a restart never hands this VNI to another Network while the
            // provider has it (the linux provider names devices by VNI)
            net = writeStatus(net, INITIALIZING, vni, "");
        }
        Outcome outcome = bringUp(net, vni, done);
        writeStatus(net, outcome.phase(), vni, outcome.message());
        outcomes.put(uid, outcome);
        log.info("network {}: {} vni {}{}{}", key, outcome.phase(), vni, done == null ? "" : " (spec updated)",
                outcome.message().isEmpty() ? "" : " (" + outcome.message() + ")");
        if (outcome.phase().equals(FAILED)) events.warning(net, "NetworkFailed", outcome.message());
        else events.normal(net, done == null ? "NetworkCreated" : "NetworkUpdated", "vni " + vni + " on provider " + provider.name());
    }

    /**
     * Asks the provider for the Network; answers Active or Failed. An unavailable provider is written into the status
     * (the phase as it was) and thrown, for a retry.
     */
    private Outcome bringUp(ObjectNode net, int vni, Outcome before) throws Exception {
        long generation = net.path("metadata").path("generation").asLong(0);
        JsonNode spec = net.path("spec");
        String providerNetwork = spec.path("providerNetworkID").asText("");
        if (!providerNetwork.isEmpty()) {
            return new Outcome(generation, vni, FAILED, "spec.providerNetworkID: the " + provider.name()
                    + " network provider has no provider networks (" + providerNetwork + "); delete this Network and create one with spec.subnets");
        }
        String tenant = spec.path("tenantID").asText("");
        NetworkSpec wanted = spec(net, vni);
        if (wanted.subnets().isEmpty()) return new Outcome(generation, vni, FAILED, "spec.subnets: the network has no subnet");
        try {
            TenantCheck check = provider.checkTenant(tenant);
            if (!check.ok()) {
                return new Outcome(generation, vni, FAILED, "tenant " + tenant + " may not have networks on the "
                        + provider.name() + " network provider: " + check.reason());
            }
            if (before != null && before.phase().equals(ACTIVE) && before.vni() == vni) provider.updateNetwork(wanted);
            else provider.createNetwork(wanted);
            return new Outcome(generation, vni, ACTIVE, "");
        } catch (NetworkException e) {
            if (e.reason() != NetworkException.Reason.UNAVAILABLE) {
                return new Outcome(generation, vni, FAILED, "the " + provider.name() + " network provider refused it ("
                        + e.reason() + "): " + e.getMessage());
            }
            String phase = net.path("status").path("phase").asText(INITIALIZING);
            if (phase.equals(FAILED)) phase = INITIALIZING;
            writeStatus(net, phase, vni, "the " + provider.name() + " network provider is unavailable, retrying: " + e.getMessage());
            throw e;
        }
    }

    /** The provider's view of a Network: its subnets in name order, each with its gateway (the first address if none). */
    static NetworkSpec spec(JsonNode net, int vni) {
        List<NetworkSpec.Subnet> subnets = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = net.path("spec").path("subnets").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String cidr = e.getValue().path("cidr").asText("");
            String gateway = e.getValue().path("gateway").asText("");
            subnets.add(new NetworkSpec.Subnet(e.getKey(), cidr, gateway.isEmpty() ? firstAddress(cidr) : gateway));
        }
        subnets.sort(Comparator.comparing(NetworkSpec.Subnet::name));
        return new NetworkSpec(Meta.name(net), Meta.uid(net), net.path("spec").path("tenantID").asText(""), vni, subnets);
    }

    /** The first host address of a CIDR (IPv4 or IPv6), "" when it is not one. */
    static String firstAddress(String cidr) {
        int slash = cidr.indexOf('/');
        try {
            byte[] base = InetAddress.ofLiteral(slash < 0 ? cidr : cidr.substring(0, slash)).getAddress();
            byte[] next = new BigInteger(1, base).add(BigInteger.ONE).toByteArray();
            byte[] out = new byte[base.length];
            int n = Math.min(next.length, out.length);
            System.arraycopy(next, next.length - n, out, out.length - n, n);
            return InetAddress.getByAddress(out).getHostAddress();
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return "";
        }
    }

    private void terminate(ObjectNode net) throws Exception {
        if (!hasFinalizer(net)) return; // ours is done; someone else's keeps it
        String name = Meta.name(net);
        int vni = net.path("status").path("vni").asInt(0);
        int holders = addresses.close(net);
        if (holders > 0) {
            String message = "waiting for " + holders + (holders == 1 ? " pod" : " pods") + " to give back their addresses";
            if (!net.path("status").path("phase").asText().equals(TERMINATING)) {
                log.info("network {}: Terminating, {}", name, message);
                events.normal(net, "Terminating", message);
            }
            writeStatus(net, TERMINATING, vni, message);
            queue.addAfter(name, config.recheck());
            return;
        }
        ObjectNode current = writeStatus(net, TERMINATING, vni, "deleting from the " + provider.name() + " network provider");
        try {
            provider.deleteNetwork(name);
        } catch (NetworkException e) {
            writeStatus(current, TERMINATING, vni, "the " + provider.name() + " network provider could not delete it, retrying: " + e.getMessage());
            throw e;
        }
        finalized.add(Meta.uid(net));
        try {
            patchFinalizers(current, false);
        } catch (RuntimeException e) {
            finalized.remove(Meta.uid(net));
            throw e;
        }
        log.info("network {}: deleted from provider {}, finalizer removed", name, provider.name());
        events.normal(net, "NetworkDeleted", "deleted from provider " + provider.name());
    }

    private void deleteOrphans() throws NetworkException {
        int deleted = 0;
        for (String name : provider.listNetworks()) {
            if (networks.get(null, name).isPresent()) continue;
            provider.deleteNetwork(name);
            deleted++;
            log.info("network {}: deleted from provider {} (no such Network)", name, provider.name());
        }
        if (deleted > 0) log.info("network controller: {} provider networks without a Network deleted", deleted);
    }

    static boolean hasFinalizer(JsonNode net) {
        for (JsonNode f : net.path("metadata").path("finalizers")) if (f.asText().equals(FINALIZER)) return true;
        return false;
    }

    /** Adds or removes {@link #FINALIZER}, at the resourceVersion {@code net} was read at. */
    private void patchFinalizers(ObjectNode net, boolean add) {
        ObjectNode patch = Json.object();
        ObjectNode meta = patch.putObject("metadata").put("uid", Meta.uid(net)).put("resourceVersion", Meta.resourceVersion(net));
        ArrayNode finalizers = meta.putArray("finalizers");
        for (JsonNode f : net.path("metadata").path("finalizers")) if (!f.asText().equals(FINALIZER)) finalizers.add(f.asText());
        if (add) finalizers.add(FINALIZER);
        KubeClient.Response r = client.patch("/api/v1/networks/" + Meta.name(net), "application/merge-patch+json", patch);
        if (r.code() == 200 || (!add && r.code() == 404)) return;
        throw failure((add ? "add" : "remove") + " finalizer of network " + Meta.name(net), r);
    }

    /** Writes phase, vni and message when they differ; answers the Network as it now is. */
    private ObjectNode writeStatus(ObjectNode net, String phase, int vni, String message) {
        JsonNode status = net.path("status");
        if (status.path("phase").asText().equals(phase) && status.path("vni").asInt(0) == vni
                && status.path("message").asText("").equals(message)) {
            return net;
        }
        ObjectNode next = net.deepCopy();
        ObjectNode st = status.isObject() ? (ObjectNode) status.deepCopy() : Json.object();
        st.put("phase", phase).put("vni", vni);
        if (message.isEmpty()) st.remove("message");
        else st.put("message", message);
        next.set("status", st);
        KubeClient.Response r = client.put("/api/v1/networks/" + Meta.name(net) + "/status", next);
        if (r.code() != 200) throw failure("write status of network " + Meta.name(net), r);
        return (ObjectNode) r.json();
    }

    private static RuntimeException failure(String what, KubeClient.Response r) {
        if (r.code() == 409 || r.code() == 404) return new WorkQueue.Conflict(what + ": " + r.code());
        return new IllegalStateException(what + ": " + r.code() + " " + r.text());
    }

    /** The pod address management this controller runs, for tests. */
    PodAddresses addresses() {
        return addresses;
    }

    @Override
    public void close() {
        closed = true;
        registrations.forEach(Informer.Registration::close);
        addresses.close();
        queue.close();
        if (starter != null) starter.interrupt();
    }
}
