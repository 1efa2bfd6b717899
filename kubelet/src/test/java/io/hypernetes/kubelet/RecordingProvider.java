package io.hypernetes.kubelet;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.LoadBalancerStatus;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.NetworkStatus;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import io.hypernetes.network.TenantCheck;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * A FAKE kubestack for the node agent's tests: it builds nothing (the linux provider, its bridges and VXLAN are
 * tested in {@code network/}, real VMs on them in hyperd's tests), it records what the agent asks of a compute node
 * ({@code setupPod}, {@code teardownPod}) and answers a port as the linux provider lays it out: bridge
 * {@code hnb<vni>}, the prefix and gateway of the subnet holding the pod's address, MTU 1450, the gateway as the
 * pod's resolver. A test may make it refuse or fail a pod's setup ({@link #failWith}). The network node's calls are
 * none of a node agent's business, so they fail loudly.
 */
final class RecordingProvider implements NetworkProvider {
    /** Every {@code setupPod} asked, in order. */
    final List<PodPortSpec> setups = Collections.synchronizedList(new ArrayList<>());
    /** Every {@code teardownPod} asked (pod uids), in order. */
    final List<String> teardowns = Collections.synchronizedList(new ArrayList<>());
    private final List<String> journal;
    private final Map<String, PodPort> ports = new ConcurrentHashMap<>();
    /** Per pod name: the failures its next setups meet, one each. */
    private final Map<String, ConcurrentLinkedQueue<NetworkException>> failures = new ConcurrentHashMap<>();
    private volatile Function<PodPortSpec, NetworkException> refuse = spec -> null;
    /** Per pod uid: how many of its next teardowns fail. */
    private final Map<String, Integer> teardownFailures = new ConcurrentHashMap<>();

    /** @param journal where {@code setupPod <uid>} and {@code teardownPod <uid>} are also written, in order with others' entries */
    RecordingProvider(List<String> journal) {
        this.journal = journal;
    }

    /** The next setups of pod {@code podName} fail with these, one each; later ones succeed. */
    void failWith(String podName, NetworkException... next) {
        failures.computeIfAbsent(podName, n -> new ConcurrentLinkedQueue<>()).addAll(List.of(next));
    }

    /** Every setup {@code rule} answers an exception for fails with it. */
    void refuse(Function<PodPortSpec, NetworkException> rule) {
        this.refuse = rule;
    }

    /** The next {@code times} teardowns of pod {@code uid} fail as a busy host's would (UNAVAILABLE). */
    void failTeardown(String uid, int times) {
        teardownFailures.put(uid, times);
    }

    /** How many times the teardown of pod {@code uid} was asked. */
    long teardownsOf(String uid) {
        synchronized (teardowns) {
            return teardowns.stream().filter(uid::equals).count();
        }
    }

    List<PodPortSpec> setupsOf(String uid) {
        synchronized (setups) {
            return setups.stream().filter(s -> s.uid().equals(uid)).toList();
        }
    }

    @Override
    public String name() {
        return "recording-fake";
    }

    @Override
    public PodPort setupPod(PodPortSpec spec) throws NetworkException {
        setups.add(spec);
        journal.add("setupPod " + spec.uid());
        ConcurrentLinkedQueue<NetworkException> queued = failures.get(spec.name());
        NetworkException failure = queued == null ? null : queued.poll();
        if (failure == null) failure = refuse.apply(spec);
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
        teardowns.add(podUid);
        journal.add("teardownPod " + podUid);
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

    // ---- the network node's part: not a node agent's ----

    @Override
    public TenantCheck checkTenant(String tenantId) {
        throw new UnsupportedOperationException("a node agent does not check tenants");
    }

    @Override
    public NetworkStatus createNetwork(NetworkSpec spec) {
        throw new UnsupportedOperationException("a node agent does not create networks");
    }

    @Override
    public NetworkStatus updateNetwork(NetworkSpec spec) {
        throw new UnsupportedOperationException("a node agent does not update networks");
    }

    @Override
    public void deleteNetwork(String name) {
        throw new UnsupportedOperationException("a node agent does not delete networks");
    }

    @Override
    public Optional<NetworkStatus> getNetwork(String name) {
        throw new UnsupportedOperationException("a node agent does not read networks from kubestack");
    }

    @Override
    public Collection<String> listNetworks() {
        throw new UnsupportedOperationException("a node agent does not list networks");
    }

    @Override
    public LoadBalancerStatus createLoadBalancer(LoadBalancer lb) {
        throw new UnsupportedOperationException("a node agent has no load balancers");
    }

    @Override
    public LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) {
        throw new UnsupportedOperationException("a node agent has no load balancers");
    }

    @Override
    public void deleteLoadBalancer(String network, String namespace, String name) {
        throw new UnsupportedOperationException("a node agent has no load balancers");
    }
}
