package io.hypernetes.apiserver.registry;

import java.util.Optional;

/**
 * An IPv4 CIDR block ({@code 10.96.0.0/12}; a single address is a /32), as an int base and prefix length, for
 * the registry's address arithmetic. Only the canonical dotted-decimal form parses (no leading zeros, no octal,
 * no hex), the form API validation accepts, so one address has one spelling and text compares as addresses do.
 */
record Ipv4Block(int base, int prefix) {
    Ipv4Block {
        if (prefix < 0 || prefix > 32) throw new IllegalArgumentException("prefix length " + prefix + " is not 0..32");
        base &= mask(prefix);
    }

    static Ipv4Block parse(String cidr) {
        return parseCidr(cidr).orElseThrow(() -> new IllegalArgumentException("\"" + cidr + "\" is not an IPv4 CIDR such as 10.96.0.0/12"));
    }

    /** {@code a.b.c.d/n}, or a bare address as a /32; empty for anything else. */
    static Optional<Ipv4Block> parseCidr(String text) {
        int slash = text.indexOf('/');
        Optional<Integer> address = address(slash < 0 ? text : text.substring(0, slash));
        if (address.isEmpty()) return Optional.empty();
        if (slash < 0) return Optional.of(new Ipv4Block(address.get(), 32));
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(c -> c >= '0' && c <= '9')
                || (length.length() > 1 && length.charAt(0) == '0')) {
            return Optional.empty();
        }
        int prefix = Integer.parseInt(length);
        return prefix > 32 ? Optional.empty() : Optional.of(new Ipv4Block(address.get(), prefix));
    }

    /** A canonical dotted-decimal IPv4 address as an int; empty for anything else (IPv6 included). */
    static Optional<Integer> address(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) return Optional.empty();
        int value = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) return Optional.empty();
            if (p.length() > 1 && p.charAt(0) == '0') return Optional.empty();
            int octet = Integer.parseInt(p);
            if (octet > 255) return Optional.empty();
            value = value << 8 | octet;
        }
        return Optional.of(value);
    }

    boolean contains(int address) {
        return (address & mask(prefix)) == base;
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    @Override
    public String toString() {
        return ServiceStrategy.ipv4(base) + "/" + prefix;
    }
}
