package io.hypernetes.network;

import java.util.List;

/**
 * A Network as the provider needs it, taken from the API object.
 *
 * @param name     the Network's name (cluster-scoped, a DNS label)
 * @param uid      its metadata.uid: a Network deleted and created again under the same name is another network
 * @param tenantId the Keystone project that owns it
 * @param vni      the segment id the Network controller allocated (status.vni), unique among live Networks, 1..16777215
 * @param subnets  at least one; each with its gateway resolved
 */
public record NetworkSpec(String name, String uid, String tenantId, int vni, List<Subnet> subnets) {
    public NetworkSpec {
        subnets = List.copyOf(subnets);
    }

    /**
     * @param name    the subnet's key in spec.subnets
     * @param cidr    network address and prefix, e.g. {@code 10.0.0.0/24}
     * @param gateway the router's address on it, e.g. {@code 10.0.0.1}
     */
    public record Subnet(String name, String cidr, String gateway) {
    }
}
