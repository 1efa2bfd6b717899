package io.hypernetes.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.auth.InProcessTokenValidator;
import io.hypernetes.client.KubeClient;
import io.hypernetes.identity.AuthRequest;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link TestCluster} that accepts Keystone tokens from the identity core sharing the server's store, as
 * {@code hypernetes up} runs them, with the default domain and the roles {@code member}, {@code reader} and
 * {@code admin}: the shared fixture of tests that act as tenants. Clients it makes are closed with it.
 */
final class Tenants implements AutoCloseable {
    final TestCluster cluster;
    final Identity identity;
    final Role member;
    final Role reader;
    final Role admin;
    private final List<KubeClient> clients = new ArrayList<>();

    private Tenants(TestCluster cluster, Identity identity) {
        this.cluster = cluster;
        this.identity = identity;
        var directory = identity.directory();
        directory.createDomain(new Domain(Domain.DEFAULT_ID, Domain.DEFAULT_NAME, "", true));
        member = directory.createRole(Role.of("member"));
        reader = directory.createRole(Role.of("reader"));
        admin = directory.createRole(Role.of("admin"));
    }

    static Tenants start() {
        AtomicReference<Identity> made = new AtomicReference<>();
        TestCluster cluster = TestCluster.start(store -> {
            try {
                made.set(Identity.open(store, Files.createTempDirectory("hypernetes-tenants-identity"), Clock.systemUTC()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new InProcessTokenValidator(made.get());
        });
        return new Tenants(cluster, made.get());
    }

    Project project(String name) {
        return identity.directory().createProject(Project.of(name, Domain.DEFAULT_ID, ""));
    }

    /** Creates user {@code name} (password {@code <name>-secret-1}) with {@code role} on {@code project}; returns the name. */
    String user(String name, Role role, Project project) {
        User u = identity.directory().createUser(User.of(name, Domain.DEFAULT_ID, identity.passwords().hash(name + "-secret-1")));
        identity.directory().grant(new RoleAssignment(role.id(), u.id(), Scope.project(project.id())));
        return name;
    }

    /**
     * A kubeconfig for {@code name}'s Keystone token (scoped to {@code project}, or unscoped) and no certificate:
     * what stock kubectl is given, too.
     */
    Path kubeconfig(String name, Project project) {
        var scope = project == null ? null : new AuthRequest.ProjectRef.ById(project.id());
        String token = identity.authenticator().authenticate(new AuthRequest(new AuthRequest.Password(
                new AuthRequest.UserRef.ByName(name, new AuthRequest.DomainRef.ById(Domain.DEFAULT_ID)), name + "-secret-1"), scope),
                "127.0.0.1").token();
        try {
            ObjectNode config = (ObjectNode) Json.YAML.readTree(cluster.server.kubeconfig().toFile());
            for (JsonNode u : config.path("users")) ((ObjectNode) u.path("user")).removeAll().put("token", token);
            Path file = cluster.dataDir.resolve(name + "-" + (project == null ? "unscoped" : project.name()) + ".kubeconfig");
            Json.YAML.writeValue(file.toFile(), config);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A client presenting {@code name}'s Keystone token (see {@link #kubeconfig}). */
    KubeClient client(String name, Project project) {
        KubeClient c = KubeClient.fromKubeconfig(kubeconfig(name, project));
        clients.add(c);
        return c;
    }

    @Override
    public void close() {
        clients.forEach(KubeClient::close);
        cluster.close();
    }
}
