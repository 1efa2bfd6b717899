package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wired service with its real defaults (Argon2id at 19 MiB), across a restart. */
class IdentityTest {
    @TempDir
    Path dir;

    @Test
    void bootstrapLoginRestartValidate() {
        String token;
        String password;
        try (Store store = EmbeddedStore.open(dir.resolve("store"))) {
            Identity identity = Identity.open(store, dir, Clock.systemUTC());
            password = Bootstrap.run(identity.directory(), identity.passwords(), dir, URI.create("https://localhost:5000/v3"), null)
                    .adminPassword().orElseThrow();
            token = identity.authenticator().authenticate(new AuthRequest(
                    new AuthRequest.Password(new AuthRequest.UserRef.ByName("admin", new AuthRequest.DomainRef.ById("default")), password),
                    new AuthRequest.ProjectRef.ByName("admin", new AuthRequest.DomainRef.ById("default"))), "127.0.0.1").token();
        }
        try (Store store = EmbeddedStore.open(dir.resolve("store"))) {
            Identity identity = Identity.open(store, dir, Clock.systemUTC());
            assertThat(Bootstrap.run(identity.directory(), identity.passwords(), dir, URI.create("https://localhost:5000/v3"), null)
                    .adminPassword()).isEmpty();
            TokenBody body = identity.authenticator().validate(token);
            assertThat(body.user().name()).isEqualTo("admin");
            assertThat(body.project().name()).isEqualTo("admin");
            assertThat(body.roles()).extracting(Role::name).containsExactly("admin");
            assertThat(identity.passwords().verify(password, body.user().passwordHash())).isTrue();
        }
    }
}
