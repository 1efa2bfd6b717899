package io.hypernetes.client.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesUpToTheCapAndResets() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 1.0);
        assertThat(b.next()).isEqualTo(Duration.ofMillis(100));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(200));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(400));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(800));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(1000));
        assertThat(b.next()).isEqualTo(Duration.ofMillis(1000));
        assertThat(b.failures()).isEqualTo(6);
        b.reset();
        assertThat(b.next()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void jitterStaysWithinTheUpperHalf() {
        Backoff low = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), () -> 0.0);
        assertThat(low.next()).isEqualTo(Duration.ofMillis(50));
        assertThat(low.next()).isEqualTo(Duration.ofMillis(100));
        Backoff mid = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), () -> 0.5);
        assertThat(mid.next()).isEqualTo(Duration.ofMillis(75));
    }

    @Test
    void manyFailuresDoNotOverflow() {
        Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofSeconds(30), () -> 1.0);
        for (int i = 0; i < 200; i++) assertThat(b.next()).isLessThanOrEqualTo(Duration.ofSeconds(30)).isPositive();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), () -> 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
