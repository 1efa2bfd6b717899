package io.hypernetes.controllers.network;

import static io.hypernetes.controllers.ControlPlane.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AddressPoolTest {
    private static AddressPool pool(String subnets) {
        return AddressPool.of(yaml("{spec: {subnets: " + subnets + "}}"));
    }

    @Test
    void everyHostButTheGatewayOnceThenFull() {
        AddressPool p = pool("{s: {cidr: 192.168.7.0/29, gateway: 192.168.7.6}}");
        assertThat(p.usable()).isEqualTo(5);
        Set<String> held = new HashSet<>();
        String last = null;
        for (int i = 0; i < 5; i++) {
            last = p.next(last, held).orElseThrow();
            held.add(last);
        }
        assertThat(held).containsExactlyInAnyOrder("192.168.7.1", "192.168.7.2", "192.168.7.3", "192.168.7.4", "192.168.7.5");
        assertThat(p.next(last, held)).isEmpty();
    }

    @Test
    void nextFitWrapsAroundAndAcrossSubnetsInNameOrder() {
        AddressPool p = pool("{b: {cidr: 10.1.0.0/30, gateway: 10.1.0.1}, a: {cidr: 10.0.0.0/30, gateway: 10.0.0.1}}");
        // a: .1 (gateway) .2; b: .1 (gateway) .2
        assertThat(p.next(null, Set.of())).contains("10.0.0.2");
        assertThat(p.next("10.0.0.2", Set.of())).contains("10.1.0.2");
        assertThat(p.next("10.1.0.2", Set.of())).contains("10.0.0.2");
        assertThat(p.next("10.1.0.2", Set.of("10.0.0.2"))).contains("10.1.0.2");
        assertThat(p.next("203.0.113.9", Set.of())).as("an address not in the pool starts from the beginning").contains("10.0.0.2");
    }

    @Test
    void gatewayDefaultsToTheFirstHostAndOtherFamiliesAreLeftOut() {
        AddressPool p = pool("{v4: {cidr: 172.16.0.0/24}, v6: {cidr: 'fd00::/64'}, bad: {cidr: nonsense}}");
        assertThat(p.ranges()).hasSize(1);
        assertThat(p.next(null, Set.of())).contains("172.16.0.2");
        assertThat(p.usable()).isEqualTo(253);
        assertThat(AddressPool.firstHost("10.9.8.0/22")).contains("10.9.8.1");
        assertThat(AddressPool.parse("10.0.0.256")).isEmpty();
        assertThat(AddressPool.parse("10.0.0")).isEmpty();
        assertThat(AddressPool.parse("1.2.3.4")).contains(0x01020304L);
        assertThat(pool("{}").next(null, Set.of())).isEqualTo(Optional.empty());
        assertThat(List.of(AddressPool.format(0xFFFFFFFEL))).containsExactly("255.255.255.254");
    }
}
