package io.hypernetes.network;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.hypernetes.network.v1.CheckTenantRequest;
import io.hypernetes.network.v1.CheckTenantResponse;
import io.hypernetes.network.v1.Empty;
import io.hypernetes.network.v1.KubestackGrpc;
import io.hypernetes.network.v1.LoadBalancerName;
import io.hypernetes.network.v1.LoadBalancerNames;
import io.hypernetes.network.v1.LoadBalancerPort;
import io.hypernetes.network.v1.LoadBalancerRequest;
import io.hypernetes.network.v1.LoadBalancerResponse;
import io.hypernetes.network.v1.Network;
import io.hypernetes.network.v1.NetworkName;
import io.hypernetes.network.v1.NetworkNames;
import io.hypernetes.network.v1.NetworkRequest;
import io.hypernetes.network.v1.NetworkResponse;
import io.hypernetes.network.v1.Peers;
import io.hypernetes.network.v1.PodPortResponse;
import io.hypernetes.network.v1.PodUid;
import io.hypernetes.network.v1.ProviderInfo;
import io.hypernetes.network.v1.SetupPodRequest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kubestack's gRPC face: serves any {@link NetworkProvider} as {@code hypernetes.kubestack.v1.Kubestack}. Requests
 * are checked for shape here (names present, lists bounded) before the provider sees them; the provider checks
 * meaning (CIDRs, addresses). A {@link NetworkException} becomes the status of its reason (INVALID_ARGUMENT,
 * NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE) with its message; anything else is INTERNAL.
 */
public final class KubestackService extends KubestackGrpc.KubestackImplBase {
    private static final Logger log = LoggerFactory.getLogger(KubestackService.class);

    static final int MAX_NAME = 253;
    static final int MAX_SUBNETS = 64;
    static final int MAX_EXTERNAL_IPS = 64;
    static final int MAX_PORTS = 256;
    static final int MAX_BACKENDS = 4096;
    static final int MAX_PEERS = 4096;
    static final int MAX_VNI = 16_777_215;

    private final NetworkProvider provider;

    public KubestackService(NetworkProvider provider) {
        this.provider = provider;
    }

    @Override
    public void checkTenant(CheckTenantRequest request, StreamObserver<CheckTenantResponse> response) {
        answer(response, () -> {
            required("tenant_id", request.getTenantId());
            TenantCheck check = provider.checkTenant(request.getTenantId());
            return CheckTenantResponse.newBuilder().setOk(check.ok()).setReason(check.reason()).build();
        });
    }

    @Override
    public void createNetwork(NetworkRequest request, StreamObserver<NetworkResponse> response) {
        answer(response, () -> KubestackMessages.toProto(provider.createNetwork(network(request))));
    }

    @Override
    public void updateNetwork(NetworkRequest request, StreamObserver<NetworkResponse> response) {
        answer(response, () -> KubestackMessages.toProto(provider.updateNetwork(network(request))));
    }

    @Override
    public void deleteNetwork(NetworkName request, StreamObserver<Empty> response) {
        answer(response, () -> {
            required("name", request.getName());
            provider.deleteNetwork(request.getName());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void getNetwork(NetworkName request, StreamObserver<NetworkResponse> response) {
        answer(response, () -> {
            required("name", request.getName());
            Optional<NetworkStatus> status = provider.getNetwork(request.getName());
            return KubestackMessages.toProto(status.orElseThrow(() -> new NetworkException(NetworkException.Reason.NOT_FOUND,
                    "network " + request.getName() + " has nothing on this host")));
        });
    }

    @Override
    public void listNetworks(Empty request, StreamObserver<NetworkNames> response) {
        answer(response, () -> NetworkNames.newBuilder().addAllNames(provider.listNetworks()).build());
    }

    @Override
    public void setupPod(SetupPodRequest request, StreamObserver<PodPortResponse> response) {
        answer(response, () -> {
            required("namespace", request.getNamespace());
            required("name", request.getName());
            required("uid", request.getUid());
            required("ip", request.getIp());
            if (!request.hasNetwork()) {
                throw invalid("network is required");
            }
            network(request.getNetwork());
            return KubestackMessages.toProto(provider.setupPod(KubestackMessages.podPortSpec(request)));
        });
    }

    @Override
    public void teardownPod(PodUid request, StreamObserver<Empty> response) {
        answer(response, () -> {
            required("uid", request.getUid());
            provider.teardownPod(request.getUid());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void podStatus(PodUid request, StreamObserver<PodPortResponse> response) {
        answer(response, () -> {
            required("uid", request.getUid());
            return KubestackMessages.toProto(provider.podStatus(request.getUid()).orElseThrow(() ->
                    new NetworkException(NetworkException.Reason.NOT_FOUND, "pod " + request.getUid() + " has no port on this host")));
        });
    }

    @Override
    public void createLoadBalancer(LoadBalancerRequest request, StreamObserver<LoadBalancerResponse> response) {
        answer(response, () -> {
            loadBalancer(request);
            LoadBalancerStatus status = provider.createLoadBalancer(KubestackMessages.loadBalancer(request));
            return LoadBalancerResponse.newBuilder().addAllIngressIps(status.ingressIps()).build();
        });
    }

    @Override
    public void updateLoadBalancer(LoadBalancerRequest request, StreamObserver<LoadBalancerResponse> response) {
        answer(response, () -> {
            loadBalancer(request);
            LoadBalancerStatus status = provider.updateLoadBalancer(KubestackMessages.loadBalancer(request));
            return LoadBalancerResponse.newBuilder().addAllIngressIps(status.ingressIps()).build();
        });
    }

    @Override
    public void deleteLoadBalancer(LoadBalancerName request, StreamObserver<Empty> response) {
        answer(response, () -> {
            required("network", request.getNetwork());
            required("namespace", request.getNamespace());
            required("name", request.getName());
            provider.deleteLoadBalancer(request.getNetwork(), request.getNamespace(), request.getName());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void listLoadBalancers(NetworkName request, StreamObserver<LoadBalancerNames> response) {
        answer(response, () -> {
            required("name", request.getName());
            LoadBalancerNames.Builder names = LoadBalancerNames.newBuilder();
            for (LoadBalancerRef ref : provider.listLoadBalancers(request.getName())) {
                names.addLoadBalancers(KubestackMessages.toProto(ref));
            }
            return names.build();
        });
    }

    @Override
    public void setPeers(Peers request, StreamObserver<Empty> response) {
        answer(response, () -> {
            bounded("underlay_addresses", request.getUnderlayAddressesCount(), MAX_PEERS);
            for (String address : request.getUnderlayAddressesList()) {
                required("underlay_addresses[]", address);
            }
            provider.setPeers(request.getUnderlayAddressesList());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void provider(Empty request, StreamObserver<ProviderInfo> response) {
        answer(response, () -> ProviderInfo.newBuilder().setName(provider.name()).build());
    }

    // --- request shape

    private static NetworkSpec network(NetworkRequest request) throws NetworkException {
        if (!request.hasNetwork()) {
            throw invalid("network is required");
        }
        network(request.getNetwork());
        return KubestackMessages.networkSpec(request.getNetwork());
    }

    private static void network(Network network) throws NetworkException {
        required("network.name", network.getName());
        bounded("network.subnets", network.getSubnetsCount(), MAX_SUBNETS);
        if (network.getSubnetsCount() == 0) {
            throw invalid("network " + network.getName() + " has no subnet: it needs at least one");
        }
        if (network.getVni() < 1 || network.getVni() > MAX_VNI) {
            throw invalid("network " + network.getName() + ": vni " + Integer.toUnsignedString(network.getVni())
                    + " is not in 1.." + MAX_VNI);
        }
        for (var subnet : network.getSubnetsList()) {
            required("network.subnets[].name", subnet.getName());
            required("network.subnets[].cidr", subnet.getCidr());
            required("network.subnets[].gateway", subnet.getGateway());
        }
    }

    private static void loadBalancer(LoadBalancerRequest request) throws NetworkException {
        required("network", request.getNetwork());
        required("namespace", request.getNamespace());
        required("name", request.getName());
        bounded("external_ips", request.getExternalIpsCount(), MAX_EXTERNAL_IPS);
        bounded("ports", request.getPortsCount(), MAX_PORTS);
        for (LoadBalancerPort port : request.getPortsList()) {
            bounded("ports[" + port.getName() + "].backends", port.getBackendsCount(), MAX_BACKENDS);
        }
    }

    private static void required(String field, String value) throws NetworkException {
        if (value.isEmpty()) {
            throw invalid(field + " is required");
        }
        if (value.length() > MAX_NAME) {
            throw invalid(field + " is longer than " + MAX_NAME + " characters");
        }
    }

    private static void bounded(String field, int count, int max) throws NetworkException {
        if (count > max) {
            throw invalid(field + " has " + count + " entries; at most " + max);
        }
    }

    private static NetworkException invalid(String message) {
        return new NetworkException(NetworkException.Reason.INVALID, message);
    }

    private interface Call<T> {
        T call() throws NetworkException;
    }

    private static <T> void answer(StreamObserver<T> response, Call<T> call) {
        T result;
        try {
            result = call.call();
        } catch (NetworkException e) {
            response.onError(Status.fromCode(KubestackMessages.code(e.reason())).withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            log.error("kubestack call failed", e);
            response.onError(Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).withCause(e).asRuntimeException());
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }
}
