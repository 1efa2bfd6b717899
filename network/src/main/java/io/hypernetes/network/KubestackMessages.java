package io.hypernetes.network;

import io.grpc.Status;
import io.hypernetes.network.v1.Backend;
import io.hypernetes.network.v1.LoadBalancerName;
import io.hypernetes.network.v1.LoadBalancerPort;
import io.hypernetes.network.v1.LoadBalancerRequest;
import io.hypernetes.network.v1.Network;
import io.hypernetes.network.v1.NetworkResponse;
import io.hypernetes.network.v1.PodPortResponse;
import io.hypernetes.network.v1.SetupPodRequest;
import io.hypernetes.network.v1.Subnet;
import java.util.List;

/** The SPI's records to kubestack.proto's messages and back, and NetworkException.Reason to gRPC status codes and back. */
final class KubestackMessages {
    private KubestackMessages() {
    }

    static Network toProto(NetworkSpec spec) {
        Network.Builder network = Network.newBuilder().setName(spec.name()).setUid(spec.uid()).setTenantId(spec.tenantId())
                .setVni(spec.vni());
        for (NetworkSpec.Subnet subnet : spec.subnets()) {
            network.addSubnets(Subnet.newBuilder().setName(subnet.name()).setCidr(subnet.cidr()).setGateway(subnet.gateway()));
        }
        return network.build();
    }

    static NetworkSpec networkSpec(Network network) {
        return new NetworkSpec(network.getName(), network.getUid(), network.getTenantId(), (int) network.getVni(),
                network.getSubnetsList().stream()
                        .map(s -> new NetworkSpec.Subnet(s.getName(), s.getCidr(), s.getGateway())).toList());
    }

    static NetworkResponse toProto(NetworkStatus status) {
        return NetworkResponse.newBuilder().setName(status.name()).setReady(status.ready()).setMessage(status.message())
                .setDnsAddress(status.dnsAddress()).putAllDetails(status.details()).build();
    }

    static NetworkStatus networkStatus(NetworkResponse response) {
        return new NetworkStatus(response.getName(), response.getReady(), response.getMessage(), response.getDnsAddress(),
                response.getDetailsMap());
    }

    static SetupPodRequest toProto(PodPortSpec spec) {
        return SetupPodRequest.newBuilder().setNamespace(spec.namespace()).setName(spec.name()).setUid(spec.uid())
                .setNetwork(toProto(spec.network())).setIp(spec.ip()).build();
    }

    static PodPortSpec podPortSpec(SetupPodRequest request) {
        return new PodPortSpec(request.getNamespace(), request.getName(), request.getUid(), networkSpec(request.getNetwork()),
                request.getIp());
    }

    static PodPortResponse toProto(PodPort port) {
        return PodPortResponse.newBuilder().setPodUid(port.podUid()).setNetwork(port.network()).setBridge(port.bridge())
                .setIp(port.ip()).setPrefixLength(port.prefix()).setGateway(port.gateway()).setMtu(port.mtu())
                .addAllDnsServers(port.dnsServers()).build();
    }

    static PodPort podPort(PodPortResponse response) {
        return new PodPort(response.getPodUid(), response.getNetwork(), response.getBridge(), response.getIp(),
                response.getPrefixLength(), response.getGateway(), response.getMtu(), response.getDnsServersList());
    }

    static LoadBalancerRequest toProto(LoadBalancer lb) {
        LoadBalancerRequest.Builder request = LoadBalancerRequest.newBuilder().setNetwork(lb.network())
                .setNamespace(lb.namespace()).setName(lb.name()).setClusterIp(lb.clusterIp()).addAllExternalIps(lb.externalIps());
        for (LoadBalancer.Port port : lb.ports()) {
            LoadBalancerPort.Builder p = LoadBalancerPort.newBuilder().setName(port.name()).setProtocol(port.protocol())
                    .setPort(port.port()).setNodePort(port.nodePort());
            for (LoadBalancer.Backend backend : port.backends()) {
                p.addBackends(Backend.newBuilder().setIp(backend.ip()).setPort(backend.port()));
            }
            request.addPorts(p);
        }
        return request.build();
    }

    static LoadBalancer loadBalancer(LoadBalancerRequest request) {
        List<LoadBalancer.Port> ports = request.getPortsList().stream()
                .map(p -> new LoadBalancer.Port(p.getName(), p.getProtocol(), p.getPort(), p.getNodePort(),
                        p.getBackendsList().stream().map(b -> new LoadBalancer.Backend(b.getIp(), b.getPort())).toList()))
                .toList();
        return new LoadBalancer(request.getNetwork(), request.getNamespace(), request.getName(), request.getClusterIp(),
                request.getExternalIpsList(), ports);
    }

    static LoadBalancerName toProto(LoadBalancerRef ref) {
        return LoadBalancerName.newBuilder().setNetwork(ref.network()).setNamespace(ref.namespace()).setName(ref.name()).build();
    }

    static LoadBalancerRef loadBalancerRef(LoadBalancerName name) {
        return new LoadBalancerRef(name.getNetwork(), name.getNamespace(), name.getName());
    }

    static Status.Code code(NetworkException.Reason reason) {
        return switch (reason) {
            case INVALID -> Status.Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case FORBIDDEN -> Status.Code.PERMISSION_DENIED;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
        };
    }

    /** Anything else (a deadline, a broken connection, a server bug) is worth retrying: UNAVAILABLE. */
    static NetworkException.Reason reason(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT -> NetworkException.Reason.INVALID;
            case NOT_FOUND -> NetworkException.Reason.NOT_FOUND;
            case PERMISSION_DENIED -> NetworkException.Reason.FORBIDDEN;
            default -> NetworkException.Reason.UNAVAILABLE;
        };
    }
}
