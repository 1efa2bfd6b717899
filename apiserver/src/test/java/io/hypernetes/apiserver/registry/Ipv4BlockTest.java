package io.hypernetes.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The address arithmetic external IP admission relies on: block edges, canonical forms only, the policy's syntax. */
class Ipv4BlockTest {
    private static int ip(String text) {
        return Ipv4Block.address(text).orElseThrow();
    }

    @Test
    void blocksContainExactlyTheirAddresses() {
        assertThat(ServiceStrategy.RANGE).hasToString("10.96.0.0/12");
        assertThat(ServiceStrategy.RANGE.contains(ip("10.96.0.0"))).isTrue();
        assertThat(ServiceStrategy.RANGE.contains(ip("10.111.255.255"))).isTrue();
        assertThat(ServiceStrategy.RANGE.contains(ip("10.95.255.255"))).isFalse();
        assertThat(ServiceStrategy.RANGE.contains(ip("10.112.0.0"))).isFalse();
        assertThat(ExternalIps.TRANSIT_RANGE.contains(ip("100.127.255.255"))).isTrue();
        assertThat(ExternalIps.TRANSIT_RANGE.contains(ip("100.128.0.0"))).isFalse();
        assertThat(ExternalIps.TRANSIT_RANGE.contains(ip("100.63.255.255"))).isFalse();
        assertThat(Ipv4Block.parse("0.0.0.0/0").contains(ip("255.255.255.255"))).isTrue();
        assertThat(Ipv4Block.parse("203.0.113.7").contains(ip("203.0.113.7"))).isTrue();
        assertThat(Ipv4Block.parse("203.0.113.7").contains(ip("203.0.113.8"))).isFalse();
        // host bits are dropped, as the kernel does for a route
        assertThat(Ipv4Block.parse("203.0.113.77/24")).hasToString("203.0.113.0/24");
    }

    @Test
    void onlyCanonicalDottedDecimalParses() {
        for (String bad : new String[] {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", "0x1.2.3.4", "1.2.3.-4", "::1",
                "1.2.3.4 ", "１.2.3.4"}) {
            assertThat(Ipv4Block.address(bad)).as(bad).isEmpty();
        }
        for (String bad : new String[] {"1.2.3.0/33", "1.2.3.0/", "1.2.3.0/08", "1.2.3.0/a", "1.2.3.0/24/1"}) {
            assertThat(Ipv4Block.parseCidr(bad)).as(bad).isEmpty();
        }
    }

    @Test
    void aPolicyEntryIsCommaSeparatedBlocksAndAnythingElseIsRefusedWhole() {
        assertThat(ExternalIps.parsePolicy(" 203.0.113.0/24, 198.51.100.7 ,")).extracting(Ipv4Block::toString)
                .containsExactly("203.0.113.0/24", "198.51.100.7/32");
        assertThat(ExternalIps.parsePolicy("")).isEmpty();
        assertThatThrownBy(() -> ExternalIps.parsePolicy("203.0.113.0/24, 2001:db8::/64"))
                .hasMessage("\"2001:db8::/64\" is not an IPv4 CIDR (203.0.113.0/24) or address (203.0.113.7)");
    }
}
