package io.hypernetes.runtime.hollow;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodAddressesTest {
    @Test
    void givesOutHostAddressesButTheGatewayNextFitAndReusesFreedOnesLast() {
        PodAddresses addresses = PodAddresses.parse("10.1.2.0/29");
        assertThat(addresses.capacity()).isEqualTo(5);
        assertThat(addresses.take()).isEqualTo("10.1.2.2");
        assertThat(addresses.take()).isEqualTo("10.1.2.3");
        addresses.release("10.1.2.2");
        assertThat(addresses.take()).as("next fit: a freed address is not the next one given").isEqualTo("10.1.2.4");
        assertThat(addresses.take()).isEqualTo("10.1.2.5");
        assertThat(addresses.take()).isEqualTo("10.1.2.6");
        assertThat(addresses.take()).as("wraps to the freed one").isEqualTo("10.1.2.2");
        assertThat(addresses.take()).isNull();
        assertThat(addresses.inUse()).isEqualTo(5);
        addresses.release("192.168.0.9"); // not ours: ignored
        assertThat(addresses.inUse()).isEqualTo(5);
    }

    @Test
    void aThirtyHasOneAddress() {
        PodAddresses addresses = PodAddresses.parse("10.0.0.4/30");
        assertThat(addresses.take()).isEqualTo("10.0.0.6");
        assertThat(addresses.take()).isNull();
    }
}
