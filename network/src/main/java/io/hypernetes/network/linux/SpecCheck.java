package io.hypernetes.network.linux;

import io.hypernetes.network.LoadBalancer;
import io.hypernetes.network.NetworkException;
import io.hypernetes.network.NetworkSpec;
import io.hypernetes.network.PodPortSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The linux provider's checks of what it is asked to build. Everything is checked before the first command runs, so
 * bad input is {@code INVALID} with a message that names the field and changes nothing on the host.
 */
final class SpecCheck {
    static final int MAX_VNI = 16_777_215;
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** Kubernetes object and port names; they appear in ruleset comments, so nothing else may. */
    private static final Pattern OBJECT_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?");
    private static final Pattern PORT_NAME = Pattern.compile("[A-Za-z0-9-]{0,63}");
    private static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private SpecCheck() {
    }

    static NetworkException invalid(String message) {
        return new NetworkException(NetworkException.Reason.INVALID, message);
    }

    static boolean wellFormedProjectId(String tenantId) {
        return tenantId != null && PROJECT_ID.matcher(tenantId).matches();
    }

    /** A subnet whose fields parsed. */
    record CheckedSubnet(NetworkSpec.Subnet subnet, Ipv4.Cidr cidr, Ipv4 gateway) {
    }

    static List<CheckedSubnet> network(NetworkSpec spec, Ipv4.Cidr transitRange) throws NetworkException {
        if (spec == null) {
            throw invalid("no network given");
        }
        String name = spec.name();
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw invalid("network name \"" + name + "\" is not a DNS label (a-z, 0-9, '-', at most 63)");
        }
        if (spec.vni() < 1 || spec.vni() > MAX_VNI) {
            throw invalid("network " + name + ": vni " + spec.vni() + " is not in 1.." + MAX_VNI);
        }
        if (spec.subnets().isEmpty()) {
            throw invalid("network " + name + " has no subnet: it needs at least one");
        }
        List<CheckedSubnet> checked = new java.util.ArrayList<>();
        Set<String> names = new HashSet<>();
        for (NetworkSpec.Subnet subnet : spec.subnets()) {
            String where = "network " + name + ", subnet " + subnet.name();
            if (subnet.name() == null || subnet.name().isEmpty()) {
                throw invalid("network " + name + " has a subnet without a name");
            }
            if (!names.add(subnet.name())) {
                throw invalid("network " + name + " has two subnets named " + subnet.name());
            }
            Ipv4.Cidr cidr = Ipv4.Cidr.parse(subnet.cidr()).orElseThrow(() -> invalid(where + ": cidr \"" + subnet.cidr()
                    + "\" is not a network such as 10.0.0.0/24 (host bits must be zero)"));
            if (cidr.prefix() < 8 || cidr.prefix() > 30) {
                throw invalid(where + ": cidr " + cidr + " must have a prefix of /8../30");
            }
            if (cidr.overlaps(transitRange)) {
                throw invalid(where + ": cidr " + cidr + " overlaps the routers' transit range " + transitRange);
            }
            Ipv4 gateway = Ipv4.parse(subnet.gateway()).orElseThrow(() ->
                    invalid(where + ": gateway \"" + subnet.gateway() + "\" is not an IPv4 address"));
            if (!cidr.contains(gateway) || gateway.equals(cidr.network()) || gateway.equals(cidr.broadcast())) {
                throw invalid(where + ": gateway " + gateway + " is not a host address inside " + cidr);
            }
            for (CheckedSubnet other : checked) {
                if (other.cidr().overlaps(cidr)) {
                    throw invalid("network " + name + ": subnets " + other.subnet().name() + " (" + other.cidr() + ") and "
                            + subnet.name() + " (" + cidr + ") overlap");
                }
            }
            checked.add(new CheckedSubnet(subnet, cidr, gateway));
        }
        return checked;
    }

    /** The pod's subnet: its address must be a host address of one, and not the gateway. */
    static CheckedSubnet pod(PodPortSpec spec, Ipv4.Cidr transitRange) throws NetworkException {
        if (spec.uid() == null || spec.uid().isBlank() || spec.uid().length() > 128) {
            throw invalid("pod " + spec.namespace() + "/" + spec.name() + " has no uid (or one over 128 characters)");
        }
        List<CheckedSubnet> subnets = network(spec.network(), transitRange);
        String who = "pod " + spec.namespace() + "/" + spec.name();
        Ipv4 ip = Ipv4.parse(spec.ip()).orElseThrow(() -> invalid(who + ": ip \"" + spec.ip() + "\" is not an IPv4 address"));
        for (CheckedSubnet subnet : subnets) {
            if (subnet.cidr().contains(ip)) {
                if (ip.equals(subnet.cidr().network()) || ip.equals(subnet.cidr().broadcast())) {
                    throw invalid(who + ": ip " + ip + " is the network or broadcast address of " + subnet.cidr());
                }
                if (ip.equals(subnet.gateway())) {
                    throw invalid(who + ": ip " + ip + " is the gateway of subnet " + subnet.subnet().name());
                }
                return subnet;
            }
        }
        throw invalid(who + ": ip " + ip + " lies in none of network " + spec.network().name() + "'s subnets");
    }

    static void loadBalancer(LoadBalancer lb) throws NetworkException {
        String who = "load balancer " + lb.namespace() + "/" + lb.name();
        if (lb.network() == null || lb.network().isEmpty() || lb.namespace() == null || lb.namespace().isEmpty()
                || lb.name() == null || lb.name().isEmpty()) {
            throw invalid("a load balancer needs a network, a namespace and a name");
        }
        if (!OBJECT_NAME.matcher(lb.namespace()).matches() || !OBJECT_NAME.matcher(lb.name()).matches()) {
            throw invalid(who + ": namespace and name must be Kubernetes object names");
        }
        if (!lb.clusterIp().isEmpty() && !"None".equals(lb.clusterIp()) && Ipv4.parse(lb.clusterIp()).isEmpty()) {
            throw invalid(who + ": cluster IP \"" + lb.clusterIp() + "\" is not an IPv4 address");
        }
        for (String ip : lb.externalIps()) {
            if (Ipv4.parse(ip).isEmpty()) {
                throw invalid(who + ": external IP \"" + ip + "\" is not an IPv4 address");
            }
        }
        Set<String> frontends = new HashSet<>();
        for (LoadBalancer.Port port : lb.ports()) {
            String where = who + ", port " + port.name();
            if (port.name() == null || !PORT_NAME.matcher(port.name()).matches()) {
                throw invalid(who + ": port name \"" + port.name() + "\" is not a Kubernetes port name");
            }
            if (!"TCP".equals(port.protocol()) && !"UDP".equals(port.protocol())) {
                throw invalid(where + ": protocol \"" + port.protocol() + "\" is neither TCP nor UDP");
            }
            if (port.port() < 1 || port.port() > 65535) {
                throw invalid(where + ": port " + port.port() + " is not 1..65535");
            }
            if (port.nodePort() < 0 || port.nodePort() > 65535) {
                throw invalid(where + ": node port " + port.nodePort() + " is not 0..65535");
            }
            if (!frontends.add(port.protocol() + "/" + port.port())) {
                throw invalid(where + ": " + port.protocol() + " port " + port.port() + " is listed twice");
            }
            for (LoadBalancer.Backend backend : port.backends()) {
                if (Ipv4.parse(backend.ip()).isEmpty()) {
                    throw invalid(where + ": backend \"" + backend.ip() + "\" is not an IPv4 address");
                }
                if (backend.port() < 1 || backend.port() > 65535) {
                    throw invalid(where + ": backend " + backend.ip() + " has port " + backend.port() + ", not 1..65535");
                }
            }
        }
    }
}
