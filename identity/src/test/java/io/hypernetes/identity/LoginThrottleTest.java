package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    LoginThrottle throttle = new LoginThrottle(clock, 3, Duration.ofSeconds(1), Duration.ofSeconds(60));

    @Test
    void backsOffExponentiallyAfterTheFreeFailuresUpToTheCap() {
        for (int i = 0; i < 3; i++) {
            throttle.check("u", "10.0.0.1");
            throttle.failure("u", "10.0.0.1");
        }
        throttle.check("u", "10.0.0.1"); // three free failures
        long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
        for (long seconds : expected) {
            throttle.failure("u", "10.0.0.1");
            assertThatThrownBy(() -> throttle.check("u", "10.0.0.1")).isInstanceOfSatisfying(ThrottledException.class,
                    e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(seconds)));
            clock.advance(Duration.ofSeconds(seconds));
            throttle.check("u", "10.0.0.1");
        }
    }

    @Test
    void isPerUserAndSourceAndClearedBySuccess() {
        for (int i = 0; i < 4; i++) throttle.failure("u", "a");
        assertThatThrownBy(() -> throttle.check("u", "a")).isInstanceOf(ThrottledException.class);
        throttle.check("u", "b");
        throttle.check("v", "a");
        clock.advance(Duration.ofSeconds(1));
        throttle.success("u", "a");
        throttle.failure("u", "a");
        throttle.check("u", "a"); // counting starts over
    }

    @Test
    void idlePairsStartOver() {
        for (int i = 0; i < 10; i++) throttle.failure("u", "a");
        clock.advance(Duration.ofMinutes(3));
        throttle.failure("u", "a");
        throttle.check("u", "a");
    }

    @Test
    void stateIsBounded() {
        for (int i = 0; i < 10_050; i++) throttle.failure("u" + i, "a");
        clock.advance(Duration.ofMinutes(3));
        throttle.failure("last", "a");
        assertThat(throttle.tracked()).isEqualTo(1);
    }
}
