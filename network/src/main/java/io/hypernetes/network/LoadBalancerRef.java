package io.hypernetes.network;

/**
 * Which load balancer: a Service's, in its Network — what {@link NetworkProvider#deleteLoadBalancer} takes and
 * {@link NetworkProvider#listLoadBalancers} answers, so a caller can delete what a listing shows without knowing
 * anything else of it.
 *
 * @param network   the Network whose router holds it
 * @param namespace the Service's namespace
 * @param name      the Service's name
 */
public record LoadBalancerRef(String network, String namespace, String name) {
    @Override
    public String toString() {
        return network + " " + namespace + "/" + name;
    }
}
