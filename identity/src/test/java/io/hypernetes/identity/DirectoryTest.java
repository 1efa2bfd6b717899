package io.hypernetes.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryTest {
    @TempDir
    Path dir;

    Store store;
    Directory directory;
    Domain def;

    @BeforeEach
    void open() {
        store = EmbeddedStore.open(dir.resolve("store"));
        directory = new Directory(store);
        def = directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void crudOfEveryKindUnderIdentityKeys() {
        Project p = directory.createProject(Project.of("tenant-a", "default", "first"));
        User u = directory.createUser(User.of("alice", "default", "hash"));
        Role r = directory.createRole(Role.of("member"));

        assertThat(store.get("/identity/projects/" + p.id())).isPresent();
        assertThat(store.get("/identity/users/" + u.id())).isPresent();
        assertThat(store.get("/identity/roles/" + r.id())).isPresent();
        assertThat(store.get("/identity/domains/default")).isPresent();

        assertThat(directory.project(p.id())).contains(p);
        assertThat(directory.projectByName("default", "tenant-a")).contains(p);
        assertThat(directory.userByName("default", "alice")).contains(u);
        assertThat(directory.roleByName("member")).contains(r);
        assertThat(directory.domainByName("Default")).contains(def);
        assertThat(directory.projects(Optional.empty())).containsExactly(p);
        assertThat(directory.users(Optional.of("default"))).containsExactly(u);
        assertThat(directory.users(Optional.of("other"))).isEmpty();
        assertThat(directory.roles()).containsExactly(r);

        Project renamed = directory.updateProject(p.id(), x -> x.withName("tenant-b").withDescription("second"));
        assertThat(directory.project(p.id())).contains(renamed);
        assertThat(directory.projectByName("default", "tenant-a")).isEmpty();
        assertThat(directory.projectByName("default", "tenant-b")).contains(renamed);
        // the old name is free again
        directory.createProject(Project.of("tenant-a", "default", ""));

        directory.deleteProject(p.id());
        assertThat(directory.project(p.id())).isEmpty();
        assertThat(directory.projectByName("default", "tenant-b")).isEmpty();
        assertThatThrownBy(() -> directory.deleteProject(p.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void namesAreUniquePerDomain() {
        Domain other = directory.createDomain(Domain.of("other", ""));
        directory.createProject(Project.of("p", "default", ""));
        assertThatThrownBy(() -> directory.createProject(Project.of("p", "default", "")))
                .isInstanceOf(ConflictException.class).hasMessageContaining("'p'");
        directory.createProject(Project.of("p", other.id(), "")); // another domain: fine
        directory.createUser(User.of("u", "default", ""));
        assertThatThrownBy(() -> directory.createUser(User.of("u", "default", ""))).isInstanceOf(ConflictException.class);
        directory.createRole(Role.of("r"));
        assertThatThrownBy(() -> directory.createRole(Role.of("r"))).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> directory.createDomain(Domain.of("other", ""))).isInstanceOf(ConflictException.class);
        Project q = directory.createProject(Project.of("q", "default", ""));
        assertThatThrownBy(() -> directory.updateProject(q.id(), x -> x.withName("p"))).isInstanceOf(ConflictException.class);
        assertThat(directory.project(q.id()).orElseThrow().name()).isEqualTo("q");
    }

    @Test
    void namesWithSlashesAndUnicodeStayInTheirKeys() {
        Project p = directory.createProject(Project.of("a/b ü %2F", "default", ""));
        assertThat(directory.projectByName("default", "a/b ü %2F")).contains(p);
        assertThat(directory.projectByName("default", "a")).isEmpty();
        store.range("/identity/", Store.prefixEnd("/identity/"), 0, 0).kvs()
                .forEach(kv -> assertThat(kv.key()).matches("[\\x21-\\x7e]+"));
    }

    @Test
    void concurrentCreatesOfOneNameLetExactlyOneWin() throws Exception {
        ConcurrentLinkedQueue<Object> outcomes = new ConcurrentLinkedQueue<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) {
                pool.submit(() -> {
                    try {
                        outcomes.add(directory.createProject(Project.of("contested", "default", "")));
                    } catch (ConflictException e) {
                        outcomes.add(e);
                    }
                });
            }
        }
        assertThat(outcomes.stream().filter(Project.class::isInstance)).hasSize(1);
        assertThat(directory.projects(Optional.empty())).hasSize(1);
    }

    @Test
    void anOrphanedNameClaimIsReclaimed() {
        // What a crash between claiming a name and writing the object leaves behind.
        java.time.Instant longAgo = java.time.Instant.now().minus(Table.ORPHAN_AFTER).minusSeconds(1);
        store.create("/identity/names/projects/default/ghost", Table.claim(Ids.generate(), longAgo));
        assertThat(directory.projectByName("default", "ghost")).isEmpty();
        Project p = directory.createProject(Project.of("ghost", "default", ""));
        assertThat(directory.projectByName("default", "ghost")).contains(p);
        // and what a crash between renaming and releasing the old name leaves behind
        store.create("/identity/names/projects/default/old", Table.claim(p.id(), longAgo));
        assertThat(directory.projectByName("default", "old")).isEmpty();
        assertThat(directory.createProject(Project.of("old", "default", "")).name()).isEqualTo("old");
        // a fresh claim is someone's create in flight: respected even though its object is not there yet
        store.create("/identity/names/projects/default/inflight", Table.claim(Ids.generate(), java.time.Instant.now()));
        assertThatThrownBy(() -> directory.createProject(Project.of("inflight", "default", ""))).isInstanceOf(ConflictException.class);
    }

    @Test
    void concurrentUpdatesAreNotLost() throws Exception {
        Project p = directory.createProject(Project.of("counter", "default", "0"));
        var updates = new java.util.ArrayList<java.util.concurrent.Future<Project>>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) {
                updates.add(pool.submit(() -> directory.updateProject(p.id(),
                        x -> x.withDescription(Integer.toString(Integer.parseInt(x.description()) + 1)))));
            }
        }
        for (var update : updates) update.get(); // none gave up
        assertThat(directory.project(p.id()).orElseThrow().description()).isEqualTo("20");
    }

    @Test
    void domainIdAndIdAreImmutable() {
        Domain other = directory.createDomain(Domain.of("other", ""));
        Project p = directory.createProject(Project.of("p", "default", ""));
        assertThatThrownBy(() -> directory.updateProject(p.id(), x -> new Project(x.id(), x.name(), other.id(), "", true)))
                .isInstanceOf(ValidationException.class).hasMessageContaining("domain_id");
        assertThatThrownBy(() -> directory.updateProject(p.id(), x -> Project.of("p", "default", "")))
                .isInstanceOf(ValidationException.class);
    }

    @Test
    void projectsAndUsersNeedAnExistingDomain() {
        assertThatThrownBy(() -> directory.createProject(Project.of("p", "nope", ""))).isInstanceOf(NotFoundException.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> directory.createUser(User.of("u", "nope", ""))).isInstanceOf(NotFoundException.class);
        assertThat(store.range("/identity/names/", Store.prefixEnd("/identity/names/"), 0, 0).kvs())
                .hasSize(1); // only the default domain's name: a refused create writes nothing
    }

    @Test
    void domainDeletionNeedsDisabledAndEmpty() {
        Domain d = directory.createDomain(Domain.of("d", ""));
        User u = directory.createUser(User.of("u", d.id(), ""));
        assertThatThrownBy(() -> directory.deleteDomain(d.id())).isInstanceOf(ConflictException.class).hasMessageContaining("enabled");
        directory.updateDomain(d.id(), x -> x.withEnabled(false));
        assertThatThrownBy(() -> directory.deleteDomain(d.id())).isInstanceOf(ConflictException.class).hasMessageContaining("users");
        directory.deleteUser(u.id());
        directory.deleteDomain(d.id());
        assertThat(directory.domainByName("d")).isEmpty();
    }

    @Test
    void assignmentsGrantRevokeAndFilterLikeKeystone() {
        Project p1 = directory.createProject(Project.of("p1", "default", ""));
        Project p2 = directory.createProject(Project.of("p2", "default", ""));
        User alice = directory.createUser(User.of("alice", "default", ""));
        User bob = directory.createUser(User.of("bob", "default", ""));
        Role member = directory.createRole(Role.of("member"));
        Role reader = directory.createRole(Role.of("reader"));

        RoleAssignment a1 = directory.grant(new RoleAssignment(member.id(), alice.id(), Scope.project(p1.id())));
        RoleAssignment a2 = directory.grant(new RoleAssignment(reader.id(), alice.id(), Scope.project(p2.id())));
        RoleAssignment a3 = directory.grant(new RoleAssignment(member.id(), bob.id(), Scope.project(p2.id())));
        RoleAssignment a4 = directory.grant(new RoleAssignment(reader.id(), bob.id(), Scope.domain("default")));
        directory.grant(a1); // idempotent

        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).containsExactlyInAnyOrder(a1, a2, a3, a4);
        assertThat(directory.assignments(new Directory.AssignmentFilter(alice.id(), null, null, null))).containsExactlyInAnyOrder(a1, a2);
        assertThat(directory.assignments(new Directory.AssignmentFilter(null, p2.id(), null, null))).containsExactlyInAnyOrder(a2, a3);
        assertThat(directory.assignments(new Directory.AssignmentFilter(null, null, "default", null))).containsExactly(a4);
        assertThat(directory.assignments(new Directory.AssignmentFilter(null, null, null, member.id()))).containsExactlyInAnyOrder(a1, a3);
        assertThat(directory.assignments(new Directory.AssignmentFilter(bob.id(), p2.id(), null, member.id()))).containsExactly(a3);
        assertThat(directory.assignments(new Directory.AssignmentFilter(bob.id(), p1.id(), null, null))).isEmpty();
        assertThatThrownBy(() -> new Directory.AssignmentFilter(null, p1.id(), "default", null)).isInstanceOf(ValidationException.class);

        assertThat(directory.rolesOn(alice.id(), Scope.project(p1.id()))).containsExactly(member);
        assertThat(directory.rolesOn(bob.id(), Scope.domain("default"))).containsExactly(reader);

        directory.revoke(a1);
        assertThat(directory.holds(a1)).isFalse();
        assertThatThrownBy(() -> directory.revoke(a1)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void grantingNeedsExistingRoleUserAndTarget() {
        Project p = directory.createProject(Project.of("p", "default", ""));
        User u = directory.createUser(User.of("u", "default", ""));
        Role r = directory.createRole(Role.of("r"));
        assertThatThrownBy(() -> directory.grant(new RoleAssignment(Ids.generate(), u.id(), Scope.project(p.id())))).isInstanceOf(NotFoundException.class).hasMessageContaining("role");
        assertThatThrownBy(() -> directory.grant(new RoleAssignment(r.id(), Ids.generate(), Scope.project(p.id())))).isInstanceOf(NotFoundException.class).hasMessageContaining("user");
        assertThatThrownBy(() -> directory.grant(new RoleAssignment(r.id(), u.id(), Scope.project(Ids.generate())))).isInstanceOf(NotFoundException.class).hasMessageContaining("project");
        assertThatThrownBy(() -> directory.grant(new RoleAssignment(r.id(), u.id(), Scope.domain("nope")))).isInstanceOf(NotFoundException.class).hasMessageContaining("domain");
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).isEmpty();
    }

    @Test
    void deletingAProjectUserOrRoleRemovesItsAssignments() {
        Project p1 = directory.createProject(Project.of("p1", "default", ""));
        Project p2 = directory.createProject(Project.of("p2", "default", ""));
        User alice = directory.createUser(User.of("alice", "default", ""));
        User bob = directory.createUser(User.of("bob", "default", ""));
        Role member = directory.createRole(Role.of("member"));
        Role reader = directory.createRole(Role.of("reader"));
        List<RoleAssignment> all = new ArrayList<>();
        for (Project p : List.of(p1, p2)) for (User u : List.of(alice, bob)) for (Role r : List.of(member, reader)) {
            all.add(directory.grant(new RoleAssignment(r.id(), u.id(), Scope.project(p.id()))));
        }
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).hasSize(8);
        directory.deleteProject(p1.id());
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).hasSize(4).allMatch(a -> a.scope().id().equals(p2.id()));
        directory.deleteUser(alice.id());
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).hasSize(2).allMatch(a -> a.userId().equals(bob.id()));
        directory.deleteRole(reader.id());
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).containsExactly(new RoleAssignment(member.id(), bob.id(), Scope.project(p2.id())));
    }

    @Test
    void grantsRacingAProjectDeletionLeaveNothingBehind() throws Exception {
        Role r = directory.createRole(Role.of("r"));
        List<User> users = new ArrayList<>();
        for (int i = 0; i < 8; i++) users.add(directory.createUser(User.of("u" + i, "default", "")));
        for (int round = 0; round < 5; round++) {
            Project p = directory.createProject(Project.of("doomed" + round, "default", ""));
            var start = new java.util.concurrent.CountDownLatch(1);
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (User u : users) {
                    pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < 20; i++) {
                            try {
                                directory.grant(new RoleAssignment(r.id(), u.id(), Scope.project(p.id())));
                                directory.revoke(new RoleAssignment(r.id(), u.id(), Scope.project(p.id())));
                            } catch (NotFoundException gone) {
                                return null;
                            }
                        }
                        return null;
                    });
                }
                start.countDown();
                directory.deleteProject(p.id());
            }
            assertThat(directory.assignments(new Directory.AssignmentFilter(null, p.id(), null, null))).isEmpty();
        }
    }

    @Test
    void everythingSurvivesAReopen() {
        Project p = directory.createProject(Project.of("p", "default", "kept"));
        User u = directory.createUser(User.of("u", "default", "h"));
        Role r = directory.createRole(Role.of("r"));
        RoleAssignment a = directory.grant(new RoleAssignment(r.id(), u.id(), Scope.project(p.id())));
        store.close();
        store = EmbeddedStore.open(dir.resolve("store"));
        directory = new Directory(store);
        assertThat(directory.project(p.id())).contains(p);
        assertThat(directory.user(u.id())).contains(u);
        assertThat(directory.user(u.id()).orElseThrow().passwordHash()).isEqualTo("h");
        assertThat(directory.assignments(Directory.AssignmentFilter.ALL)).containsExactly(a);
    }
}
