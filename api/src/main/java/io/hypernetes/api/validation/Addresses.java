package io.hypernetes.api.validation;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.util.Optional;

/**
 * Strict IP and CIDR parsing. Never touches DNS, and rejects the legacy IPv4 forms ("010.1.1.1", "10.1")
 * that Kubernetes also rejects because different parsers read them differently.
 */
final class Addresses {
    private Addresses() {}

    /** An address as a number plus its width in bits (32 or 128). */
    record Ip(BigInteger value, int bits) {
        boolean isV4() {
            return bits == 32;
        }

        @Override
        public String toString() {
            byte[] raw = toBytes(value, bits / 8);
            if (bits == 32) return (raw[0] & 0xff) + "." + (raw[1] & 0xff) + "." + (raw[2] & 0xff) + "." + (raw[3] & 0xff);
            int[] groups = new int[8];
            for (int i = 0; i < 8; i++) groups[i] = (raw[2 * i] & 0xff) << 8 | (raw[2 * i + 1] & 0xff);
            // RFC 5952: compress the longest run (of at least two) zero groups.
            int bestStart = -1, bestLen = 1;
            for (int i = 0; i < 8; ) {
                if (groups[i] != 0) { i++; continue; }
                int j = i;
                while (j < 8 && groups[j] == 0) j++;
                if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
                i = j;
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                if (i == bestStart) {
                    sb.append("::");
                    i += bestLen - 1;
                    continue;
                }
                if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
                sb.append(Integer.toHexString(groups[i]));
            }
            return sb.toString();
        }
    }

    /** A prefix: the address as written and the prefix length. */
    record Cidr(Ip address, int prefix) {
        BigInteger mask() {
            return BigInteger.ONE.shiftLeft(address.bits).subtract(BigInteger.ONE)
                    .xor(BigInteger.ONE.shiftLeft(address.bits - prefix).subtract(BigInteger.ONE));
        }

        Ip network() {
            return new Ip(address.value.and(mask()), address.bits);
        }

        Ip last() {
            return new Ip(network().value.or(BigInteger.ONE.shiftLeft(address.bits - prefix).subtract(BigInteger.ONE)), address.bits);
        }

        boolean hostBitsZero() {
            return network().value.equals(address.value);
        }

        boolean contains(Ip ip) {
            return ip.bits == address.bits && ip.value.and(mask()).equals(network().value);
        }

        boolean overlaps(Cidr other) {
            return other.address.bits == address.bits && (contains(other.network()) || other.contains(network()));
        }

        @Override
        public String toString() {
            return address + "/" + prefix;
        }
    }

    static Optional<Ip> ip(String text) {
        if (text.indexOf(':') >= 0) return ipv6(text);
        return ipv4(text);
    }

    private static Optional<Ip> ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) return Optional.empty();
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) return Optional.empty();
            if (p.length() > 1 && p.charAt(0) == '0') return Optional.empty();
            int octet = Integer.parseInt(p);
            if (octet > 255) return Optional.empty();
            v = v << 8 | octet;
        }
        return Optional.of(new Ip(BigInteger.valueOf(v), 32));
    }

    private static Optional<Ip> ipv6(String text) {
        // ofLiteral would also take brackets and zone ids, which are not addresses in an API object.
        if (text.indexOf('[') >= 0 || text.indexOf('%') >= 0 || text.indexOf(']') >= 0) return Optional.empty();
        if (!text.matches("[0-9A-Fa-f:.]+")) return Optional.empty();
        try {
            var addr = Inet6Address.ofLiteral(text);
            byte[] raw = addr.getAddress();
            if (raw.length == 4) {
                // An IPv4-mapped literal (::ffff:a.b.c.d): Java hands back the IPv4 address; keep it IPv6.
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(raw, 0, mapped, 12, 4);
                raw = mapped;
            }
            return Optional.of(new Ip(new BigInteger(1, raw), 128));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static Optional<Cidr> cidr(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) return Optional.empty();
        String len = text.substring(slash + 1);
        if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) return Optional.empty();
        if (len.length() > 1 && len.charAt(0) == '0') return Optional.empty();
        Optional<Ip> ip = ip(text.substring(0, slash));
        if (ip.isEmpty()) return Optional.empty();
        int prefix = Integer.parseInt(len);
        if (prefix > ip.get().bits) return Optional.empty();
        return Optional.of(new Cidr(ip.get(), prefix));
    }

    private static byte[] toBytes(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[len];
        int copy = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - copy, out, len - copy, copy);
        return out;
    }
}
