package io.hypernetes.controllers.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The addresses pods may get in one Network: the hosts of each IPv4 subnet in {@code spec.subnets} (never its network
 * or broadcast address) except its gateway, subnets in name order, as one sequence of positions.
 *
 * <p>Handing out is next-fit ({@link #next}): the search starts after the address handed out last and wraps around,
 * so an address just given back is the last one reused — a pod's old address is not at once someone else's while
 * stale ARP entries, connections or DNS answers may still point at it.
 */
record AddressPool(List<Range> ranges) {

    /** One subnet's host addresses {@code first..last} (as unsigned 32-bit values) and its gateway. */
    record Range(String subnet, long first, long last, long gateway) {
        long size() {
            return last - first + 1;
        }
    }

    AddressPool {
        ranges = List.copyOf(ranges);
    }

    /** The pool of a Network object; subnets that are not IPv4 CIDRs with room for hosts are left out. */
    static AddressPool of(JsonNode network) {
        List<Range> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = network.path("spec").path("subnets").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            range(e.getKey(), e.getValue().path("cidr").asText(""), e.getValue().path("gateway").asText("")).ifPresent(ranges::add);
        }
        ranges.sort(Comparator.comparing(Range::subnet));
        return new AddressPool(ranges);
    }

    static Optional<Range> range(String name, String cidr, String gateway) {
        int slash = cidr.indexOf('/');
        if (slash < 0) return Optional.empty();
        Optional<Long> base = parse(cidr.substring(0, slash));
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (base.isEmpty() || prefix < 0 || prefix > 30) return Optional.empty();
        long size = 1L << (32 - prefix);
        long network = base.get() & ~(size - 1) & 0xFFFF_FFFFL;
        long gw = parse(gateway).orElse(network + 1);
        return Optional.of(new Range(name, network + 1, network + size - 2, gw));
    }

    /** The first address of a CIDR's hosts, the gateway a subnet gets when it names none; empty for a non-IPv4 CIDR. */
    static Optional<String> firstHost(String cidr) {
        return range("", cidr, "").map(r -> format(r.first()));
    }

    /** How many positions the pool has (gateways included). */
    long size() {
        return ranges.stream().mapToLong(Range::size).sum();
    }

    /** How many addresses pods may get. */
    long usable() {
        return ranges.stream().mapToLong(r -> r.size() - (r.gateway() >= r.first() && r.gateway() <= r.last() ? 1 : 0)).sum();
    }

    boolean contains(String ip) {
        return position(ip) >= 0;
    }

    /**
     * The next address after {@code last} (null or not in the pool: from the start) that is neither a gateway nor in
     * {@code held}, wrapping around; empty when every address is held.
     */
    Optional<String> next(String last, Set<String> held) {
        long size = size();
        if (size == 0) return Optional.empty();
        long start = last == null ? 0 : position(last) + 1;
        for (long k = 0; k < size; k++) {
            long pos = (start + k) % size;
            long ip = at(pos);
            if (isGateway(ip)) continue;
            String text = format(ip);
            if (!held.contains(text)) return Optional.of(text);
        }
        return Optional.empty();
    }

    private boolean isGateway(long ip) {
        for (Range r : ranges) if (r.gateway() == ip) return true;
        return false;
    }

    private long position(String ip) {
        Optional<Long> v = parse(ip);
        if (v.isEmpty()) return -1;
        long offset = 0;
        for (Range r : ranges) {
            if (v.get() >= r.first() && v.get() <= r.last()) return offset + v.get() - r.first();
            offset += r.size();
        }
        return -1;
    }

    private long at(long pos) {
        for (Range r : ranges) {
            if (pos < r.size()) return r.first() + pos;
            pos -= r.size();
        }
        throw new IndexOutOfBoundsException(pos);
    }

    /** A dotted-quad IPv4 address as an unsigned 32-bit value; empty for anything else. */
    static Optional<Long> parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) return Optional.empty();
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) return Optional.empty();
            int octet = Integer.parseInt(p);
            if (octet > 255) return Optional.empty();
            v = v << 8 | octet;
        }
        return Optional.of(v);
    }

    static String format(long v) {
        return (v >> 24 & 255) + "." + (v >> 16 & 255) + "." + (v >> 8 & 255) + "." + (v & 255);
    }
}
