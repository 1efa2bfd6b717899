package io.hypernetes.cli;

import io.hypernetes.client.keystone.IssuedToken;
import io.hypernetes.client.keystone.KeystoneException;
import java.lang.reflect.Constructor;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Stands in for Keystone behind {@link KeystoneOptions.Issuer} (the seam the commands call through), so the
 * commands' decisions can be tested without a server: one user, one password, tokens valid for an hour.
 */
final class FakeKeystone implements KeystoneOptions.Issuer {
    record Call(KeystoneOptions.Target target, String password) {}

    final List<Call> calls = new ArrayList<>();
    final String password;
    Instant now;
    Optional<URI> kubernetesUrl = Optional.of(URI.create("https://127.0.0.1:6443"));
    int issued;

    FakeKeystone(String password, Instant now) {
        this.password = password;
        this.now = now;
    }

    @Override
    public IssuedToken issue(KeystoneOptions.Target target, String password) {
        calls.add(new Call(target, password));
        if (!password.equals(this.password)) throw refused();
        issued++;
        return new IssuedToken("token-" + issued, now.plus(Duration.ofHours(1)), "u1", target.username(), "p1", "demo", kubernetesUrl);
    }

    /** The exception KeystoneClient throws for a 401 (its constructor is package-private to the client). */
    private static KeystoneException refused() {
        try {
            Constructor<KeystoneException> c = KeystoneException.class.getDeclaredConstructor(int.class, String.class);
            c.setAccessible(true);
            return c.newInstance(401, "Keystone refused: The request you have made requires authentication. (401)");
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
