package io.hypernetes.network;

/**
 * A pod to plug into its Network.
 *
 * @param namespace the pod's namespace
 * @param name      the pod's name
 * @param uid       the pod's uid: the port's identity
 * @param network   the Network the pod's namespace is on
 * @param ip        the address the Network controller assigned the pod (annotation {@code network.hypernetes.io/ip});
 *                  it lies in one of the Network's subnets
 */
public record PodPortSpec(String namespace, String name, String uid, NetworkSpec network, String ip) {
}
