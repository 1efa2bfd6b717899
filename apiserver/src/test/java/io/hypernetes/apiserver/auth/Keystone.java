package io.hypernetes.apiserver.auth;

import io.hypernetes.identity.AuthRequest;
import io.hypernetes.identity.AuthRequest.DomainRef;
import io.hypernetes.identity.AuthRequest.Password;
import io.hypernetes.identity.AuthRequest.ProjectRef;
import io.hypernetes.identity.AuthRequest.UserRef;
import io.hypernetes.identity.Authenticator;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import io.hypernetes.store.Store;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The real identity core over a store, with one tenant: project {@code tenant}, user {@code alice} holding the
 * roles {@code member} and {@code reader} on it. What the tests log in with.
 */
final class Keystone {
    static final String PASSWORD = "wonderland-42";

    final Identity identity;
    final Project tenant;
    final User alice;
    final Role member;
    final Role reader;

    Keystone(Store store, Path dataDir, Clock clock) {
        identity = Identity.open(store, dataDir, clock);
        var directory = identity.directory();
        directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
        tenant = directory.createProject(Project.of("tenant", Domain.DEFAULT_ID, ""));
        alice = directory.createUser(User.of("alice", Domain.DEFAULT_ID, identity.passwords().hash(PASSWORD)));
        member = directory.createRole(Role.of("member"));
        reader = directory.createRole(Role.of("reader"));
        directory.grant(new RoleAssignment(member.id(), alice.id(), Scope.project(tenant.id())));
        directory.grant(new RoleAssignment(reader.id(), alice.id(), Scope.project(tenant.id())));
    }

    Authenticator authenticator() {
        return identity.authenticator();
    }

    /** A token for alice scoped to the tenant, as {@code openstack token issue} would get. */
    Authenticator.Issued scoped() {
        return login(new ProjectRef.ById(tenant.id()));
    }

    /** A token for alice with no project. */
    Authenticator.Issued unscoped() {
        return login(null);
    }

    private Authenticator.Issued login(ProjectRef scope) {
        return identity.authenticator().authenticate(new AuthRequest(
                new Password(new UserRef.ByName("alice", new DomainRef.ById(Domain.DEFAULT_ID)), PASSWORD), scope), "127.0.0.1");
    }
}
