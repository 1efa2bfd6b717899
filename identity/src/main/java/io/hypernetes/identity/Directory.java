package io.hypernetes.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The identity directory: domains, projects, users, roles and role assignments, kept in the cluster's
 * {@link Store} under {@code /identity/}. Every method is safe to call concurrently from any number of
 * threads or processes sharing the store: writes are conditional on the revision they read.
 *
 * <p>Referential rules follow Keystone: a project or user lives in an existing domain; an assignment names an
 * existing role, user and project or domain; deleting a project, user or role removes its assignments; a
 * domain is deleted only when disabled and empty (Keystone cascades instead; refusing is the safer default
 * until there is an API to show what would go).
 */
public final class Directory {
    static final String ASSIGNMENTS = Table.ROOT + "assignments/";
    private static final String EVERYWHERE = "-";

    private final Store store;
    private final Table<Domain> domains;
    private final Table<Project> projects;
    private final Table<User> users;
    private final Table<Role> roles;

    public Directory(Store store) {
        this(store, java.time.Clock.systemUTC());
    }

    /** The clock only ages name claims a crash left behind (see {@code Table}). */
    public Directory(Store store, java.time.Clock clock) {
        this.store = Objects.requireNonNull(store);
        this.domains = new Table<>(store, new DomainCodec(), clock);
        this.projects = new Table<>(store, new ProjectCodec(), clock);
        this.users = new Table<>(store, new UserCodec(), clock);
        this.roles = new Table<>(store, new RoleCodec(), clock);
    }

    // ---- domains

    public Domain createDomain(Domain domain) {
        return domains.create(domain);
    }

    public Optional<Domain> domain(String id) {
        return domains.get(id).map(Table.Versioned::value);
    }

    public Optional<Domain> domainByName(String name) {
        return domains.byName(EVERYWHERE, name);
    }

    public List<Domain> domains() {
        return domains.list();
    }

    public Domain updateDomain(String id, UnaryOperator<Domain> change) {
        return domains.update(id, change);
    }

    public Domain deleteDomain(String id) {
        return domains.delete(id, domain -> {
            if (domain.enabled()) {
                throw new ConflictException("Cannot delete a domain that is enabled; disable it first.");
            }
            if (projects.list().stream().anyMatch(p -> p.domainId().equals(id))
                    || users.list().stream().anyMatch(u -> u.domainId().equals(id))) {
                throw new ConflictException("Domain " + id + " still holds projects or users; delete them first.");
            }
        });
    }

    // ---- projects

    public Project createProject(Project project) {
        requireDomain(project.domainId());
        Project created = projects.create(project);
        // The domain may have been deleted while we wrote: undo rather than leave a project in no domain.
        if (domain(project.domainId()).isEmpty()) {
            projects.delete(project.id(), p -> {});
            throw domains.notFound(project.domainId());
        }
        return created;
    }

    public Optional<Project> project(String id) {
        return projects.get(id).map(Table.Versioned::value);
    }

    public Optional<Project> projectByName(String domainId, String name) {
        return projects.byName(domainId, name);
    }

    /** Projects, optionally only those of one domain (Keystone's {@code domain_id} filter). */
    public List<Project> projects(Optional<String> domainId) {
        return projects.list().stream().filter(p -> domainId.map(p.domainId()::equals).orElse(true)).toList();
    }

    public Project updateProject(String id, UnaryOperator<Project> change) {
        return projects.update(id, change);
    }

    /** Deletes the project and every role assignment on it. */
    public Project deleteProject(String id) {
        projects.get(id).orElseThrow(() -> projects.notFound(id));
        removeAssignments(new AssignmentFilter(null, id, null, null));
        Project gone = projects.delete(id, p -> {});
        removeAssignments(new AssignmentFilter(null, id, null, null));
        return gone;
    }

    // ---- users

    public User createUser(User user) {
        requireDomain(user.domainId());
        User created = users.create(user);
        if (domain(user.domainId()).isEmpty()) {
            users.delete(user.id(), u -> {});
            throw domains.notFound(user.domainId());
        }
        return created;
    }

    public Optional<User> user(String id) {
        return users.get(id).map(Table.Versioned::value);
    }

    public Optional<User> userByName(String domainId, String name) {
        return users.byName(domainId, name);
    }

    public List<User> users(Optional<String> domainId) {
        return users.list().stream().filter(u -> domainId.map(u.domainId()::equals).orElse(true)).toList();
    }

    public User updateUser(String id, UnaryOperator<User> change) {
        return users.update(id, change);
    }

    /** Deletes the user and every role assignment it holds. */
    public User deleteUser(String id) {
        users.get(id).orElseThrow(() -> users.notFound(id));
        removeAssignments(new AssignmentFilter(id, null, null, null));
        User gone = users.delete(id, u -> {});
        removeAssignments(new AssignmentFilter(id, null, null, null));
        return gone;
    }

    // ---- roles

    public Role createRole(Role role) {
        return roles.create(role);
    }

    public Optional<Role> role(String id) {
        return roles.get(id).map(Table.Versioned::value);
    }

    public Optional<Role> roleByName(String name) {
        return roles.byName(EVERYWHERE, name);
    }

    public List<Role> roles() {
        return roles.list();
    }

    public Role updateRole(String id, UnaryOperator<Role> change) {
        return roles.update(id, change);
    }

    /** Deletes the role and every assignment of it. */
    public Role deleteRole(String id) {
        roles.get(id).orElseThrow(() -> roles.notFound(id));
        removeAssignments(new AssignmentFilter(null, null, null, id));
        Role gone = roles.delete(id, r -> {});
        removeAssignments(new AssignmentFilter(null, null, null, id));
        return gone;
    }

    // ---- role assignments

    /** Keystone's filters on {@code GET /v3/role_assignments} (direct assignments); null means any. */
    public record AssignmentFilter(String userId, String projectId, String domainId, String roleId) {
        public static final AssignmentFilter ALL = new AssignmentFilter(null, null, null, null);

        public AssignmentFilter {
            if (projectId != null && domainId != null) {
                throw new ValidationException("scope.project.id and scope.domain.id cannot both be given");
            }
        }

        boolean matches(RoleAssignment a) {
            return (userId == null || userId.equals(a.userId()))
                    && (roleId == null || roleId.equals(a.roleId()))
                    && (projectId == null || a.scope().equals(Scope.project(projectId)))
                    && (domainId == null || a.scope().equals(Scope.domain(domainId)));
        }
    }

    /** Grants a role; granting one already held is not an error (Keystone's PUT is idempotent). */
    public RoleAssignment grant(RoleAssignment assignment) {
        requireTargets(assignment);
        try {
            store.create(assignmentKey(assignment), Json.bytes(assignmentJson(assignment)));
        } catch (KeyExistsException held) {
            return assignment;
        }
        // A concurrent delete of the user, role or target may have missed our key: re-check and undo.
        try {
            requireTargets(assignment);
        } catch (NotFoundException gone) {
            revoke(assignment);
            throw gone;
        }
        return assignment;
    }

    public void revoke(RoleAssignment assignment) {
        try {
            store.delete(assignmentKey(assignment), 0);
        } catch (KeyNotFoundException e) {
            throw new NotFoundException("Could not find role assignment: role " + assignment.roleId() + " for user "
                    + assignment.userId() + " on " + assignment.scope().type() + " " + assignment.scope().id() + ".");
        }
    }

    public boolean holds(RoleAssignment assignment) {
        return store.get(assignmentKey(assignment)).isPresent();
    }

    /**
     * Assignments matching the filter, in key order (scope type, scope id, user, role). A project or domain
     * filter reads only that scope's keys; a user or role filter alone reads them all, which is fine at
     * directory sizes (thousands) and avoids a second index the Store could not update atomically with the first.
     */
    public List<RoleAssignment> assignments(AssignmentFilter filter) {
        String prefix = ASSIGNMENTS;
        if (filter.projectId() != null) prefix += "project/" + Ids.check("project id", filter.projectId()) + "/";
        else if (filter.domainId() != null) prefix += "domain/" + Ids.check("domain id", filter.domainId()) + "/";
        if (!prefix.equals(ASSIGNMENTS) && filter.userId() != null) prefix += Ids.check("user id", filter.userId()) + "/";
        List<RoleAssignment> out = new ArrayList<>();
        for (KeyValue kv : store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()) {
            RoleAssignment a = parseAssignment(kv);
            if (filter.matches(a)) out.add(a);
        }
        return out;
    }

    /** The roles a user holds directly on a project or domain, by name order. */
    public List<Role> rolesOn(String userId, Scope scope) {
        AssignmentFilter filter = switch (scope) {
            case Scope.OnProject p -> new AssignmentFilter(userId, p.id(), null, null);
            case Scope.OnDomain d -> new AssignmentFilter(userId, null, d.id(), null);
        };
        return assignments(filter).stream()
                .map(a -> role(a.roleId()))
                .flatMap(Optional::stream)
                .sorted(java.util.Comparator.comparing(Role::name))
                .toList();
    }

    /*
     * Deletes cascade in three steps, assignments, object, assignments again: a crash part way leaves either
     * the object with fewer assignments (a deletion half done, which a retry finishes) or nothing dangling, and
     * the second sweep catches a grant that raced the deletion.
     */
    private void removeAssignments(AssignmentFilter filter) {
        for (RoleAssignment a : assignments(filter)) {
            try {
                store.delete(assignmentKey(a), 0);
            } catch (KeyNotFoundException alreadyGone) {
                // a concurrent revoke got there first
            }
        }
    }

    private void requireDomain(String domainId) {
        if (domain(domainId).isEmpty()) throw domains.notFound(domainId);
    }

    private void requireTargets(RoleAssignment a) {
        if (role(a.roleId()).isEmpty()) throw roles.notFound(a.roleId());
        if (user(a.userId()).isEmpty()) throw users.notFound(a.userId());
        switch (a.scope()) {
            case Scope.OnProject p -> { if (project(p.id()).isEmpty()) throw projects.notFound(p.id()); }
            case Scope.OnDomain d -> requireDomain(d.id());
        }
    }

    static String assignmentKey(RoleAssignment a) {
        return ASSIGNMENTS + a.scope().type() + "/" + a.scope().id() + "/" + a.userId() + "/" + a.roleId();
    }

    private static ObjectNode assignmentJson(RoleAssignment a) {
        ObjectNode json = Json.object();
        json.put("role_id", a.roleId()).put("user_id", a.userId());
        json.putObject("scope").put("type", a.scope().type()).put("id", a.scope().id());
        return json;
    }

    private static RoleAssignment parseAssignment(KeyValue kv) {
        try {
            JsonNode json = Json.parse(kv.value());
            JsonNode scope = json.path("scope");
            String scopeId = scope.path("id").asText();
            Scope s = scope.path("type").asText().equals("domain") ? Scope.domain(scopeId) : Scope.project(scopeId);
            return new RoleAssignment(json.path("role_id").asText(), json.path("user_id").asText(), s);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt role assignment at " + kv.key(), e);
        }
    }

    // ---- stored forms: Keystone's field names, plus the password hash, which only the store ever sees

    private static final class DomainCodec implements Table.Codec<Domain> {
        public String kind() { return "domains"; }
        public String id(Domain d) { return d.id(); }
        public String name(Domain d) { return d.name(); }
        public String nameScope(Domain d) { return EVERYWHERE; }
        public ObjectNode toJson(Domain d) {
            return Json.object().put("id", d.id()).put("name", d.name()).put("description", d.description()).put("enabled", d.enabled());
        }
        public Domain fromJson(JsonNode j) {
            return new Domain(j.path("id").asText(), j.path("name").asText(), j.path("description").asText(), j.path("enabled").asBoolean());
        }
    }

    private static final class ProjectCodec implements Table.Codec<Project> {
        public String kind() { return "projects"; }
        public String id(Project p) { return p.id(); }
        public String name(Project p) { return p.name(); }
        public String nameScope(Project p) { return p.domainId(); }
        public ObjectNode toJson(Project p) {
            return Json.object().put("id", p.id()).put("name", p.name()).put("domain_id", p.domainId())
                    .put("description", p.description()).put("enabled", p.enabled());
        }
        public Project fromJson(JsonNode j) {
            return new Project(j.path("id").asText(), j.path("name").asText(), j.path("domain_id").asText(),
                    j.path("description").asText(), j.path("enabled").asBoolean());
        }
    }

    private static final class UserCodec implements Table.Codec<User> {
        public String kind() { return "users"; }
        public String id(User u) { return u.id(); }
        public String name(User u) { return u.name(); }
        public String nameScope(User u) { return u.domainId(); }
        public ObjectNode toJson(User u) {
            return Json.object().put("id", u.id()).put("name", u.name()).put("domain_id", u.domainId())
                    .put("enabled", u.enabled()).put("password_hash", u.passwordHash());
        }
        public User fromJson(JsonNode j) {
            return new User(j.path("id").asText(), j.path("name").asText(), j.path("domain_id").asText(),
                    j.path("enabled").asBoolean(), j.path("password_hash").asText());
        }
    }

    private static final class RoleCodec implements Table.Codec<Role> {
        public String kind() { return "roles"; }
        public String id(Role r) { return r.id(); }
        public String name(Role r) { return r.name(); }
        public String nameScope(Role r) { return EVERYWHERE; }
        public ObjectNode toJson(Role r) {
            return Json.object().put("id", r.id()).put("name", r.name());
        }
        public Role fromJson(JsonNode j) {
            return new Role(j.path("id").asText(), j.path("name").asText());
        }
    }
}
