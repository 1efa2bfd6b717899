package io.hypernetes.network;

import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A FAKE {@link NetworkProvider} for the tests of the components that call one — the Network controller, the node
 * agent, the service proxy, the tenant DNS, the overlay peers. It builds nothing (the linux provider, its bridges,
 * VXLAN and nftables are tested in this module against the real host, real VMs on them in hyperd's tests): those
 * tests are about their component's side of the seam, and pin what it asks of any provider.
 *
 * <p><b>What it records.</b> Every call that would change something, in order, as a {@link Call} with the time it
 * came ({@link #calls()}, {@link #calls(Class)}, {@link #loadBalancerCalls(String)}, {@link #lines(String)}), each
 * also written as one line ({@code setupPod <uid>}, {@code createNetwork net1 vni=3}) to a journal a test may share
 * with other fakes to check the order across them. Reads ({@code getNetwork}, {@code listNetworks},
 * {@code podStatus}, {@code listLoadBalancers}) are answered, not recorded.
 *
 * <p><b>What it answers.</b> As a provider that did what it was asked: the Networks created (and not deleted) are
 * listed and read back ready, with DNS address {@value #DEFAULT_DNS_ADDRESS} unless {@link #dnsAddress} says
 * otherwise (a Network given a DNS address is read back even if it was never created, as on a network node whose
 * routers another process made); a pod's port is laid out as the linux provider lays it out (bridge
 * {@code hnb<vni>}, the prefix and gateway of the subnet holding the pod's address, MTU 1450, the gateway as the
 * pod's resolver); a load balancer's ingress is what {@link #ingress} set, none by default. The load balancers created
 * (or {@link #addExistingLoadBalancer existing}) and not deleted, by themselves or with their Network, are listed by
 * {@code listLoadBalancers} and {@link #loadBalancers()}; a Network it knows nothing of (not created, existing, given
 * a DNS address, nor holding a load balancer) is NOT_FOUND there.
 *
 * <p><b>Failures.</b> {@link #failNext} fails the next calls before they are recorded, as a kubestack that cannot be
 * reached. The others fail calls the provider got, so those are recorded: {@link #refuseTenant},
 * {@link #networkUnavailable}, {@link #invalidNetwork} for the network node's calls, {@link #failSetup},
 * {@link #refuseSetup} and {@link #failTeardown} for a compute node's.
 *
 * <p>{@link #only} makes every call its component has no business making fail loudly.
 */
public final class RecordingProvider implements NetworkProvider {
    /** The DNS address a created Network is read back with unless {@link #dnsAddress} set another. */
    public static final String DEFAULT_DNS_ADDRESS = "100.64.0.1:53";

    /** A call that would change something, with the {@link System#nanoTime()} it came at. */
    public sealed interface Call {
        long nanos();

        /** The call as one line of the journal. */
        default String line() {
            return switch (this) {
                case CheckTenant c -> "checkTenant " + c.tenantId();
                case CreateNetwork c -> "createNetwork " + c.spec().name() + " vni=" + c.spec().vni();
                case UpdateNetwork c -> "updateNetwork " + c.spec().name() + " vni=" + c.spec().vni();
                case DeleteNetwork c -> "deleteNetwork " + c.name();
                case SetupPod c -> "setupPod " + c.spec().uid();
                case TeardownPod c -> "teardownPod " + c.podUid();
                case CreateLoadBalancer c -> "createLoadBalancer " + c.lb().network() + " " + c.lb().namespace() + "/" + c.lb().name();
                case UpdateLoadBalancer c -> "updateLoadBalancer " + c.lb().network() + " " + c.lb().namespace() + "/" + c.lb().name();
                case DeleteLoadBalancer c -> "deleteLoadBalancer " + c.network() + " " + c.namespace() + "/" + c.name();
                case SetPeers c -> "setPeers " + c.addresses();
            };
        }
    }

    public record CheckTenant(String tenantId, long nanos) implements Call {}

    public record CreateNetwork(NetworkSpec spec, long nanos) implements Call {}

    public record UpdateNetwork(NetworkSpec spec, long nanos) implements Call {}

    public record DeleteNetwork(String name, long nanos) implements Call {}

    public record SetupPod(PodPortSpec spec, long nanos) implements Call {}

    public record TeardownPod(String podUid, long nanos) implements Call {}

    public record CreateLoadBalancer(LoadBalancer lb, long nanos) implements Call {}

    public record UpdateLoadBalancer(LoadBalancer lb, long nanos) implements Call {}

    public record DeleteLoadBalancer(String network, String namespace, String name, long nanos) implements Call {}

    public record SetPeers(List<String> addresses, long nanos) implements Call {}

    private static final Set<String> OPERATIONS = Arrays.stream(NetworkProvider.class.getMethods())
            .map(Method::getName).collect(Collectors.toUnmodifiableSet());

    private final List<String> journal;
    private final List<Call> calls = new ArrayList<>();
    private int failNext;
    private volatile String role;
    private volatile Set<String> allowed = OPERATIONS;

    private final Map<String, NetworkSpec> networks = new ConcurrentHashMap<>();
    private final Set<String> refusedTenants = ConcurrentHashMap.newKeySet();
    private final Set<String> unavailableNetworks = ConcurrentHashMap.newKeySet();
    private final Set<String> invalidNetworks = ConcurrentHashMap.newKeySet();
    private final Map<String, String> dnsAddresses = new ConcurrentHashMap<>();

    private final Map<String, PodPort> ports = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedQueue<NetworkException>> setupFailures = new ConcurrentHashMap<>();
    private volatile Function<PodPortSpec, NetworkException> setupRule = spec -> null;
    private final Map<String, Integer> teardownFailures = new ConcurrentHashMap<>();

    private final Map<String, List<String>> ingress = new ConcurrentHashMap<>();
    private final Map<LoadBalancerRef, LoadBalancer> loadBalancers = new ConcurrentHashMap<>();

    /** A provider whose journal only it reads. */
    public RecordingProvider() {
        this(null);
    }

    /** @param journal where each call's {@link Call#line()} is also written, in order with others' entries (synchronized) */
    public RecordingProvider(List<String> journal) {
        this.journal = journal;
    }

    /**
     * Makes every {@link NetworkProvider} call but {@code operations} (method names, e.g. {@code setupPod}) throw
     * {@link UnsupportedOperationException} naming {@code role}: a component calling what is not its business fails
     * its test. {@code name} and {@code close} are always allowed.
     */
    public RecordingProvider only(String role, String... operations) {
        for (String op : operations) {
            if (!OPERATIONS.contains(op)) throw new IllegalArgumentException(op + " is no NetworkProvider call");
        }
        this.role = role;
        this.allowed = Set.of(operations);
        return this;
    }

    // ---- switches ----

    /** The next {@code n} calls that would change something fail with UNAVAILABLE, unrecorded. */
    public synchronized void failNext(int n) {
        failNext = n;
    }

    /** {@code checkTenant(tenantId)} answers refused from now on. */
    public void refuseTenant(String tenantId) {
        refusedTenants.add(tenantId);
    }

    /** While {@code unavailable}, the create, update and delete of Network {@code name} fail with UNAVAILABLE. */
    public void networkUnavailable(String name, boolean unavailable) {
        if (unavailable) unavailableNetworks.add(name);
        else unavailableNetworks.remove(name);
    }

    /** The create of Network {@code name} fails with INVALID from now on. */
    public void invalidNetwork(String name) {
        invalidNetworks.add(name);
    }

    /** A Network this host has from before, as after a restart: listed and read back, no call recorded. */
    public void addExistingNetwork(NetworkSpec spec) {
        networks.put(spec.name(), spec);
    }

    /**
     * A load balancer this host has from before, as after the restart of a service proxy that made it: listed, no
     * call recorded.
     */
    public void addExistingLoadBalancer(LoadBalancer lb) {
        loadBalancers.put(lb.ref(), lb);
    }

    /** What {@code getNetwork(network)} answers as the Network's DNS address. */
    public void dnsAddress(String network, String address) {
        dnsAddresses.put(network, address);
    }

    /** The next setups of pod {@code podName} fail with these, one each; later ones succeed. */
    public void failSetup(String podName, NetworkException... next) {
        setupFailures.computeIfAbsent(podName, n -> new ConcurrentLinkedQueue<>()).addAll(List.of(next));
    }

    /** Every setup {@code rule} answers an exception for fails with it ({@code spec -> null} to stop). */
    public void refuseSetup(Function<PodPortSpec, NetworkException> rule) {
        this.setupRule = rule;
    }

    /** The next {@code times} teardowns of pod {@code uid} fail as a busy host's would (UNAVAILABLE). */
    public void failTeardown(String uid, int times) {
        teardownFailures.put(uid, times);
    }

    /** What createLoadBalancer/updateLoadBalancer answer for the Service {@code namespace/name}. */
    public void ingress(String namespace, String name, List<String> ips) {
        ingress.put(namespace + "/" + name, List.copyOf(ips));
    }

    // ---- what was asked ----

    /** Every call recorded so far, in order. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The calls of one kind, in order. */
    public synchronized <T extends Call> List<T> calls(Class<T> type) {
        return calls.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The load-balancer calls about Services of {@code namespace}, in order. */
    public synchronized List<Call> loadBalancerCalls(String namespace) {
        return calls.stream().filter(c -> switch (c) {
            case CreateLoadBalancer cr -> cr.lb().namespace().equals(namespace);
            case UpdateLoadBalancer u -> u.lb().namespace().equals(namespace);
            case DeleteLoadBalancer d -> d.namespace().equals(namespace);
            default -> false;
        }).toList();
    }

    /** The {@link Call#line() lines} of the calls so far that start with {@code prefix}. */
    public synchronized List<String> lines(String prefix) {
        return calls.stream().map(Call::line).filter(l -> l.startsWith(prefix)).toList();
    }

    /** The Networks this host has now (created or existing, not deleted). */
    public Map<String, NetworkSpec> networks() {
        return Map.copyOf(networks);
    }

    /** The load balancers this host has now (created or existing, not deleted), by what names them. */
    public Map<LoadBalancerRef, LoadBalancer> loadBalancers() {
        return Map.copyOf(loadBalancers);
    }

    /** Every setup of pod {@code uid} asked, in order. */
    public List<PodPortSpec> setupsOf(String uid) {
        return calls(SetupPod.class).stream().map(SetupPod::spec).filter(s -> s.uid().equals(uid)).toList();
    }

    /** How many times the teardown of pod {@code uid} was asked. */
    public long teardownsOf(String uid) {
        return calls(TeardownPod.class).stream().filter(t -> t.podUid().equals(uid)).count();
    }

    private void allow(String operation) {
        if (!allowed.contains(operation)) throw new UnsupportedOperationException(role + " does not call " + operation);
    }

    private void record(String operation, Call call) throws NetworkException {
        allow(operation);
        synchronized (this) {
            if (failNext > 0) {
                failNext--;
                throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "recording provider told to fail");
            }
            calls.add(call);
            if (journal != null) journal.add(call.line());
        }
    }

    // ---- the network node's calls ----

    @Override
    public String name() {
        return "recording-fake";
    }

    @Override
    public TenantCheck checkTenant(String tenantId) throws NetworkException {
        record("checkTenant", new CheckTenant(tenantId, System.nanoTime()));
        return refusedTenants.contains(tenantId)
                ? TenantCheck.refused("project " + tenantId + " does not exist")
                : TenantCheck.accepted();
    }

    @Override
    public NetworkStatus createNetwork(NetworkSpec spec) throws NetworkException {
        record("createNetwork", new CreateNetwork(spec, System.nanoTime()));
        return bringTo(spec, true);
    }

    @Override
    public NetworkStatus updateNetwork(NetworkSpec spec) throws NetworkException {
        record("updateNetwork", new UpdateNetwork(spec, System.nanoTime()));
        return bringTo(spec, false);
    }

    /** A recorded create or update: the switches' failures, else the Network kept as {@code spec}. */
    private NetworkStatus bringTo(NetworkSpec spec, boolean create) throws NetworkException {
        if (unavailableNetworks.contains(spec.name())) {
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "ip link: device busy");
        }
        if (create && invalidNetworks.contains(spec.name())) {
            throw new NetworkException(NetworkException.Reason.INVALID, "subnet default: cidr clashes with the transit range");
        }
        networks.put(spec.name(), spec);
        return status(spec.name());
    }

    @Override
    public void deleteNetwork(String name) throws NetworkException {
        record("deleteNetwork", new DeleteNetwork(name, System.nanoTime()));
        if (unavailableNetworks.contains(name)) throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "ip netns: busy");
        networks.remove(name);
        loadBalancers.keySet().removeIf(ref -> ref.network().equals(name));
    }

    @Override
    public Optional<NetworkStatus> getNetwork(String name) {
        allow("getNetwork");
        return networks.containsKey(name) || dnsAddresses.containsKey(name) ? Optional.of(status(name)) : Optional.empty();
    }

    private NetworkStatus status(String name) {
        return new NetworkStatus(name, true, "", dnsAddresses.getOrDefault(name, DEFAULT_DNS_ADDRESS), Map.of("fake", "recording"));
    }

    @Override
    public Collection<String> listNetworks() {
        allow("listNetworks");
        return List.copyOf(networks.keySet());
    }

    // ---- a compute node's calls ----

    @Override
    public PodPort setupPod(PodPortSpec spec) throws NetworkException {
        record("setupPod", new SetupPod(spec, System.nanoTime()));
        ConcurrentLinkedQueue<NetworkException> queued = setupFailures.get(spec.name());
        NetworkException failure = queued == null ? null : queued.poll();
        if (failure == null) failure = setupRule.apply(spec);
        if (failure != null) throw failure;
        NetworkSpec.Subnet subnet = spec.network().subnets().stream().filter(s -> contains(s.cidr(), spec.ip())).findFirst()
                .orElseThrow(() -> new NetworkException(NetworkException.Reason.INVALID,
                        "address " + spec.ip() + " is in no subnet of network " + spec.network().name()));
        PodPort port = new PodPort(spec.uid(), spec.network().name(), "hnb" + spec.network().vni(), spec.ip(),
                Integer.parseInt(subnet.cidr().substring(subnet.cidr().indexOf('/') + 1)), subnet.gateway(), 1450,
                List.of(subnet.gateway()));
        ports.put(spec.uid(), port);
        return port;
    }

    @Override
    public void teardownPod(String podUid) throws NetworkException {
        record("teardownPod", new TeardownPod(podUid, System.nanoTime()));
        boolean[] fail = {false};
        teardownFailures.computeIfPresent(podUid, (uid, left) -> {
            fail[0] = true;
            return left > 1 ? left - 1 : null;
        });
        if (fail[0]) throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "fake: bridge busy");
        ports.remove(podUid);
    }

    @Override
    public Optional<PodPort> podStatus(String podUid) {
        allow("podStatus");
        return Optional.ofNullable(ports.get(podUid));
    }

    private static boolean contains(String cidr, String ip) {
        try {
            int slash = cidr.indexOf('/');
            byte[] net = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
            byte[] a = InetAddress.getByName(ip).getAddress();
            int prefix = Integer.parseInt(cidr.substring(slash + 1));
            if (net.length != a.length) return false;
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((net[bit / 8] & mask) != (a[bit / 8] & mask)) return false;
            }
            return true;
        } catch (UnknownHostException | RuntimeException e) {
            return false;
        }
    }

    // ---- the service proxy's and the overlay's calls ----

    @Override
    public LoadBalancerStatus createLoadBalancer(LoadBalancer lb) throws NetworkException {
        record("createLoadBalancer", new CreateLoadBalancer(lb, System.nanoTime()));
        loadBalancers.put(lb.ref(), lb);
        return new LoadBalancerStatus(ingress.getOrDefault(lb.namespace() + "/" + lb.name(), List.of()));
    }

    @Override
    public LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) throws NetworkException {
        record("updateLoadBalancer", new UpdateLoadBalancer(lb, System.nanoTime()));
        loadBalancers.put(lb.ref(), lb);
        return new LoadBalancerStatus(ingress.getOrDefault(lb.namespace() + "/" + lb.name(), List.of()));
    }

    @Override
    public void deleteLoadBalancer(String network, String namespace, String name) throws NetworkException {
        record("deleteLoadBalancer", new DeleteLoadBalancer(network, namespace, name, System.nanoTime()));
        loadBalancers.remove(new LoadBalancerRef(network, namespace, name));
    }

    @Override
    public Collection<LoadBalancerRef> listLoadBalancers(String network) throws NetworkException {
        allow("listLoadBalancers");
        List<LoadBalancerRef> held = loadBalancers.keySet().stream().filter(ref -> ref.network().equals(network))
                .sorted(Comparator.comparing(LoadBalancerRef::namespace).thenComparing(LoadBalancerRef::name)).toList();
        if (held.isEmpty() && !networks.containsKey(network) && !dnsAddresses.containsKey(network)) {
            throw new NetworkException(NetworkException.Reason.NOT_FOUND, "fake: network " + network + " is not here");
        }
        return held;
    }

    @Override
    public void setPeers(Collection<String> underlayAddresses) throws NetworkException {
        record("setPeers", new SetPeers(List.copyOf(underlayAddresses), System.nanoTime()));
    }
}
