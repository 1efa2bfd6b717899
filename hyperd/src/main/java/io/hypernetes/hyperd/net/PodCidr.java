package io.hypernetes.hyperd.net;

/** An IPv4 pod CIDR (prefix 8..30): offset 0 is the network, 1 the gateway, the last the broadcast address. */
record PodCidr(String text, int network, int prefix) {
    static final int FIRST = 2;

    static PodCidr parse(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("pod CIDR is required, e.g. 10.244.3.0/24");
        }
        String[] parts = cidr.split("/", -1);
        String[] octets = parts[0].split("\\.", -1);
        if (parts.length != 2 || octets.length != 4) {
            throw new IllegalArgumentException("pod CIDR " + cidr + ": not an IPv4 CIDR like 10.244.3.0/24");
        }
        int address = 0;
        for (String octet : octets) {
            address = (address << 8) | number(cidr, octet, 0, 255);
        }
        int prefix = number(cidr, parts[1], 8, 30);
        int mask = -1 << (32 - prefix);
        if ((address & ~mask) != 0) {
            throw new IllegalArgumentException("pod CIDR " + cidr + ": host bits are set; the network is "
                    + format(address & mask) + "/" + prefix);
        }
        return new PodCidr(cidr, address, prefix);
    }

    private static int number(String cidr, String text, int min, int max) {
        if (text.isEmpty() || text.length() > 3 || !text.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("pod CIDR " + cidr + ": \"" + text + "\" is not a number");
        }
        int value = Integer.parseInt(text);
        if (value < min || value > max) {
            throw new IllegalArgumentException("pod CIDR " + cidr + ": " + value + " is outside " + min + ".." + max);
        }
        return value;
    }

    /** The last offset that may be given out (the one before broadcast). */
    int last() {
        return (1 << (32 - prefix)) - 2;
    }

    String gateway() {
        return address(1);
    }

    String address(int offset) {
        return format(network + offset);
    }

    int[] octets(int offset) {
        int a = network + offset;
        return new int[] {(a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255};
    }

    /** The offset of an address kept in network.json; fails if it is not one this CIDR gives out. */
    int offsetOf(String address) {
        String[] octets = address.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        int a = 0;
        for (String octet : octets) {
            a = (a << 8) | number(address, octet, 0, 255);
        }
        int offset = a - network;
        if (offset < FIRST || offset > last()) {
            throw new IllegalArgumentException(address + " is not a pod address in " + text);
        }
        return offset;
    }

    static String format(int a) {
        return ((a >>> 24) & 255) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
    }
}
