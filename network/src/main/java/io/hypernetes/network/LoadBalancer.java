package io.hypernetes.network;

import java.util.List;

/**
 * A Service's load balancer in its Network's router: traffic to a frontend (the cluster IP, a node port, an external
 * IP) goes to one of the ready backends, chosen per connection.
 *
 * @param network     the Network of the Service's namespace
 * @param namespace   the Service's namespace
 * @param name        the Service's name
 * @param clusterIp   spec.clusterIP, reachable from the Network's pods ("" for none)
 * @param externalIps spec.externalIPs and a LoadBalancer Service's ingress IPs, reachable from outside the Network
 * @param ports       one per Service port
 */
public record LoadBalancer(String network, String namespace, String name, String clusterIp, List<String> externalIps,
                           List<Port> ports) {
    public LoadBalancer {
        externalIps = List.copyOf(externalIps);
        ports = List.copyOf(ports);
    }

    /** Which load balancer this is: what {@link NetworkProvider#deleteLoadBalancer} takes. */
    public LoadBalancerRef ref() {
        return new LoadBalancerRef(network, namespace, name);
    }

    /**
     * @param name     the Service port's name
     * @param protocol TCP or UDP
     * @param port     the Service port (on the cluster IP and external IPs)
     * @param nodePort the node port (0 for none): reachable on the network node's addresses
     * @param backends the ready endpoints; none means connections are refused
     */
    public record Port(String name, String protocol, int port, int nodePort, List<Backend> backends) {
        public Port {
            backends = List.copyOf(backends);
        }
    }

    /** A ready endpoint: a pod of the same Network. */
    public record Backend(String ip, int port) {
    }
}
