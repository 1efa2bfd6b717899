package io.hypernetes.network;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hypernetes.network.v1.CheckTenantRequest;
import io.hypernetes.network.v1.CheckTenantResponse;
import io.hypernetes.network.v1.Empty;
import io.hypernetes.network.v1.KubestackGrpc;
import io.hypernetes.network.v1.NetworkName;
import io.hypernetes.network.v1.NetworkRequest;
import io.hypernetes.network.v1.Peers;
import io.hypernetes.network.v1.PodUid;
import io.hypernetes.runtime.RuntimeEndpoint;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A {@link NetworkProvider} over a gRPC channel to kubestack: what the Network controller, the kubelet and the service
 * proxy hold, whether kubestack runs in the same process ({@code up}, {@code node}) or behind a unix socket
 * ({@code hypernetes kubestack}). Statuses come back as the {@link NetworkException} of their reason with the server's
 * message; a deadline or a lost connection is UNAVAILABLE, worth a retry.
 */
public final class KubestackClient implements NetworkProvider {
    /** Long enough for a router to be built on a busy host, short enough that a hung kubestack shows. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final Duration deadline;
    private final KubestackGrpc.KubestackBlockingStub stub;
    private volatile String providerName;

    /** Over a channel the caller keeps (and shuts down). */
    public KubestackClient(ManagedChannel channel) {
        this(channel, false, DEFAULT_DEADLINE);
    }

    private KubestackClient(ManagedChannel channel, boolean ownsChannel, Duration deadline) {
        this.channel = channel;
        this.ownsChannel = ownsChannel;
        this.deadline = deadline;
        this.stub = KubestackGrpc.newBlockingStub(channel);
    }

    /** Connects to kubestack served at {@code endpoint}; {@link #close} shuts the channel down. */
    public static KubestackClient connect(RuntimeEndpoint endpoint) {
        return new KubestackClient(endpoint.connect(), true, DEFAULT_DEADLINE);
    }

    /** The same channel, another deadline per call. */
    public KubestackClient withDeadline(Duration deadline) {
        return new KubestackClient(channel, false, deadline);
    }

    /**
     * The remote provider's name (e.g. {@code linux}: the Network controller refuses {@code spec.providerNetworkID}
     * under it), asked once; {@code kubestack} while the server cannot be reached.
     */
    @Override
    public String name() {
        String known = providerName;
        if (known != null) {
            return known;
        }
        try {
            known = call(s -> s.provider(Empty.getDefaultInstance())).getName();
            providerName = known;
            return known;
        } catch (NetworkException e) {
            return "kubestack";
        }
    }

    @Override
    public TenantCheck checkTenant(String tenantId) throws NetworkException {
        CheckTenantResponse response = call(s -> s.checkTenant(CheckTenantRequest.newBuilder().setTenantId(tenantId).build()));
        return new TenantCheck(response.getOk(), response.getReason());
    }

    @Override
    public NetworkStatus createNetwork(NetworkSpec spec) throws NetworkException {
        NetworkRequest request = NetworkRequest.newBuilder().setNetwork(KubestackMessages.toProto(spec)).build();
        return KubestackMessages.networkStatus(call(s -> s.createNetwork(request)));
    }

    @Override
    public NetworkStatus updateNetwork(NetworkSpec spec) throws NetworkException {
        NetworkRequest request = NetworkRequest.newBuilder().setNetwork(KubestackMessages.toProto(spec)).build();
        return KubestackMessages.networkStatus(call(s -> s.updateNetwork(request)));
    }

    @Override
    public void deleteNetwork(String name) throws NetworkException {
        call(s -> s.deleteNetwork(NetworkName.newBuilder().setName(name).build()));
    }

    @Override
    public Optional<NetworkStatus> getNetwork(String name) throws NetworkException {
        try {
            return Optional.of(KubestackMessages.networkStatus(call(s -> s.getNetwork(NetworkName.newBuilder().setName(name).build()))));
        } catch (NetworkException e) {
            if (e.reason() == NetworkException.Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Collection<String> listNetworks() throws NetworkException {
        return List.copyOf(call(s -> s.listNetworks(Empty.getDefaultInstance())).getNamesList());
    }

    @Override
    public PodPort setupPod(PodPortSpec spec) throws NetworkException {
        return KubestackMessages.podPort(call(s -> s.setupPod(KubestackMessages.toProto(spec))));
    }

    @Override
    public void teardownPod(String podUid) throws NetworkException {
        call(s -> s.teardownPod(PodUid.newBuilder().setUid(podUid).build()));
    }

    @Override
    public Optional<PodPort> podStatus(String podUid) throws NetworkException {
        try {
            return Optional.of(KubestackMessages.podPort(call(s -> s.podStatus(PodUid.newBuilder().setUid(podUid).build()))));
        } catch (NetworkException e) {
            if (e.reason() == NetworkException.Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public LoadBalancerStatus createLoadBalancer(LoadBalancer lb) throws NetworkException {
        return new LoadBalancerStatus(call(s -> s.createLoadBalancer(KubestackMessages.toProto(lb))).getIngressIpsList());
    }

    @Override
    public LoadBalancerStatus updateLoadBalancer(LoadBalancer lb) throws NetworkException {
        return new LoadBalancerStatus(call(s -> s.updateLoadBalancer(KubestackMessages.toProto(lb))).getIngressIpsList());
    }

    @Override
    public void deleteLoadBalancer(String network, String namespace, String name) throws NetworkException {
        call(s -> s.deleteLoadBalancer(KubestackMessages.toProto(new LoadBalancerRef(network, namespace, name))));
    }

    @Override
    public Collection<LoadBalancerRef> listLoadBalancers(String network) throws NetworkException {
        return call(s -> s.listLoadBalancers(NetworkName.newBuilder().setName(network).build())).getLoadBalancersList()
                .stream().map(KubestackMessages::loadBalancerRef).toList();
    }

    @Override
    public void setPeers(Collection<String> underlayAddresses) throws NetworkException {
        call(s -> s.setPeers(Peers.newBuilder().addAllUnderlayAddresses(underlayAddresses).build()));
    }

    @Override
    public void close() {
        if (ownsChannel) {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private <T> T call(Function<KubestackGrpc.KubestackBlockingStub, T> rpc) throws NetworkException {
        try {
            return rpc.apply(stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS));
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            String message = status.getDescription() != null ? status.getDescription()
                    : "kubestack: " + status.getCode() + (status.getCause() != null ? ": " + status.getCause().getMessage() : "");
            throw new NetworkException(KubestackMessages.reason(status.getCode()), message, e);
        }
    }
}
