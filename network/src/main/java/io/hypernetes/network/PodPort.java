package io.hypernetes.network;

import java.util.List;

/**
 * How a pod is attached: what the runtime needs to plug the pod's VM in and what hyperstart configures in the guest.
 *
 * @param podUid     the pod
 * @param network    its Network's name
 * @param bridge     the host bridge (in the node's network namespace) the VM's tap joins
 * @param ip         the pod's address
 * @param prefix     its subnet's prefix length
 * @param gateway    the default route
 * @param mtu        the interface MTU (the overlay's: 1450 for VXLAN on a 1500 underlay)
 * @param dnsServers the resolvers the pod uses: its tenant's DNS
 */
public record PodPort(String podUid, String network, String bridge, String ip, int prefix, String gateway, int mtu,
                      List<String> dnsServers) {
    public PodPort {
        dnsServers = List.copyOf(dnsServers);
    }
}
