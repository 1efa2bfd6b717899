package io.hypernetes.network.linux;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.LoadBalancerRef;
import io.hypernetes.network.LoadBalancerStatus;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.NetworkStatus;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import io.hypernetes.network.TenantCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kubestack's {@code linux} provider: tenant Networks from Linux bridges, VXLAN, network namespaces and nftables, on
 * the hosts themselves, with no Neutron.
 *
 * <p>Layout (prefix {@code hn}, N = the Network's VNI). Every host with the Network has bridge {@code hnbN} (no
 * address) and VXLAN {@code hnvN} (id N, head-end flooding to the peers of {@link #setPeers}); MTU 1450 throughout.
 * The network node also has the Network's router: namespace {@code hnr-N} with {@code lan0} (a veth whose other end
 * {@code hnlN} is in the bridge; it holds every subnet's gateway and a MAC derived from N, so pods' ARP caches
 * survive a rebuilt router) and {@code wan0} (a veth to the host's {@code hntN}, the /30 at index N of the transit
 * range: host {@code .1}, router {@code .2}). Two tenants may use the same CIDR: their bridges and routers never
 * share anything but the host, whose table {@code inet hypernetes} keeps routers from reaching each other.
 *
 * <p>Everything is checked before the first command runs; a call that fails halfway undoes what it created. One lock
 * serializes calls: commands are quick, and the state file and rulesets are rendered from one consistent state.
 */
public final class LinuxProvider implements NetworkProvider {
    private static final Logger log = LoggerFactory.getLogger(LinuxProvider.class);

    private final LinuxConfig config;
    private final Ipv4.Cidr transitRange;
    private final Shell shell;
    private final Path stateFile;
    private final ReentrantLock lock = new ReentrantLock();
    private ProviderState state;

    /** Reads the state a previous run left; builds nothing until asked. */
    public LinuxProvider(LinuxConfig config) throws NetworkException {
        this.config = config;
        this.transitRange = Ipv4.Cidr.parse(config.transitRange()).orElseThrow();
        this.shell = new Shell(config.hostNamespace(), config.commandTimeout());
        this.stateFile = config.stateDir().resolve("state.json");
        this.state = ProviderState.load(stateFile);
    }

    @Override
    public String name() {
        return "linux";
    }

    /**
     * Accepts any well-formed project id (letters, digits, '-' and '_', at most 64): the linux provider has no
     * projects of its own. That the Keystone project exists is checked by the API server's admission when the
     * Network is created, not here.
     */
    @Override
    public TenantCheck checkTenant(String tenantId) {
        return SpecCheck.wellFormedProjectId(tenantId)
                ? TenantCheck.accepted()
                : TenantCheck.refused("tenant id \"" + tenantId + "\" is not a project id (letters, digits, '-', '_', at most 64)");
    }

    @Override
    public NetworkStatus createNetwork(NetworkSpec spec) throws NetworkException {
        lock.lock();
        try {
            SpecCheck.network(spec, transitRange);
            if (!Rulesets.Transit.fits(transitRange, spec.vni())) {
                throw SpecCheck.invalid("network " + spec.name() + ": vni " + spec.vni() + " has no /30 in the transit range "
                        + transitRange);
            }
            NetworkSpec previous = state.routers().get(spec.name());
            if (previous != null && (previous.vni() != spec.vni() || !previous.uid().equals(spec.uid()))) {
                // the same name, another Network (deleted and created again): the old one's things go first
                deleteLocked(spec.name());
            }
            checkVniFree(spec);
            Undo undo = new Undo();
            try {
                ensureSegment(spec.vni(), undo);
                ensureRouter(spec, undo);
                ProviderState next = state.withRouter(spec);
                applyRouterRules(next, spec);
                applyHostRules(next);
                next.save(stateFile);
                state = next;
            } catch (NetworkException | RuntimeException e) {
                undo.run();
                throw e;
            }
            return statusLocked(spec.name()).orElseThrow();
        } finally {
            lock.unlock();
        }
    }

    /** Same as create: the router's gateways and rules are brought to the spec either way. */
    @Override
    public NetworkStatus updateNetwork(NetworkSpec spec) throws NetworkException {
        return createNetwork(spec);
    }

    @Override
    public void deleteNetwork(String name) throws NetworkException {
        lock.lock();
        try {
            deleteLocked(name);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<NetworkStatus> getNetwork(String name) throws NetworkException {
        lock.lock();
        try {
            return statusLocked(name);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Collection<String> listNetworks() {
        lock.lock();
        try {
            return state.networkNames();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public PodPort setupPod(PodPortSpec spec) throws NetworkException {
        lock.lock();
        try {
            SpecCheck.CheckedSubnet subnet = SpecCheck.pod(spec, transitRange);
            checkVniFree(spec.network());
            ProviderState.PodRecord existing = state.pods().get(spec.uid());
            if (existing != null && !existing.network().name().equals(spec.network().name())) {
                throw SpecCheck.invalid("pod " + spec.namespace() + "/" + spec.name() + " (uid " + spec.uid()
                        + ") already has a port on network " + existing.network().name() + "; tear it down first");
            }
            for (ProviderState.PodRecord other : state.pods().values()) {
                if (!other.port().podUid().equals(spec.uid()) && other.network().name().equals(spec.network().name())
                        && other.port().ip().equals(spec.ip())) {
                    throw SpecCheck.invalid("pod " + spec.namespace() + "/" + spec.name() + ": ip " + spec.ip()
                            + " is already pod " + other.port().podUid() + "'s on network " + spec.network().name());
                }
            }
            PodPort port = new PodPort(spec.uid(), spec.network().name(), config.bridge(spec.network().vni()), spec.ip(),
                    subnet.cidr().prefix(), subnet.gateway().toString(), config.mtu(), List.of(subnet.gateway().toString()));
            Undo undo = new Undo();
            try {
                ensureSegment(spec.network().vni(), undo);
                ProviderState next = state.withPod(new ProviderState.PodRecord(port, spec.network()));
                next.save(stateFile);
                state = next;
            } catch (NetworkException | RuntimeException e) {
                undo.run();
                throw e;
            }
            return port;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void teardownPod(String podUid) throws NetworkException {
        lock.lock();
        try {
            ProviderState.PodRecord pod = state.pods().get(podUid);
            if (pod == null) {
                return;
            }
            String network = pod.network().name();
            ProviderState next = state.withoutPod(podUid);
            if (!next.hasPodsOn(network, uid -> false) && !next.routers().containsKey(network)) {
                removeSegment(pod.network().vni());
            }
            next.save(stateFile);
            state = next;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<PodPort> podStatus(String podUid) {
        lock.lock();
        try {
            return Optional.ofNullable(state.pods().get(podUid)).map(ProviderState.PodRecord::port);
        } finally {
            lock.unlock();
        }
    }

    /** Answers on the external IPs (the linux provider allocates none of its own: they are routed to the router). */
    @Override
    public LoadBalancerStatus createLoadBalancer(LoadBalancer lb) throws NetworkException {
        lock.lock();
        try {
            SpecCheck.loadBalancer(lb);
            NetworkSpec network = state.routers().get(lb.network());
            if (network == null) {
                throw new NetworkException(NetworkException.Reason.NOT_FOUND, "network " + lb.network()
                        + " has no router on this host: load balancer " + lb.namespace() + "/" + lb.name() + " has nowhere to live");
            }
            String key = ProviderState.lbKey(lb.network(), lb.namespace(), lb.name());
            checkNodePortsFree(lb, key);
            ProviderState next = state.withLoadBalancer(lb);
            replaceRules(network, next, externalIps(state.loadBalancers().get(key)), Set.copyOf(lb.externalIps()));
            return new LoadBalancerStatus(lb.externalIps());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) throws NetworkException {
        return createLoadBalancer(lb);
    }

    @Override
    public void deleteLoadBalancer(String network, String namespace, String name) throws NetworkException {
        lock.lock();
        try {
            String key = ProviderState.lbKey(network, namespace, name);
            LoadBalancer lb = state.loadBalancers().get(key);
            if (lb == null) {
                return;
            }
            ProviderState next = state.withoutLoadBalancer(key);
            NetworkSpec spec = state.routers().get(network);
            if (spec == null) {
                next.save(stateFile);
                state = next;
                return;
            }
            replaceRules(spec, next, Set.copyOf(lb.externalIps()), Set.of());
        } finally {
            lock.unlock();
        }
    }

    /**
     * From the state, which holds every load balancer this host was asked for and not yet asked to delete (so also
     * after a restart). NOT_FOUND for a Network routed elsewhere or nowhere, as {@link #createLoadBalancer} answers.
     */
    @Override
    public Collection<LoadBalancerRef> listLoadBalancers(String network) throws NetworkException {
        lock.lock();
        try {
            List<LoadBalancer> held = state.loadBalancersOf(network);
            if (held.isEmpty() && !state.routers().containsKey(network)) {
                throw new NetworkException(NetworkException.Reason.NOT_FOUND, "network " + network
                        + " has no router on this host: it holds no load balancers here");
            }
            return held.stream().map(LoadBalancer::ref).toList();
        } finally {
            lock.unlock();
        }
    }

    /** Replaces the flood list of every VXLAN on this host (this host's own address is left out). */
    @Override
    public void setPeers(Collection<String> underlayAddresses) throws NetworkException {
        lock.lock();
        try {
            List<String> peers = new ArrayList<>();
            for (String address : new LinkedHashSet<>(underlayAddresses)) {
                if (Ipv4.parse(address).isEmpty()) {
                    throw SpecCheck.invalid("peer \"" + address + "\" is not an IPv4 address");
                }
                if (!config.underlayLocal().map(address::equals).orElse(false)) {
                    peers.add(address);
                }
            }
            ProviderState next = state.withPeers(peers.stream().sorted().toList());
            Set<Integer> vnis = new LinkedHashSet<>();
            next.routers().values().forEach(n -> vnis.add(n.vni()));
            next.pods().values().forEach(p -> vnis.add(p.network().vni()));
            for (int vni : vnis) {
                if (linkExists(config.vxlan(vni))) {
                    syncFloodList(vni, next.peers());
                }
            }
            if (!next.routers().isEmpty()) {
                applyHostRules(next); // the peers are out of the tenants' reach
            }
            next.save(stateFile);
            state = next;
        } finally {
            lock.unlock();
        }
    }

    // --- building

    private void checkVniFree(NetworkSpec spec) throws NetworkException {
        for (String name : state.networkNames()) {
            NetworkSpec other = state.spec(name).orElseThrow();
            if (!name.equals(spec.name()) && other.vni() == spec.vni()) {
                throw SpecCheck.invalid("network " + spec.name() + ": vni " + spec.vni() + " is network " + name
                        + "'s on this host");
            }
        }
    }

    private void checkNodePortsFree(LoadBalancer lb, String key) throws NetworkException {
        for (Map.Entry<String, LoadBalancer> entry : state.loadBalancers().entrySet()) {
            if (entry.getKey().equals(key)) {
                continue;
            }
            for (LoadBalancer.Port theirs : entry.getValue().ports()) {
                for (LoadBalancer.Port ours : lb.ports()) {
                    if (ours.nodePort() > 0 && ours.nodePort() == theirs.nodePort() && ours.protocol().equals(theirs.protocol())) {
                        throw SpecCheck.invalid("load balancer " + lb.namespace() + "/" + lb.name() + ": node port "
                                + ours.nodePort() + "/" + ours.protocol() + " is already " + entry.getKey() + "'s");
                    }
                }
            }
        }
    }

    /** Bridge and VXLAN of the Network on this host. */
    private void ensureSegment(int vni, Undo undo) throws NetworkException {
        String bridge = config.bridge(vni);
        String vxlan = config.vxlan(vni);
        String mtu = Integer.toString(config.mtu());
        if (!linkExists(bridge)) {
            shell.host("ip", "link", "add", bridge, "mtu", mtu, "type", "bridge");
            undo.add(() -> shell.hostTry("ip", "link", "del", bridge));
            // the bridge is a switch, not a host: no IPv6 link-local address of its own on the tenant's segment
            shell.hostTry("sysctl", "-q", "-w", "net.ipv6.conf." + bridge + ".disable_ipv6=1");
        }
        if (!linkExists(vxlan)) {
            List<String> add = new ArrayList<>(List.of("ip", "link", "add", vxlan, "mtu", mtu, "type", "vxlan", "id",
                    Integer.toString(vni), "dstport", Integer.toString(config.vxlanPort()), "learning"));
            config.underlayLocal().ifPresent(local -> add.addAll(List.of("local", local)));
            shell.host(add.toArray(String[]::new));
            undo.add(() -> shell.hostTry("ip", "link", "del", vxlan));
        }
        shell.host("ip", "link", "set", vxlan, "master", bridge, "mtu", mtu, "up");
        shell.host("ip", "link", "set", bridge, "mtu", mtu, "up");
        syncFloodList(vni, state.peers());
    }

    private void removeSegment(int vni) throws NetworkException {
        deleteLink(config.vxlan(vni));
        deleteLink(config.bridge(vni));
    }

    /** One all-zero fdb entry per peer: unknown and broadcast frames go to every peer (head-end replication). */
    private void syncFloodList(int vni, List<String> peers) throws NetworkException {
        String vxlan = config.vxlan(vni);
        Set<String> present = new LinkedHashSet<>();
        for (String line : shell.host("bridge", "fdb", "show", "dev", vxlan).split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 3 && words[0].equals("00:00:00:00:00:00") && words[1].equals("dst")) {
                present.add(words[2]);
            }
        }
        for (String gone : present) {
            if (!peers.contains(gone)) {
                shell.host("bridge", "fdb", "del", "00:00:00:00:00:00", "dev", vxlan, "dst", gone);
            }
        }
        for (String peer : peers) {
            if (!present.contains(peer)) {
                shell.host("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", vxlan, "dst", peer);
            }
        }
    }

    /** The router namespace, its lan0/wan0, addresses and routes, brought to the spec. */
    private void ensureRouter(NetworkSpec spec, Undo undo) throws NetworkException {
        int vni = spec.vni();
        String router = config.router(vni);
        String lanPort = config.lanPort(vni);
        String transitLink = config.transit(vni);
        String mtu = Integer.toString(config.mtu());
        Rulesets.Transit transit = Rulesets.Transit.of(transitRange, vni);
        if (!netnsExists(router)) {
            shell.global("ip", "netns", "add", router);
            undo.add(() -> shell.globalTry("ip", "netns", "del", router));
            shell.in(router, "ip", "link", "set", "lo", "up");
            shell.in(router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        }
        if (!linkExists(lanPort)) {
            shell.host("ip", "link", "add", lanPort, "mtu", mtu, "type", "veth", "peer", "name", "lan0", "netns", router);
            undo.add(() -> shell.hostTry("ip", "link", "del", lanPort));
        }
        shell.host("ip", "link", "set", lanPort, "master", config.bridge(vni), "mtu", mtu, "up");
        shell.in(router, "ip", "link", "set", "lan0", "address", routerMac(vni), "mtu", mtu, "up");
        if (!linkExists(transitLink)) {
            shell.host("ip", "link", "add", transitLink, "type", "veth", "peer", "name", "wan0", "netns", router);
            undo.add(() -> shell.hostTry("ip", "link", "del", transitLink));
        }
        shell.host("ip", "addr", "replace", transit.host() + "/30", "dev", transitLink);
        shell.host("ip", "link", "set", transitLink, "up");
        shell.host("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        shell.in(router, "ip", "addr", "replace", transit.router() + "/30", "dev", "wan0");
        shell.in(router, "ip", "link", "set", "wan0", "up");
        shell.in(router, "ip", "route", "replace", "default", "via", transit.host().toString(), "dev", "wan0");
        syncGateways(router, spec);
    }

    private void syncGateways(String router, NetworkSpec spec) throws NetworkException {
        Set<String> wanted = new LinkedHashSet<>();
        for (NetworkSpec.Subnet subnet : spec.subnets()) {
            wanted.add(subnet.gateway() + "/" + Ipv4.Cidr.parse(subnet.cidr()).orElseThrow().prefix());
        }
        Set<String> present = new LinkedHashSet<>();
        for (String line : shell.in(router, "ip", "-o", "-4", "addr", "show", "dev", "lan0").split("\n")) {
            String[] words = line.trim().split("\\s+");
            for (int i = 0; i + 1 < words.length; i++) {
                if (words[i].equals("inet")) {
                    present.add(words[i + 1]);
                }
            }
        }
        for (String gone : present) {
            if (!wanted.contains(gone)) {
                shell.in(router, "ip", "addr", "del", gone, "dev", "lan0");
            }
        }
        for (String address : wanted) {
            if (!present.contains(address)) {
                shell.in(router, "ip", "addr", "add", address, "dev", "lan0");
            }
        }
    }

    /** A locally administered MAC derived from the VNI: 02:68:6e ("hn") then the VNI's three bytes. */
    static String routerMac(int vni) {
        return String.format(Locale.ROOT, "02:68:6e:%02x:%02x:%02x", vni >> 16 & 255, vni >> 8 & 255, vni & 255);
    }

    private void applyRouterRules(ProviderState next, NetworkSpec spec) throws NetworkException {
        String ruleset = Rulesets.router(spec, Rulesets.Transit.of(transitRange, spec.vni()), next.loadBalancersOf(spec.name()));
        shell.inInput(config.router(spec.vni()), ruleset, "nft", "-f", "-");
    }

    private void applyHostRules(ProviderState next) throws NetworkException {
        if (next.routers().isEmpty()) {
            shell.hostInput(Rulesets.deleteHost(config.hostTable()), "nft", "-f", "-");
            return;
        }
        List<Rulesets.Routed> routed = new ArrayList<>();
        for (NetworkSpec spec : next.routers().values().stream().sorted(java.util.Comparator.comparingInt(NetworkSpec::vni)).toList()) {
            routed.add(new Rulesets.Routed(spec.vni(), config.transit(spec.vni()), Rulesets.Transit.of(transitRange, spec.vni()),
                    next.loadBalancersOf(spec.name())));
        }
        List<String> unreachable = new ArrayList<>(config.internalRanges());
        unreachable.addAll(next.peers());
        shell.hostInput(Rulesets.host(config.hostTable(), config.prefix(), transitRange, routed, unreachable), "nft", "-f", "-");
    }

    /**
     * Moves a Network's load-balancer rules, external-IP routes and the host's node ports to {@code next}; when a step
     * fails, the previous rules are put back so nothing is left half-applied.
     */
    private void replaceRules(NetworkSpec network, ProviderState next, Set<String> oldExternal, Set<String> newExternal)
            throws NetworkException {
        Rulesets.Transit transit = Rulesets.Transit.of(transitRange, network.vni());
        String transitLink = config.transit(network.vni());
        ProviderState before = state;
        try {
            applyRouterRules(next, network);
            applyHostRules(next);
            for (String ip : newExternal) {
                shell.host("ip", "route", "replace", ip + "/32", "via", transit.router().toString(), "dev", transitLink);
            }
            for (String ip : oldExternal) {
                if (!newExternal.contains(ip)) {
                    shell.hostTry("ip", "route", "del", ip + "/32", "via", transit.router().toString(), "dev", transitLink);
                }
            }
            next.save(stateFile);
            state = next;
        } catch (NetworkException | RuntimeException e) {
            try {
                applyRouterRules(before, network);
                applyHostRules(before);
            } catch (NetworkException restore) {
                e.addSuppressed(restore);
            }
            throw e;
        }
    }

    private static Set<String> externalIps(LoadBalancer lb) {
        return lb == null ? Set.of() : Set.copyOf(lb.externalIps());
    }

    private void deleteLocked(String name) throws NetworkException {
        Optional<NetworkSpec> known = state.spec(name);
        if (known.isEmpty()) {
            return;
        }
        int vni = known.get().vni();
        boolean routed = state.routers().containsKey(name);
        ProviderState next = state.withoutNetwork(name);
        if (routed) {
            // the host rules go first, so nothing points at a router that is going away
            applyHostRules(next);
        }
        String router = config.router(vni);
        if (netnsExists(router)) {
            shell.global("ip", "netns", "del", router);
        }
        deleteLink(config.transit(vni)); // with the namespace gone its veths are too; these are for half-built leftovers
        deleteLink(config.lanPort(vni));
        removeSegment(vni);
        next.save(stateFile);
        state = next;
    }

    private void deleteLink(String link) throws NetworkException {
        if (linkExists(link)) {
            Shell.Result result = shell.hostTry("ip", "link", "del", link);
            if (!result.ok() && linkExists(link)) {
                throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "cannot delete " + link + ": "
                        + result.stderr().strip());
            }
        }
    }

    // --- looking

    private Optional<NetworkStatus> statusLocked(String name) throws NetworkException {
        Optional<NetworkSpec> known = state.spec(name);
        if (known.isEmpty()) {
            return Optional.empty();
        }
        int vni = known.get().vni();
        Map<String, String> details = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        details.put("vni", Integer.toString(vni));
        details.put("bridge", config.bridge(vni));
        details.put("vxlan", config.vxlan(vni));
        for (String link : List.of(config.bridge(vni), config.vxlan(vni))) {
            if (!linkExists(link)) {
                missing.add(link);
            }
        }
        String dns = "";
        if (state.routers().containsKey(name)) {
            Rulesets.Transit transit = Rulesets.Transit.of(transitRange, vni);
            details.put("router", config.router(vni));
            details.put("transit", config.transit(vni) + " " + transit.host() + " <-> " + transit.router());
            dns = transit.host() + ":53";
            if (!netnsExists(config.router(vni))) {
                missing.add("router " + config.router(vni));
            }
            if (!linkExists(config.transit(vni))) {
                missing.add(config.transit(vni));
            }
        }
        long pods = state.pods().values().stream().filter(p -> p.network().name().equals(name)).count();
        details.put("pods", Long.toString(pods));
        String message = missing.isEmpty() ? "" : "missing on this host: " + String.join(", ", missing);
        return Optional.of(new NetworkStatus(name, missing.isEmpty(), message, dns, details));
    }

    private boolean linkExists(String link) throws NetworkException {
        return shell.hostTry("ip", "link", "show", "dev", link).ok();
    }

    private static boolean netnsExists(String namespace) {
        return Files.exists(Path.of("/run/netns", namespace));
    }

    /** What a failing call created, undone in reverse order; an undo step that fails is logged, not thrown. */
    private static final class Undo {
        interface Step {
            void run() throws NetworkException;
        }

        private final Deque<Step> steps = new ArrayDeque<>();

        void add(Step step) {
            steps.push(step);
        }

        void run() {
            while (!steps.isEmpty()) {
                try {
                    steps.pop().run();
                } catch (NetworkException | RuntimeException e) {
                    log.warn("undoing a half-built network step failed: {}", e.getMessage());
                }
            }
        }
    }
}
