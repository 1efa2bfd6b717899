package io.hypernetes.network;

import java.util.Collection;
import java.util.Optional;

/**
 * kubestack's seam: what Hypernetes asks of the thing that builds tenant networks. The original's kubestack spoke
 * this to OpenStack Neutron; {@code linux} builds it from Linux bridges, VXLAN, network namespaces and nftables.
 *
 * <p>Roles. The <em>network node</em> (the control plane's kubestack) holds every Network's router: the Network
 * controller calls {@link #createNetwork}/{@link #deleteNetwork}, the service proxy the load-balancer calls. A
 * <em>compute node</em>'s kubestack only plugs pods in: {@link #setupPod} brings the Network's L2 segment to this node
 * (for linux: its bridge and VXLAN port) and {@link #teardownPod} takes it away with the node's last pod on it. One
 * process may play both roles with one provider.
 *
 * <p>Every call is idempotent: creating what exists brings it to the given spec, deleting what is gone succeeds. Bad
 * input is a {@link NetworkException} of reason {@code INVALID} and changes nothing on the host.
 */
public interface NetworkProvider extends AutoCloseable {

    /** The provider's name, e.g. {@code linux}. */
    String name();

    /** Whether this provider can serve the tenant (Neutron: the project exists and may have networks). */
    TenantCheck checkTenant(String tenantId) throws NetworkException;

    /** Creates the Network's router and segment on the network node, or brings them to {@code spec}. */
    NetworkStatus createNetwork(NetworkSpec spec) throws NetworkException;

    /** Applies a changed spec (new subnets) to an existing Network. */
    NetworkStatus updateNetwork(NetworkSpec spec) throws NetworkException;

    /** Removes the Network's router, segment, load balancers and rules from this host. Idempotent. */
    void deleteNetwork(String name) throws NetworkException;

    /** The Network as this host has it, empty when it has nothing of it. */
    Optional<NetworkStatus> getNetwork(String name) throws NetworkException;

    /** The Networks this host has something of: the names to reconcile against the API after a restart. */
    Collection<String> listNetworks() throws NetworkException;

    /** Plugs a pod into its Network on this node: the segment exists afterwards, and the answer says how to attach. */
    PodPort setupPod(PodPortSpec spec) throws NetworkException;

    /** Unplugs a pod; the node's last pod on a Network takes the Network's segment with it. Idempotent. */
    void teardownPod(String podUid) throws NetworkException;

    /** The pod's port as set up, empty when it has none here. */
    Optional<PodPort> podStatus(String podUid) throws NetworkException;

    /** Creates a Service's load balancer in its Network's router, or brings it to {@code lb}. */
    LoadBalancerStatus createLoadBalancer(LoadBalancer lb) throws NetworkException;

    /** Replaces a load balancer's frontends and backends. */
    LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) throws NetworkException;

    /** Removes a Service's load balancer. Idempotent. */
    void deleteLoadBalancer(String network, String namespace, String name) throws NetworkException;

    /**
     * The load balancers the Network's router holds, whoever made them. A service proxy remembers what it programmed
     * only while it runs: after a restart this is how it finds the load balancers of Services deleted while no proxy
     * ran, to delete them. {@code NOT_FOUND} when this host has no load balancers of the Network to hold (linux: no
     * router of it here).
     */
    Collection<LoadBalancerRef> listLoadBalancers(String network) throws NetworkException;

    /**
     * The other hosts' underlay addresses, for providers that build their own overlay (linux: the VXLAN flood list);
     * the rest ignore it. Replaces the previous set.
     */
    default void setPeers(Collection<String> underlayAddresses) throws NetworkException {
    }

    @Override
    default void close() {
    }
}
