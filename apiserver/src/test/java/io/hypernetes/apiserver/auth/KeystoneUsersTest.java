package io.hypernetes.apiserver.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.http.User;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeystoneUsersTest {
    @Test
    void scopedUsersCarryWhatK8sKeystoneAuthSends() {
        User u = KeystoneUsers.of("u1", "alice", "default", "Default", "p1", "tenant", List.of("member", "reader"));
        assertThat(u.name()).isEqualTo("alice");
        assertThat(u.groups()).containsExactly("p1", "system:authenticated");
        assertThat(u.extra()).isEqualTo(Map.of(
                "alpha.kubernetes.io/identity/project/id", List.of("p1"),
                "alpha.kubernetes.io/identity/project/name", List.of("tenant"),
                "alpha.kubernetes.io/identity/roles", List.of("member", "reader"),
                "alpha.kubernetes.io/identity/user/domain/id", List.of("default"),
                "alpha.kubernetes.io/identity/user/domain/name", List.of("Default"),
                "hypernetes.io/identity/user/id", List.of("u1")));
        assertThat(KeystoneUsers.isKeystone(u)).isTrue();
        assertThat(KeystoneUsers.projectId(u)).contains("p1");
        assertThat(KeystoneUsers.roles(u)).containsExactly("member", "reader");
        assertThat(KeystoneUsers.userId(u)).contains("u1");
    }

    @Test
    void unscopedUsersHaveNoProjectNoProjectGroupAndNoRoles() {
        User u = KeystoneUsers.of("u1", "alice", "default", "Default", null, "ignored", List.of());
        assertThat(u.groups()).containsExactly("system:authenticated");
        assertThat(u.extra()).containsOnlyKeys(KeystoneUsers.USER_ID, KeystoneUsers.USER_DOMAIN_ID, KeystoneUsers.USER_DOMAIN_NAME);
        assertThat(KeystoneUsers.isKeystone(u)).isTrue();
        assertThat(KeystoneUsers.projectId(u)).isEmpty();
        assertThat(KeystoneUsers.roles(u)).isEmpty();
    }

    @Test
    void certificateAndAnonymousUsersAreNotKeystoneUsersWhateverTheirGroups() {
        User cert = new User("admin", List.of("system:masters", "system:authenticated"), Map.of());
        for (User u : List.of(cert, User.ANONYMOUS)) {
            assertThat(KeystoneUsers.isKeystone(u)).isFalse();
            assertThat(KeystoneUsers.projectId(u)).isEmpty();
            assertThat(KeystoneUsers.roles(u)).isEmpty();
        }
        // Extras without the user id are not Keystone's word (nothing here makes such a user, but the accessors
        // must not trust them if something ever does).
        User lookalike = new User("x", List.of(), Map.of(KeystoneUsers.PROJECT_ID, List.of("p1"), KeystoneUsers.ROLES, List.of("admin")));
        assertThat(KeystoneUsers.projectId(lookalike)).isEmpty();
        assertThat(KeystoneUsers.roles(lookalike)).isEmpty();
    }
}
