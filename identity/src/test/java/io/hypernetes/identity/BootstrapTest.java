package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.identity.AuthRequest.DomainRef;
import io.hypernetes.identity.AuthRequest.Password;
import io.hypernetes.identity.AuthRequest.ProjectRef;
import io.hypernetes.identity.AuthRequest.UserRef;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTest {
    static final URI AUTH = URI.create("https://127.0.0.1:5000/v3");

    @TempDir
    Path dir;

    Store store;
    Directory directory;
    Passwords passwords = new Passwords(new Passwords.Parameters(64, 1, 1));

    @BeforeEach
    void open() {
        store = EmbeddedStore.open(dir.resolve("store"));
        directory = new Directory(store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void firstStartCreatesTheAdminAndAnOpenrcTheShellSources() throws Exception {
        Path ca = dir.resolve("pki/ca.crt");
        Bootstrap.Result result = Bootstrap.run(directory, passwords, dir, AUTH, ca);
        String password = result.adminPassword().orElseThrow();
        assertThat(password).matches("[A-Za-z0-9_-]{24}");

        assertThat(directory.domain("default").orElseThrow().name()).isEqualTo("Default");
        assertThat(directory.roles()).extracting(Role::name).containsExactlyInAnyOrder("admin", "member", "reader");
        Project admin = directory.projectByName("default", "admin").orElseThrow();
        User user = directory.userByName("default", "admin").orElseThrow();
        Role adminRole = directory.roleByName("admin").orElseThrow();
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL))
                .containsExactly(new RoleAssignment(adminRole.id(), user.id(), Scope.project(admin.id())));
        assertThat(passwords.verify(password, user.passwordHash())).isTrue();

        Path rc = result.openrc();
        assertThat(rc).isEqualTo(dir.resolve("admin-openrc"));
        assertThat(Files.getPosixFilePermissions(rc)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = sourced(rc);
        assertThat(env).containsEntry("OS_AUTH_URL", "https://127.0.0.1:5000/v3")
                .containsEntry("OS_IDENTITY_API_VERSION", "3")
                .containsEntry("OS_USERNAME", "admin")
                .containsEntry("OS_PASSWORD", password)
                .containsEntry("OS_PROJECT_NAME", "admin")
                .containsEntry("OS_USER_DOMAIN_NAME", "Default")
                .containsEntry("OS_PROJECT_DOMAIN_NAME", "Default")
                .containsEntry("OS_CACERT", ca.toAbsolutePath().toString());

        // and the credentials in it work
        Authenticator auth = new Authenticator(directory, passwords, Tokens.open(dir, store, Clock.systemUTC(), Tokens.DEFAULT_LIFETIME), Clock.systemUTC());
        DomainRef domain = new DomainRef.ByName(env.get("OS_USER_DOMAIN_NAME"));
        var issued = auth.authenticate(new AuthRequest(new Password(new UserRef.ByName(env.get("OS_USERNAME"), domain), env.get("OS_PASSWORD")),
                new ProjectRef.ByName(env.get("OS_PROJECT_NAME"), new DomainRef.ByName(env.get("OS_PROJECT_DOMAIN_NAME")))), "local");
        assertThat(issued.body().roles()).extracting(Role::name).containsExactly("admin");
    }

    @Test
    void aSecondStartChangesNothingAndRevealsNothing() throws Exception {
        Bootstrap.run(directory, passwords, dir, AUTH, null);
        String rc = Files.readString(dir.resolve("admin-openrc"));
        long revision = store.revision();
        Bootstrap.Result again = Bootstrap.run(directory, passwords, dir, AUTH, null);
        assertThat(again.adminPassword()).isEmpty();
        assertThat(store.revision()).isEqualTo(revision);
        assertThat(Files.readString(dir.resolve("admin-openrc"))).isEqualTo(rc).doesNotContain("OS_CACERT");
        assertThat(again.toString()).doesNotContain(sourced(dir.resolve("admin-openrc")).get("OS_PASSWORD"));
    }

    @Test
    void aStartAfterAPartialOneFinishesTheJob() {
        // as if a crash came after the domain and one role
        directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
        directory.createRole(Role.of("member"));
        Bootstrap.Result result = Bootstrap.run(directory, passwords, dir, AUTH, null);
        assertThat(result.adminPassword()).isPresent();
        assertThat(directory.roles()).hasSize(3);
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).hasSize(1);
    }

    @Test
    void theAdminRoleIsRestoredIfSomeoneRevokedIt() {
        Bootstrap.run(directory, passwords, dir, AUTH, null);
        RoleAssignment a = directory.assignments(Directory.AssignmentFilter.ALL).getFirst();
        directory.revoke(a);
        Bootstrap.run(directory, passwords, dir, AUTH, null);
        assertThat(directory.holds(a)).isTrue();
    }

    @Test
    void shellQuotingSurvivesHostileValues() throws Exception {
        Path rc = dir.resolve("rc");
        Files.writeString(rc, Bootstrap.openrc(URI.create("https://h:5000/v3"), "it's $(rm -rf /) `x`",
                Path.of("/tmp/a b'c"), new Domain("default", "Dom ain", "", true)), StandardCharsets.UTF_8);
        Map<String, String> env = sourced(rc);
        assertThat(env).containsEntry("OS_PASSWORD", "it's $(rm -rf /) `x`").containsEntry("OS_CACERT", "/tmp/a b'c")
                .containsEntry("OS_USER_DOMAIN_NAME", "Dom ain");
        assertThat(Optional.ofNullable(env.get("OS_USERNAME"))).contains("admin");
    }

    /** What a shell sees after {@code source FILE}. */
    private static Map<String, String> sourced(Path rc) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "set -e; source \"$1\"; env -0", "-", rc.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        Map<String, String> env = new TreeMap<>();
        for (String line : out.split("\0")) {
            int eq = line.indexOf('=');
            if (line.startsWith("OS_") && eq > 0) env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return env;
    }
}
