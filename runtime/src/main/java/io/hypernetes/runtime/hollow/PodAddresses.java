package io.hypernetes.runtime.hollow;

import java.util.BitSet;

/**
 * The node's pod addresses: an IPv4 CIDR of which the network address, the gateway ({@code .1}, the bridge's) and the
 * broadcast address are never given out. Next-fit, as host-local IPAM does, so an address just freed is the last to
 * be reused and a stale endpoint does not point at a new pod at once. Not thread-safe: the runtime's lock guards it.
 */
final class PodAddresses {
    private final String cidr;
    private final int network;
    /** Offsets from the network address that may be given out: {@code [FIRST, last]}. */
    private static final int FIRST = 2;
    private final int last;
    private final BitSet used = new BitSet();
    private int next = FIRST;

    private PodAddresses(String cidr, int network, int last) {
        this.cidr = cidr;
        this.network = network;
        this.last = last;
    }

    /** Parses {@code a.b.c.d/n} with 8 &le; n &le; 30; fails with a message naming the CIDR otherwise. */
    static PodAddresses parse(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("hollow runtime: podCidr is required, e.g. 10.244.3.0/24");
        }
        String[] parts = cidr.split("/", -1);
        String[] octets = parts[0].split("\\.", -1);
        if (parts.length != 2 || octets.length != 4) {
            throw bad(cidr, "not an IPv4 CIDR like 10.244.3.0/24");
        }
        int address = 0;
        for (String octet : octets) {
            int value = number(cidr, octet, 0, 255);
            address = (address << 8) | value;
        }
        int prefix = number(cidr, parts[1], 8, 30);
        int mask = -1 << (32 - prefix);
        if ((address & ~mask) != 0) {
            throw bad(cidr, "host bits are set; the network is " + format(address & mask) + "/" + prefix);
        }
        int size = 1 << (32 - prefix);
        return new PodAddresses(cidr, address, size - 2);
    }

    private static int number(String cidr, String text, int min, int max) {
        if (text.isEmpty() || text.length() > 3 || !text.chars().allMatch(Character::isDigit)) {
            throw bad(cidr, "\"" + text + "\" is not a number");
        }
        int value = Integer.parseInt(text);
        if (value < min || value > max) {
            throw bad(cidr, value + " is outside " + min + ".." + max);
        }
        return value;
    }

    private static IllegalArgumentException bad(String cidr, String why) {
        return new IllegalArgumentException("hollow runtime: podCidr \"" + cidr + "\": " + why);
    }

    static String format(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    /** A free address, now taken, or null when every one is. */
    String take() {
        int offset = used.nextClearBit(next);
        if (offset > last) {
            offset = used.nextClearBit(FIRST);
            if (offset > last) {
                return null;
            }
        }
        used.set(offset);
        next = offset == last ? FIRST : offset + 1;
        return format(network + offset);
    }

    /** Gives the address back; one not taken from here is ignored. */
    void release(String address) {
        if (address == null) {
            return;
        }
        String[] octets = address.split("\\.");
        int value = 0;
        for (String octet : octets) {
            value = (value << 8) | Integer.parseInt(octet);
        }
        int offset = value - network;
        if (offset >= FIRST && offset <= last) {
            used.clear(offset);
        }
    }

    int capacity() {
        return last - FIRST + 1;
    }

    int inUse() {
        return used.cardinality();
    }

    String cidr() {
        return cidr;
    }
}
