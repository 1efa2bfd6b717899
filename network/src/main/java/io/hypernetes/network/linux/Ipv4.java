package io.hypernetes.network.linux;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * IPv4 addresses as unsigned 32-bit values, and prefixes of them. Tenant networks are IPv4 only (as the original's
 * were); parsing is strict (four decimal octets, no leading zeros) so what a tenant writes is what the kernel gets.
 */
record Ipv4(long value) {
    private static final Pattern DOTTED = Pattern.compile("(0|[1-9]\\d{0,2})(\\.(0|[1-9]\\d{0,2})){3}");

    Ipv4 {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("not an IPv4 address: " + value);
        }
    }

    static Optional<Ipv4> parse(String text) {
        if (text == null || !DOTTED.matcher(text).matches()) {
            return Optional.empty();
        }
        long value = 0;
        for (String octet : text.split("\\.")) {
            int n = Integer.parseInt(octet);
            if (n > 255) {
                return Optional.empty();
            }
            value = value << 8 | n;
        }
        return Optional.of(new Ipv4(value));
    }

    Ipv4 plus(long n) {
        return new Ipv4(value + n);
    }

    @Override
    public String toString() {
        return (value >> 24 & 255) + "." + (value >> 16 & 255) + "." + (value >> 8 & 255) + "." + (value & 255);
    }

    /** A network address and prefix length, e.g. {@code 10.0.0.0/24}; the host bits of {@code network} are zero. */
    record Cidr(Ipv4 network, int prefix) {
        Cidr {
            if (prefix < 0 || prefix > 32 || (network.value() & ~mask(prefix) & 0xFFFF_FFFFL) != 0) {
                throw new IllegalArgumentException("not a network: " + network + "/" + prefix);
            }
        }

        /** Parses {@code a.b.c.d/p}; empty when malformed or when host bits are set (10.0.0.1/24 is an address, not a network). */
        static Optional<Cidr> parse(String text) {
            if (text == null) {
                return Optional.empty();
            }
            int slash = text.indexOf('/');
            if (slash < 0 || !text.substring(slash + 1).matches("0|[1-9]\\d?")) {
                return Optional.empty();
            }
            int prefix = Integer.parseInt(text.substring(slash + 1));
            Optional<Ipv4> network = Ipv4.parse(text.substring(0, slash));
            if (network.isEmpty() || prefix > 32 || (network.get().value() & ~mask(prefix) & 0xFFFF_FFFFL) != 0) {
                return Optional.empty();
            }
            return Optional.of(new Cidr(network.get(), prefix));
        }

        private static long mask(int prefix) {
            return prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
        }

        long size() {
            return 1L << (32 - prefix);
        }

        Ipv4 broadcast() {
            return network.plus(size() - 1);
        }

        boolean contains(Ipv4 address) {
            return (address.value() & mask(prefix)) == network.value();
        }

        boolean overlaps(Cidr other) {
            return contains(other.network) || other.contains(network);
        }

        @Override
        public String toString() {
            return network + "/" + prefix;
        }
    }
}
