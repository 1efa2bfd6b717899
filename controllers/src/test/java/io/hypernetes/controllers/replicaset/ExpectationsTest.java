package io.hypernetes.controllers.replicaset;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ExpectationsTest {
    @Test
    void outstandingCreatesAndDeletesHoldTheKeyUntilObserved() {
        Expectations e = new Expectations();
        assertThat(e.satisfied("t/a")).isTrue();
        e.expectCreations("t/a", 2);
        assertThat(e.satisfied("t/a")).isFalse();
        e.creationObserved("t/a");
        assertThat(e.satisfied("t/a")).isFalse();
        e.creationObserved("t/a");
        assertThat(e.satisfied("t/a")).isTrue();

        e.expectDeletions("t/a", Set.of("u1", "u2"));
        e.deletionObserved("t/a", "u1");
        e.deletionObserved("t/a", "u1"); // seen twice (deletionTimestamp, then gone): counted once
        assertThat(e.satisfied("t/a")).isFalse();
        e.deletionObserved("t/a", "u2");
        assertThat(e.satisfied("t/a")).isTrue();
        e.delete("t/a");
        assertThat(e.pendingCreations("t/a")).isZero();
    }
}
