package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModelTest {
    @Test
    void generatedIdsAre32LowercaseHexAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = Ids.generate();
            assertThat(id).matches("[0-9a-f]{32}");
            assertThat(seen.add(id)).isTrue();
        }
        assertThat(Project.of("p", "default", null).id()).matches("[0-9a-f]{32}");
    }

    @Test
    void namesRejectControlCharactersBlankAndOverlong() {
        assertThatThrownBy(() -> Project.of("a\nb", "default", "")).isInstanceOf(ValidationException.class).hasMessageContaining("control");
        assertThatThrownBy(() -> Project.of("a\u0000", "default", "")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> Project.of("a\u202eb", "default", "")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> Project.of(" ", "default", "")).isInstanceOf(ValidationException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> Project.of(" x", "default", "")).isInstanceOf(ValidationException.class).hasMessageContaining("whitespace");
        assertThatThrownBy(() -> Project.of("x".repeat(65), "default", "")).isInstanceOf(ValidationException.class).hasMessageContaining("64");
        assertThat(Project.of("x".repeat(64), "default", "").name()).hasSize(64);
        assertThat(User.of("ü".repeat(255), "default", "").name()).hasSize(255);
        assertThatThrownBy(() -> User.of("u".repeat(256), "default", "")).isInstanceOf(ValidationException.class);
        assertThat(Role.of("Mitglied – ä").name()).isEqualTo("Mitglied – ä");
    }

    @Test
    void idsMustBeKeySafe() {
        assertThatThrownBy(() -> new Role("../x", "r")).isInstanceOf(ValidationException.class).hasMessageContaining("role id");
        assertThatThrownBy(() -> new Project("abc", "p", "a/b", "", true)).isInstanceOf(ValidationException.class).hasMessageContaining("domain_id");
        assertThat(new Domain("default", "Default", null, true).description()).isEmpty();
    }

    @Test
    void userToStringNeverShowsTheHash() {
        User u = User.of("alice", "default", "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA");
        assertThat(u.toString()).doesNotContain("argon2").contains("password=set");
        assertThat(User.of("bob", "default", null).hasPassword()).isFalse();
    }

    @Test
    void assignmentNeedsAScope() {
        assertThatThrownBy(() -> new RoleAssignment(Ids.generate(), Ids.generate(), null)).isInstanceOf(ValidationException.class);
        assertThat(Scope.project("p1").type()).isEqualTo("project");
        assertThat(Scope.domain("default").type()).isEqualTo("domain");
    }
}
