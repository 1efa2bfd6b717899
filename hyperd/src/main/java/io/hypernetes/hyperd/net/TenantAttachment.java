package io.hypernetes.hyperd.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a pod's VM joins its tenant Network on this node, as kubestack's {@code setupPod} prepared it: the bridge of
 * the Network's segment here, and the address, default route and MTU the guest takes on it.
 *
 * <p>The split of work: kubestack owns the bridge (with its VXLAN to other hosts and, on the network node, the
 * router behind the gateway); hyperd owns only the VM's tap. A VM is booted (or pooled) with its tap on the default
 * bridge, since a microvm cannot hot-plug a NIC and pooled VMs do not know their pod yet; {@link #plug} moves that
 * tap onto the tenant bridge before the guest configures its interface, so the guest never has an address on the
 * default network.
 *
 * <p>Checked on construction, so a bad attachment is refused before any VM is taken: the bridge name as the kernel
 * accepts it, an IPv4 host address inside its prefix (1..30), a gateway in the same subnet that is not the pod's own
 * address, an MTU of 0 (the bridge's) or 576..9000.
 */
public record TenantAttachment(String bridge, String ip, int prefixLength, String gateway, int mtu) {
    public static final int MIN_MTU = 576;
    public static final int MAX_MTU = 9000;
    private static final Path SYS_NET = Path.of("/sys/class/net");

    public TenantAttachment {
        if (bridge == null || !bridge.matches("[A-Za-z0-9_.-]{1,15}") || bridge.equals(".") || bridge.equals("..")) {
            throw new IllegalArgumentException("bridge \"" + bridge + "\" is not a device name (1..15 of [A-Za-z0-9_.-])");
        }
        if (prefixLength < 1 || prefixLength > 30) {
            throw new IllegalArgumentException("prefix_length " + prefixLength + " is not in 1..30");
        }
        int address = parse("ip", ip);
        int mask = -1 << (32 - prefixLength);
        int hosts = ~mask;
        if ((address & hosts) == 0 || (address & hosts) == hosts) {
            throw new IllegalArgumentException("ip " + ip + " is the network or broadcast address of " + subnet(address, prefixLength));
        }
        int via = parse("gateway", gateway);
        if ((via & mask) != (address & mask)) {
            throw new IllegalArgumentException("gateway " + gateway + " is outside the pod's subnet " + subnet(address, prefixLength));
        }
        if ((via & hosts) == 0 || (via & hosts) == hosts) {
            throw new IllegalArgumentException("gateway " + gateway + " is the network or broadcast address of " + subnet(address, prefixLength));
        }
        if (via == address) {
            throw new IllegalArgumentException("gateway " + gateway + " is the pod's own address");
        }
        if (mtu != 0 && (mtu < MIN_MTU || mtu > MAX_MTU)) {
            throw new IllegalArgumentException("mtu " + mtu + " is not 0 (the bridge's) or in " + MIN_MTU + ".." + MAX_MTU);
        }
    }

    /** A dotted-quad IPv4 address, four decimal octets without leading zeros (which some tools read as octal). */
    private static int parse(String field, String text) {
        String[] octets = text == null ? new String[0] : text.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException(field + " \"" + text + "\" is not an IPv4 address");
        }
        int address = 0;
        for (String octet : octets) {
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (octet.length() > 1 && octet.charAt(0) == '0') || Integer.parseInt(octet) > 255) {
                throw new IllegalArgumentException(field + " \"" + text + "\" is not an IPv4 address");
            }
            address = (address << 8) | Integer.parseInt(octet);
        }
        return address;
    }

    private static String subnet(int address, int prefix) {
        return PodCidr.format(address & (-1 << (32 - prefix))) + "/" + prefix;
    }

    /** {@code ip/prefix_length}. */
    public String cidr() {
        return ip + "/" + prefixLength;
    }

    /** Whether the bridge exists on this host (kubestack made it); a device of that name that is no bridge is not one. */
    public boolean bridgeExists() {
        return Files.isDirectory(SYS_NET.resolve(bridge).resolve("bridge"));
    }

    /** The bridge the tap is a port of now, if any. */
    public static Optional<String> masterOf(String tap) {
        try {
            return Optional.of(Files.readSymbolicLink(SYS_NET.resolve(tap).resolve("master")).getFileName().toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The MTU the guest and the tap get: the attachment's, or the bridge's when it says 0. */
    public int effectiveMtu() throws IOException {
        if (mtu > 0) {
            return mtu;
        }
        try {
            return Integer.parseInt(Files.readString(SYS_NET.resolve(bridge).resolve("mtu")).strip());
        } catch (IOException | NumberFormatException e) {
            throw new IOException("cannot read the MTU of bridge " + bridge + ": " + e.getMessage(), e);
        }
    }

    /**
     * Moves a VM's tap from wherever it is (the default bridge) onto this attachment's bridge, with the effective MTU,
     * up; answers the tap as the guest must configure it (this attachment's address and gateway, the tap's name and
     * MAC). Doing it again is harmless: a restarted hyperd uses it to put back a tap found elsewhere.
     */
    public Tap plug(Tap tap) throws IOException {
        if (!bridgeExists()) {
            throw new IOException("bridge " + bridge + " does not exist on this node");
        }
        int effective = effectiveMtu();
        DefaultNetwork.ip("link", "set", "dev", tap.name(), "nomaster");
        DefaultNetwork.ip("link", "set", "dev", tap.name(), "master", bridge);
        DefaultNetwork.ip("link", "set", "dev", tap.name(), "mtu", Integer.toString(effective));
        DefaultNetwork.ip("link", "set", "dev", tap.name(), "up");
        return guestSide(tap);
    }

    /** The tap as the guest configures it on this Network, without touching the device. */
    public Tap guestSide(Tap tap) {
        return new Tap(tap.name(), tap.mac(), ip, prefixLength, gateway);
    }

    @Override
    public String toString() {
        return cidr() + " via " + gateway + " on bridge " + bridge + (mtu > 0 ? ", mtu " + mtu : ", the bridge's mtu");
    }
}
