package io.hypernetes.proxy;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.LoadBalancerStatus;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkProvider;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.NetworkStatus;
import io.hypernetes.network.PodPort;
import io.hypernetes.network.PodPortSpec;
import io.hypernetes.network.TenantCheck;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A FAKE NetworkProvider: it programs nothing and records the load-balancer and peer calls it gets, in order, with
 * the time of each. The linux provider is being built alongside the proxy; these tests pin what the proxy asks of any
 * provider. It can be told to fail the next calls and what ingress IPs to answer.
 */
final class RecordingProvider implements NetworkProvider {
    sealed interface Call permits Create, Update, Delete, Peers {
        long nanos();
    }

    record Create(LoadBalancer lb, long nanos) implements Call {}

    record Update(LoadBalancer lb, long nanos) implements Call {}

    record Delete(String network, String namespace, String name, long nanos) implements Call {}

    record Peers(List<String> addresses, long nanos) implements Call {}

    private final List<Call> calls = new ArrayList<>();
    private int failures;
    private final Map<String, List<String>> ingress = new ConcurrentHashMap<>();
    private final Map<String, String> dnsAddresses = new ConcurrentHashMap<>();

    /** The next {@code n} load-balancer or peer calls fail with UNAVAILABLE (and are not recorded). */
    synchronized void failNext(int n) {
        failures = n;
    }

    /** What createLoadBalancer/updateLoadBalancer answer for the Service {@code ns/name}. */
    void ingress(String ns, String name, List<String> ips) {
        ingress.put(ns + "/" + name, ips);
    }

    /** What getNetwork answers as the Network's DNS address. */
    void dnsAddress(String network, String address) {
        dnsAddresses.put(network, address);
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The load-balancer calls about Services of {@code namespace}. */
    synchronized List<Call> calls(String namespace) {
        return calls.stream().filter(c -> switch (c) {
            case Create cr -> cr.lb().namespace().equals(namespace);
            case Update u -> u.lb().namespace().equals(namespace);
            case Delete d -> d.namespace().equals(namespace);
            case Peers p -> false;
        }).toList();
    }

    private synchronized void record(Call c) throws NetworkException {
        if (failures > 0) {
            failures--;
            throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "recording provider told to fail");
        }
        calls.add(c);
    }

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public LoadBalancerStatus createLoadBalancer(LoadBalancer lb) throws NetworkException {
        record(new Create(lb, System.nanoTime()));
        return new LoadBalancerStatus(ingress.getOrDefault(lb.namespace() + "/" + lb.name(), List.of()));
    }

    @Override
    public LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) throws NetworkException {
        record(new Update(lb, System.nanoTime()));
        return new LoadBalancerStatus(ingress.getOrDefault(lb.namespace() + "/" + lb.name(), List.of()));
    }

    @Override
    public void deleteLoadBalancer(String network, String namespace, String name) throws NetworkException {
        record(new Delete(network, namespace, name, System.nanoTime()));
    }

    @Override
    public void setPeers(Collection<String> underlayAddresses) throws NetworkException {
        record(new Peers(List.copyOf(underlayAddresses), System.nanoTime()));
    }

    @Override
    public Optional<NetworkStatus> getNetwork(String name) {
        String dns = dnsAddresses.get(name);
        return dns == null ? Optional.empty() : Optional.of(new NetworkStatus(name, true, "", dns, Map.of()));
    }

    // The proxy never manages networks or pods: these fail loudly if it starts to.

    @Override
    public TenantCheck checkTenant(String tenantId) {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public NetworkStatus createNetwork(NetworkSpec spec) {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public NetworkStatus updateNetwork(NetworkSpec spec) {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public void deleteNetwork(String name) {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public Collection<String> listNetworks() {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public PodPort setupPod(PodPortSpec spec) {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public void teardownPod(String podUid) {
        throw new UnsupportedOperationException("not used by the proxy");
    }

    @Override
    public Optional<PodPort> podStatus(String podUid) {
        throw new UnsupportedOperationException("not used by the proxy");
    }
}
