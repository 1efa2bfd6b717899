package io.hypernetes.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
    final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void firstFailureRetriesAtOnceThenDoublesUpToTheMaximum() {
        RestartBackoff b = new RestartBackoff(Duration.ofSeconds(10), Duration.ofMinutes(5));
        assertThat(b.blockedUntil("p/c", t0, t0)).isNull();
        b.next("p/c", t0);
        // the second failure waits 10 s from when it happened
        Instant failed = t0.plusSeconds(1);
        assertThat(b.blockedUntil("p/c", failed, failed.plusSeconds(5))).isEqualTo(failed.plusSeconds(10));
        assertThat(b.blockedUntil("p/c", failed, failed.plusSeconds(10))).isNull();
        Instant now = failed.plusSeconds(10);
        Duration expected = Duration.ofSeconds(10);
        for (int i = 0; i < 8; i++) {
            assertThat(b.current("p/c")).isEqualTo(expected);
            b.next("p/c", now);
            expected = expected.multipliedBy(2).compareTo(Duration.ofMinutes(5)) > 0 ? Duration.ofMinutes(5) : expected.multipliedBy(2);
            now = now.plusSeconds(1);
        }
        assertThat(b.current("p/c")).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.current("p/other")).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aKeyQuietForTwiceTheMaximumStartsOver() {
        RestartBackoff b = new RestartBackoff(Duration.ofSeconds(10), Duration.ofMinutes(5));
        b.next("p/c", t0);
        b.next("p/c", t0);
        b.next("p/c", t0);
        assertThat(b.current("p/c")).isEqualTo(Duration.ofSeconds(40));
        Instant later = t0.plus(Duration.ofMinutes(11));
        assertThat(b.blockedUntil("p/c", later, later)).isNull();
        b.next("p/c", later);
        assertThat(b.current("p/c")).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void forgetDropsOnePodsKeys() {
        RestartBackoff b = new RestartBackoff(Duration.ofSeconds(10), Duration.ofMinutes(5));
        b.next("uid1/a", t0);
        b.next("uid1/a", t0);
        b.next("uid2/a", t0);
        b.next("uid2/a", t0);
        b.forget("uid1/");
        assertThat(b.current("uid1/a")).isEqualTo(Duration.ofSeconds(10));
        assertThat(b.current("uid2/a")).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void durationsReadAsTheKubeletPrintsThem() {
        assertThat(RestartBackoff.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(RestartBackoff.format(Duration.ofSeconds(10))).isEqualTo("10s");
        assertThat(RestartBackoff.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(RestartBackoff.format(Duration.ofSeconds(160))).isEqualTo("2m40s");
        assertThat(RestartBackoff.format(Duration.ofMinutes(5))).isEqualTo("5m0s");
    }
}
