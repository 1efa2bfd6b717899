package io.hypernetes.network.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Ipv4Test {
    @Test
    void parsesOnlyDottedQuads() {
        assertThat(Ipv4.parse("10.0.0.1")).map(Ipv4::toString).contains("10.0.0.1");
        assertThat(Ipv4.parse("255.255.255.255")).map(Ipv4::value).contains(0xFFFF_FFFFL);
        for (String bad : new String[] {"", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1 ", "a.b.c.d", "1.2.3.4.5", "-1.0.0.0"}) {
            assertThat(Ipv4.parse(bad)).as(bad).isEmpty();
        }
    }

    @Test
    void cidrsAreNetworksWithTheirHostBitsZero() {
        Ipv4.Cidr cidr = Ipv4.Cidr.parse("10.0.0.0/24").orElseThrow();
        assertThat(cidr.broadcast()).hasToString("10.0.0.255");
        assertThat(cidr.contains(Ipv4.parse("10.0.0.77").orElseThrow())).isTrue();
        assertThat(cidr.contains(Ipv4.parse("10.0.1.0").orElseThrow())).isFalse();
        assertThat(Ipv4.Cidr.parse("10.0.0.1/24")).isEmpty();
        assertThat(Ipv4.Cidr.parse("10.0.0.0/33")).isEmpty();
        assertThat(Ipv4.Cidr.parse("10.0.0.0/024")).isEmpty();
        assertThat(Ipv4.Cidr.parse("10.0.0.0")).isEmpty();
        assertThat(cidr.overlaps(Ipv4.Cidr.parse("10.0.0.128/25").orElseThrow())).isTrue();
        assertThat(cidr.overlaps(Ipv4.Cidr.parse("10.0.0.0/8").orElseThrow())).isTrue();
        assertThat(cidr.overlaps(Ipv4.Cidr.parse("10.0.1.0/24").orElseThrow())).isFalse();
    }

    @Test
    void transitLinksAreTheSlash30AtTheVniIndex() {
        Ipv4.Cidr range = Ipv4.Cidr.parse("100.64.0.0/10").orElseThrow();
        Rulesets.Transit transit = Rulesets.Transit.of(range, 7);
        assertThat(transit.host()).hasToString("100.64.0.29");
        assertThat(transit.router()).hasToString("100.64.0.30");
        assertThat(Rulesets.Transit.fits(range, (1 << 20) - 1)).isTrue();
        assertThat(Rulesets.Transit.fits(range, 1 << 20)).isFalse();
        assertThat(LinuxProvider.routerMac(0x0A0B0C)).isEqualTo("02:68:6e:0a:0b:0c");
    }
}
