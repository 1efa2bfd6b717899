package io.hypernetes.network.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How a {@link LinuxProvider} builds on this host.
 *
 * @param stateDir       where the provider keeps {@code state.json}: what it built (pods' ports, load balancers, peers),
 *                       so a restarted kubestack knows it
 * @param prefix         starts every device, netns and nft table name ({@code hn}: bridge {@code hnb7}, VXLAN
 *                       {@code hnv7}, router {@code hnr-7}, transit {@code hnt7}); several providers on one machine
 *                       (tests) use different prefixes. 1..6 lowercase letters/digits so names stay ≤ 15 characters
 * @param hostNamespace  the network namespace that plays "the host": every host-side command runs in it
 *                       ({@code ip netns exec NS …}); empty for the real host. Tests set it so the machine's own
 *                       networking is never touched
 * @param underlayLocal  the VXLAN source address (this host's underlay address); empty lets the kernel choose by route
 * @param vxlanPort      the VXLAN UDP port (4789)
 * @param transitRange   where each Network's router-to-host /30 comes from, indexed by VNI (100.64.0.0/10)
 * @param mtu            bridges, VXLANs, router and pod interfaces: 1450 leaves room for VXLAN's 50 bytes on a 1500
 *                       underlay
 * @param commandTimeout how long one command may take before the call fails UNAVAILABLE
 * @param internalRanges where tenants' traffic never goes through their routers, besides this host and the other
 *                       hosts' underlay addresses (the peers): the cluster's own networks
 */
public record LinuxConfig(Path stateDir, String prefix, Optional<String> hostNamespace, Optional<String> underlayLocal,
                          int vxlanPort, String transitRange, int mtu, Duration commandTimeout, List<String> internalRanges) {
    public static final String DEFAULT_PREFIX = "hn";
    public static final String DEFAULT_TRANSIT = "100.64.0.0/10";
    /**
     * Service cluster IPs (10.96.0.0/12), the nodes' default pod networks (10.244.0.0/16, the administrators'), and
     * link-local addresses (169.254.0.0/16: a cloud's metadata service, which would hand a tenant the host's
     * credentials).
     */
    public static final List<String> DEFAULT_INTERNAL = List.of("10.96.0.0/12", "10.244.0.0/16", "169.254.0.0/16");

    public LinuxConfig {
        if (!prefix.matches("[a-z][a-z0-9]{0,5}")) {
            throw new IllegalArgumentException("prefix \"" + prefix
                    + "\" must be 1..6 lowercase letters or digits, starting with a letter (device names are ≤ 15 characters)");
        }
        Ipv4.Cidr transit = Ipv4.Cidr.parse(transitRange).orElseThrow(() ->
                new IllegalArgumentException("transit range \"" + transitRange + "\" is not a CIDR such as 100.64.0.0/10"));
        if (transit.prefix() > 28) {
            throw new IllegalArgumentException("transit range " + transitRange + " is too small: it holds one /30 per Network");
        }
        hostNamespace.ifPresent(ns -> {
            if (!ns.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
                throw new IllegalArgumentException("host namespace \"" + ns + "\" is not a netns name");
            }
        });
        underlayLocal.ifPresent(a -> Ipv4.parse(a).orElseThrow(() ->
                new IllegalArgumentException("underlay address \"" + a + "\" is not an IPv4 address")));
        if (vxlanPort < 1 || vxlanPort > 65535) {
            throw new IllegalArgumentException("VXLAN port " + vxlanPort + " is not 1..65535");
        }
        if (mtu < 576 || mtu > 9000) {
            throw new IllegalArgumentException("MTU " + mtu + " is not 576..9000");
        }
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("command timeout must be positive");
        }
        internalRanges = List.copyOf(internalRanges);
        for (String range : internalRanges) {
            Ipv4.Cidr.parse(range).orElseThrow(() ->
                    new IllegalArgumentException("internal range \"" + range + "\" is not a CIDR such as 10.96.0.0/12"));
        }
    }

    /** The real host's configuration: prefix {@code hn}, port 4789, 100.64.0.0/10, MTU 1450, {@link #DEFAULT_INTERNAL}. */
    public static LinuxConfig defaults(Path stateDir) {
        return new LinuxConfig(stateDir, DEFAULT_PREFIX, Optional.empty(), Optional.empty(), 4789, DEFAULT_TRANSIT, 1450,
                Duration.ofSeconds(20), DEFAULT_INTERNAL);
    }

    public LinuxConfig withPrefix(String prefix) {
        return new LinuxConfig(stateDir, prefix, hostNamespace, underlayLocal, vxlanPort, transitRange, mtu, commandTimeout, internalRanges);
    }

    public LinuxConfig withHostNamespace(String namespace) {
        return new LinuxConfig(stateDir, prefix, Optional.of(namespace), underlayLocal, vxlanPort, transitRange, mtu,
                commandTimeout, internalRanges);
    }

    public LinuxConfig withUnderlayLocal(String address) {
        return new LinuxConfig(stateDir, prefix, hostNamespace, Optional.of(address), vxlanPort, transitRange, mtu,
                commandTimeout, internalRanges);
    }

    public LinuxConfig withInternalRanges(List<String> ranges) {
        return new LinuxConfig(stateDir, prefix, hostNamespace, underlayLocal, vxlanPort, transitRange, mtu, commandTimeout, ranges);
    }

    String bridge(int vni) {
        return prefix + "b" + vni;
    }

    String vxlan(int vni) {
        return prefix + "v" + vni;
    }

    String router(int vni) {
        return prefix + "r-" + vni;
    }

    /** The host end of the router's wan0. */
    String transit(int vni) {
        return prefix + "t" + vni;
    }

    /** The bridge end of the router's lan0. */
    String lanPort(int vni) {
        return prefix + "l" + vni;
    }

    /** The host's nft table ({@code inet hypernetes} for the default prefix). */
    String hostTable() {
        return DEFAULT_PREFIX.equals(prefix) ? "hypernetes" : prefix + "-hypernetes";
    }
}
