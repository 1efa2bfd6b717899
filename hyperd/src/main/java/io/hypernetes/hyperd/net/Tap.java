package io.hypernetes.hyperd.net;

/**
 * A VM's network interface on the host: the tap device QEMU opens, enslaved to the node's bridge, and the address the
 * guest configures on its side (hyperstart's START_POD: {@code ip/prefix}, default route via {@code gateway}).
 *
 * @param name    the host-side tap device (at most 15 characters, the kernel's limit)
 * @param mac     the guest NIC's MAC, locally administered
 * @param ip      the pod's IPv4 address
 * @param prefix  the pod CIDR's prefix length
 * @param gateway the bridge's address, the pod's default route
 */
public record Tap(String name, String mac, String ip, int prefix, String gateway) {
    public Tap {
        if (name == null || name.isEmpty() || name.length() > 15) {
            throw new IllegalArgumentException("a tap device name has 1..15 characters: " + name);
        }
    }

    /** {@code ip/prefix}. */
    public String cidr() {
        return ip + "/" + prefix;
    }
}
