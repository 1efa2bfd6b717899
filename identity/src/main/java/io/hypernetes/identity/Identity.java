package io.hypernetes.identity;

import io.hypernetes.store.Store;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The identity service's parts, wired the one way the server runs them: the directory and revocations in the
 * cluster's Store, the token keys in {@code dataDir/identity/keys}, Argon2id with the default parameters.
 * The HTTP front (a later session) takes one of these.
 */
public record Identity(Directory directory, Passwords passwords, Tokens tokens, Authenticator authenticator) {
    public static Identity open(Store store, Path dataDir, Clock clock) {
        Directory directory = new Directory(store, clock);
        Passwords passwords = new Passwords();
        Tokens tokens = Tokens.open(dataDir, store, clock, Tokens.DEFAULT_LIFETIME);
        return new Identity(directory, passwords, tokens, new Authenticator(directory, passwords, tokens, clock));
    }
}
