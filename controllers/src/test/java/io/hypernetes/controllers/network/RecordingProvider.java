package io.hypernetes.controllers.network;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A FAKE network provider for the Network controller's tests: the linux provider is being built at the same time, and
 * these tests are about the controller's side of the seam. It builds nothing; it records each call ({@code create
 * net1 vni=3}, {@code update net1}, {@code delete net1}, {@code checkTenant t}) and keeps the networks it was asked
 * for in memory. Refusals and outages are switched on per tenant ({@link #refusedTenants}) or network name
 * ({@link #unavailable}, {@link #invalid}).
 */
final class RecordingProvider implements NetworkProvider {
    final Map<String, NetworkSpec> networks = new ConcurrentHashMap<>();
    final Set<String> refusedTenants = ConcurrentHashMap.newKeySet();
    /** Network names whose create, update and delete fail with UNAVAILABLE. */
    final Set<String> unavailable = ConcurrentHashMap.newKeySet();
    /** Network names whose create fails with INVALID. */
    final Set<String> invalid = ConcurrentHashMap.newKeySet();
    private final List<String> calls = new ArrayList<>();

    @Override
    public String name() {
        return "recording";
    }

    private void record(String call) {
        synchronized (calls) {
            calls.add(call);
        }
    }

    /** The calls so far that start with {@code prefix}. */
    List<String> calls(String prefix) {
        synchronized (calls) {
            return calls.stream().filter(c -> c.startsWith(prefix)).toList();
        }
    }

    @Override
    public TenantCheck checkTenant(String tenantId) {
        record("checkTenant " + tenantId);
        return refusedTenants.contains(tenantId) ? TenantCheck.refused("project " + tenantId + " does not exist") : TenantCheck.accepted();
    }

    @Override
    public NetworkStatus createNetwork(NetworkSpec spec) throws NetworkException {
        record("create " + spec.name() + " vni=" + spec.vni());
        if (unavailable.contains(spec.name())) throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "ip link: device busy");
        if (invalid.contains(spec.name())) throw new NetworkException(NetworkException.Reason.INVALID, "subnet default: cidr clashes with the transit range");
        networks.put(spec.name(), spec);
        return status(spec);
    }

    @Override
    public NetworkStatus updateNetwork(NetworkSpec spec) throws NetworkException {
        record("update " + spec.name() + " vni=" + spec.vni());
        if (unavailable.contains(spec.name())) throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "ip link: device busy");
        networks.put(spec.name(), spec);
        return status(spec);
    }

    private static NetworkStatus status(NetworkSpec spec) {
        return new NetworkStatus(spec.name(), true, "", "100.64.0.1:53", Map.of("fake", "recording"));
    }

    @Override
    public void deleteNetwork(String name) throws NetworkException {
        record("delete " + name);
        if (unavailable.contains(name)) throw new NetworkException(NetworkException.Reason.UNAVAILABLE, "ip netns: busy");
        networks.remove(name);
    }

    @Override
    public Optional<NetworkStatus> getNetwork(String name) {
        return Optional.ofNullable(networks.get(name)).map(RecordingProvider::status);
    }

    @Override
    public Collection<String> listNetworks() {
        return List.copyOf(networks.keySet());
    }

    @Override
    public PodPort setupPod(PodPortSpec spec) {
        throw new UnsupportedOperationException("the network controller plugs in no pods");
    }

    @Override
    public void teardownPod(String podUid) {
        throw new UnsupportedOperationException("the network controller plugs in no pods");
    }

    @Override
    public Optional<PodPort> podStatus(String podUid) {
        throw new UnsupportedOperationException("the network controller plugs in no pods");
    }

    @Override
    public LoadBalancerStatus createLoadBalancer(LoadBalancer lb) {
        throw new UnsupportedOperationException("load balancers are the service proxy's");
    }

    @Override
    public LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) {
        throw new UnsupportedOperationException("load balancers are the service proxy's");
    }

    @Override
    public void deleteLoadBalancer(String network, String namespace, String name) {
        throw new UnsupportedOperationException("load balancers are the service proxy's");
    }
}
