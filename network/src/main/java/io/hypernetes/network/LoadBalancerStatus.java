package io.hypernetes.network;

import java.util.List;

/** What a load balancer answers on from outside the Network: the Service's status.loadBalancer.ingress IPs. */
public record LoadBalancerStatus(List<String> ingressIps) {
    public LoadBalancerStatus {
        ingressIps = List.copyOf(ingressIps);
    }
}
