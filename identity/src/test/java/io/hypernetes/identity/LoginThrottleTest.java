package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    LoginThrottle throttle = new LoginThrottle(clock, 3, Duration.ofSeconds(1), Duration.ofSeconds(60));

    void fail(String user, String source) {
        throttle.begin(user, source).failed();
    }

    @Test
    void backsOffExponentiallyAfterTheFreeFailuresUpToTheCap() {
        for (int i = 0; i < 3; i++) fail("u", "10.0.0.1");
        long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
        for (long seconds : expected) {
            fail("u", "10.0.0.1");
            assertThatThrownBy(() -> throttle.begin("u", "10.0.0.1")).isInstanceOfSatisfying(ThrottledException.class,
                    e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(seconds)));
            clock.advance(Duration.ofSeconds(seconds));
        }
        throttle.begin("u", "10.0.0.1").succeeded();
        assertThat(throttle.tracked()).isZero();
    }

    @Test
    void isPerUserAndSourceAndClearedBySuccess() {
        for (int i = 0; i < 4; i++) fail("u", "a");
        assertThatThrownBy(() -> throttle.begin("u", "a")).isInstanceOf(ThrottledException.class);
        throttle.begin("u", "b").succeeded();
        throttle.begin("v", "a").succeeded();
        clock.advance(Duration.ofSeconds(1));
        throttle.begin("u", "a").succeeded();
        fail("u", "a");
        fail("u", "a");
        throttle.begin("u", "a").failed(); // counting started over: still free
    }

    @Test
    void parallelGuessesCannotOutrunTheBudget() {
        // Three free failures: three attempts may be in flight, the fourth waits, whatever their outcome will be.
        List<LoginThrottle.Attempt> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) inFlight.add(throttle.begin("u", "a"));
        assertThatThrownBy(() -> throttle.begin("u", "a")).isInstanceOf(ThrottledException.class);
        inFlight.forEach(LoginThrottle.Attempt::failed);
        // all three failed: now one attempt at a time, and it only after the lockout
        LoginThrottle.Attempt next = throttle.begin("u", "a");
        assertThatThrownBy(() -> throttle.begin("u", "a")).isInstanceOf(ThrottledException.class);
        next.failed();
        assertThatThrownBy(() -> throttle.begin("u", "a")).isInstanceOfSatisfying(ThrottledException.class,
                e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1)));
    }

    @Test
    void anAttemptCountsOnce() {
        LoginThrottle.Attempt a = throttle.begin("u", "a");
        a.failed();
        a.failed();
        a.succeeded();
        fail("u", "a");
        fail("u", "a");
        fail("u", "a"); // the fourth failure: locked
        assertThatThrownBy(() -> throttle.begin("u", "a")).isInstanceOf(ThrottledException.class);
    }

    @Test
    void idlePairsStartOver() {
        for (int i = 0; i < 10; i++) {
            fail("u", "a");
            clock.advance(Duration.ofSeconds(60));
        }
        clock.advance(Duration.ofMinutes(3));
        // forgotten: three free failures again, the fourth locks
        for (int i = 0; i < 3; i++) throttle.begin("u", "a").failed();
        throttle.begin("u", "a").failed();
        assertThatThrownBy(() -> throttle.begin("u", "a")).isInstanceOf(ThrottledException.class);
    }

    @Test
    void stateIsBounded() {
        for (int i = 0; i < 10_050; i++) fail("u" + i, "a");
        clock.advance(Duration.ofMinutes(3));
        fail("last", "a");
        assertThat(throttle.tracked()).isEqualTo(1);
    }
}
