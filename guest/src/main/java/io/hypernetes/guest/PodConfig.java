package io.hypernetes.guest;

import java.util.List;
import java.util.Optional;

/**
 * What START_POD sets up once per VM: the pod's hostname, the resolv.conf and hosts every
 * container bind-mounts, and the address of its NIC; it also sets the guest's clock to the host's.
 *
 * @param hosts the full /etc/hosts content, or empty for localhost entries only
 */
public record PodConfig(String hostname, List<String> dnsServers, List<String> dnsSearches, List<String> dnsOptions,
                        String hosts, Optional<Interface> network) {

    public PodConfig {
        Checks.token("hostname", hostname);
        if (hostname.length() > 64) {
            throw new IllegalArgumentException("hostname '" + hostname + "' is longer than 64 characters");
        }
        dnsServers.forEach(s -> Checks.token("dns server", s));
        dnsSearches.forEach(s -> Checks.token("dns search domain", s));
        dnsOptions.forEach(s -> Checks.token("dns option", s));
        dnsServers = List.copyOf(dnsServers);
        dnsSearches = List.copyOf(dnsSearches);
        dnsOptions = List.copyOf(dnsOptions);
        Checks.text("hosts", hosts);
    }

    public static PodConfig of(String hostname) {
        return new PodConfig(hostname, List.of(), List.of(), List.of(), "", Optional.empty());
    }

    /** An IPv4 address on a guest NIC (eth0 for the pod's virtio-net device). */
    public record Interface(String name, String address, int prefixLength, Optional<String> gateway, int mtu) {
        public Interface {
            Checks.name("interface name", name);
            Checks.token("address", address);
            if (prefixLength < 0 || prefixLength > 32) {
                throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 0..32");
            }
            gateway.ifPresent(g -> Checks.token("gateway", g));
            if (mtu != 0 && (mtu < 68 || mtu > 65535)) {
                throw new IllegalArgumentException("mtu " + mtu + " is not in 68..65535 (0 keeps the default)");
            }
        }
    }

    byte[] encode() {
        // the host's wall clock as it sends: the VM has no RTC, and a pooled VM booted long before its pod
        Tlv.Writer w = Tlv.writer().integer(Protocol.TAG_CLOCK, System.currentTimeMillis()).string(Protocol.TAG_HOSTNAME, hostname);
        dnsServers.forEach(s -> w.string(Protocol.TAG_DNS_SERVER, s));
        dnsSearches.forEach(s -> w.string(Protocol.TAG_DNS_SEARCH, s));
        dnsOptions.forEach(s -> w.string(Protocol.TAG_DNS_OPTION, s));
        if (!hosts.isEmpty()) {
            w.string(Protocol.TAG_HOSTS, hosts);
        }
        network.ifPresent(n -> {
            w.string(Protocol.TAG_INTERFACE, n.name()).string(Protocol.TAG_IP, n.address())
                    .integer(Protocol.TAG_PREFIX, n.prefixLength());
            n.gateway().ifPresent(g -> w.string(Protocol.TAG_GATEWAY, g));
            if (n.mtu() != 0) {
                w.integer(Protocol.TAG_MTU, n.mtu());
            }
        });
        return w.toByteArray();
    }
}
