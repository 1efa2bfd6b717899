package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.identity.AuthRequest;
import io.hypernetes.identity.Directory;
import io.hypernetes.identity.Directory.AssignmentFilter;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Domains, projects, users, roles, grants and role assignments: Keystone's CRUD over the {@link Directory}.
 *
 * <p>Every write is administration ({@code admin} on the caller's project). Reads follow Keystone's default
 * policy where it lets non-administrators in: a user reads itself, the projects it holds a role on, the domain
 * it or its project lives in, and its own grants. Bodies are checked whole before the first write, and fields
 * this service does not keep (tags, options, extra attributes) are refused unless empty, so nothing a client
 * sends is silently dropped.
 */
final class DirectoryResource {
    /** Keystone's default domain for objects created without one (its {@code default_domain_id}). */
    private static final String DEFAULT_DOMAIN = Domain.DEFAULT_ID;
    /** What any id this service makes or accepts looks like; anything else cannot exist, so it is a 404. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final Identity identity;
    private final Directory directory;
    private final Views views;

    DirectoryResource(Identity identity, Views views) {
        this.identity = identity;
        this.directory = identity.directory();
        this.views = views;
    }

    void register(Router r) {
        r.add("POST", "/v3/domains", this::createDomain)
                .add("GET", "/v3/domains", this::listDomains)
                .add("GET", "/v3/domains/{}", this::getDomain)
                .add("PATCH", "/v3/domains/{}", this::updateDomain)
                .add("DELETE", "/v3/domains/{}", this::deleteDomain)
                .add("POST", "/v3/projects", this::createProject)
                .add("GET", "/v3/projects", this::listProjects)
                .add("GET", "/v3/projects/{}", this::getProject)
                .add("PATCH", "/v3/projects/{}", this::updateProject)
                .add("DELETE", "/v3/projects/{}", this::deleteProject)
                .add("POST", "/v3/users", this::createUser)
                .add("GET", "/v3/users", this::listUsers)
                .add("GET", "/v3/users/{}", this::getUser)
                .add("PATCH", "/v3/users/{}", this::updateUser)
                .add("DELETE", "/v3/users/{}", this::deleteUser)
                .add("POST", "/v3/users/{}/password", this::changePassword)
                .add("GET", "/v3/users/{}/projects", this::userProjects)
                .add("POST", "/v3/roles", this::createRole)
                .add("GET", "/v3/roles", this::listRoles)
                .add("GET", "/v3/roles/{}", this::getRole)
                .add("PATCH", "/v3/roles/{}", this::updateRole)
                .add("DELETE", "/v3/roles/{}", this::deleteRole)
                .add("GET", "/v3/role_assignments", this::listAssignments);
        for (String target : List.of("projects", "domains")) {
            String grant = "/v3/" + target + "/{}/users/{}/roles/{}";
            r.add("PUT", grant, this::grant)
                    .add("GET", grant, this::checkGrant)
                    .add("DELETE", grant, this::revokeGrant)
                    .add("GET", "/v3/" + target + "/{}/users/{}/roles", this::listGrants);
        }
    }

    // ---- domains

    private Reply createDomain(Call call) {
        call.caller().requireAdmin("identity:create_domain");
        ObjectNode d = Fields.entity(call.body(), "domain");
        Fields.only(d, "domain.", Set.of("name", "description", "enabled", "tags", "options"));
        noExtras(d, "domain.", "tags", "options");
        Domain domain = Domain.of(Fields.requiredString(d, "domain.", "name"), Fields.string(d, "domain.", "description").orElse(""))
                .withEnabled(Fields.bool(d, "domain.", "enabled").orElse(true));
        return created("domain", views.domain(directory.createDomain(domain)));
    }

    private Reply listDomains(Call call) {
        call.caller().requireAdmin("identity:list_domains");
        Predicate<Domain> keep = d -> matches(call, "name", d.name()) && enabledMatches(call, d.enabled());
        return Reply.ok(views.list("domains", directory.domains().stream().filter(keep).map(views::domain).toList(), "/domains"));
    }

    private Reply getDomain(Call call) {
        Caller caller = call.caller();
        Domain domain = found(directory.domain(id(call, 0, "domain")), "domain", call.param(0));
        boolean own = caller.token().user().domainId().equals(domain.id())
                || (caller.token().project() != null && caller.token().project().domainId().equals(domain.id()));
        caller.require(caller.admin() || own, "identity:get_domain");
        return Reply.ok(entity("domain", views.domain(domain)));
    }

    private Reply updateDomain(Call call) {
        call.caller().requireAdmin("identity:update_domain");
        String id = id(call, 0, "domain");
        ObjectNode d = Fields.entity(call.body(), "domain");
        Fields.only(d, "domain.", Set.of("name", "description", "enabled", "tags", "options"));
        noExtras(d, "domain.", "tags", "options");
        Optional<String> name = Fields.string(d, "domain.", "name");
        Optional<String> description = description(d, "domain.");
        Optional<Boolean> enabled = Fields.bool(d, "domain.", "enabled");
        Domain updated = directory.updateDomain(id, x -> {
            Domain next = x;
            if (name.isPresent()) next = next.withName(name.get());
            if (description.isPresent()) next = next.withDescription(description.get());
            if (enabled.isPresent()) next = next.withEnabled(enabled.get());
            return next;
        });
        return Reply.ok(entity("domain", views.domain(updated)));
    }

    private Reply deleteDomain(Call call) {
        call.caller().requireAdmin("identity:delete_domain");
        directory.deleteDomain(id(call, 0, "domain"));
        return Reply.noContent();
    }

    // ---- projects

    private Reply createProject(Call call) {
        call.caller().requireAdmin("identity:create_project");
        ObjectNode p = Fields.entity(call.body(), "project");
        Fields.only(p, "project.", Set.of("name", "domain_id", "description", "enabled", "is_domain", "parent_id", "tags", "options"));
        noExtras(p, "project.", "tags", "options");
        String domainId = Fields.string(p, "project.", "domain_id").orElse(DEFAULT_DOMAIN);
        if (Fields.bool(p, "project.", "is_domain").orElse(false)) {
            throw Fields.invalid("project.is_domain", "projects acting as domains are not supported; create a domain instead");
        }
        Optional<String> parent = Fields.string(p, "project.", "parent_id");
        if (parent.isPresent() && !parent.get().equals(domainId)) {
            throw Fields.invalid("project.parent_id", "project hierarchies are not supported; a project's parent is its domain");
        }
        Project project = Project.of(Fields.requiredString(p, "project.", "name"), domainId,
                        Fields.string(p, "project.", "description").orElse(""))
                .withEnabled(Fields.bool(p, "project.", "enabled").orElse(true));
        return created("project", views.project(directory.createProject(project)));
    }

    private Reply listProjects(Call call) {
        call.caller().requireAdmin("identity:list_projects");
        Predicate<Project> keep = p -> matches(call, "name", p.name()) && matches(call, "domain_id", p.domainId())
                && matches(call, "parent_id", p.domainId()) && enabledMatches(call, p.enabled())
                && !call.flag("is_domain");
        return Reply.ok(views.list("projects", directory.projects(Optional.empty()).stream().filter(keep).map(views::project).toList(),
                "/projects"));
    }

    private Reply getProject(Call call) {
        Caller caller = call.caller();
        Project project = found(directory.project(id(call, 0, "project")), "project", call.param(0));
        caller.require(caller.admin() || !directory.rolesOn(caller.userId(), Scope.project(project.id())).isEmpty(),
                "identity:get_project");
        return Reply.ok(entity("project", views.project(project)));
    }

    private Reply updateProject(Call call) {
        call.caller().requireAdmin("identity:update_project");
        String id = id(call, 0, "project");
        ObjectNode p = Fields.entity(call.body(), "project");
        Fields.only(p, "project.", Set.of("name", "domain_id", "description", "enabled", "tags", "options"));
        noExtras(p, "project.", "tags", "options");
        Optional<String> name = Fields.string(p, "project.", "name");
        Optional<String> domainId = Fields.string(p, "project.", "domain_id");
        Optional<String> description = description(p, "project.");
        Optional<Boolean> enabled = Fields.bool(p, "project.", "enabled");
        Project updated = directory.updateProject(id, x -> {
            if (domainId.isPresent() && !domainId.get().equals(x.domainId())) {
                throw Fields.invalid("project.domain_id", "a project cannot move to another domain");
            }
            Project next = x;
            if (name.isPresent()) next = next.withName(name.get());
            if (description.isPresent()) next = next.withDescription(description.get());
            if (enabled.isPresent()) next = next.withEnabled(enabled.get());
            return next;
        });
        return Reply.ok(entity("project", views.project(updated)));
    }

    private Reply deleteProject(Call call) {
        call.caller().requireAdmin("identity:delete_project");
        directory.deleteProject(id(call, 0, "project"));
        return Reply.noContent();
    }

    // ---- users

    private static final Set<String> USER_FIELDS =
            Set.of("name", "domain_id", "enabled", "password", "description", "email", "default_project_id", "options");

    private Reply createUser(Call call) {
        call.caller().requireAdmin("identity:create_user");
        ObjectNode u = Fields.entity(call.body(), "user");
        Fields.only(u, "user.", USER_FIELDS);
        noExtras(u, "user.", "description", "email", "default_project_id", "options");
        String name = Fields.requiredString(u, "user.", "name");
        String domainId = Fields.string(u, "user.", "domain_id").orElse(DEFAULT_DOMAIN);
        boolean enabled = Fields.bool(u, "user.", "enabled").orElse(true);
        Optional<String> password = password(u, "user.password");
        // Everything is checked before the costly hash: a bad request must not buy a second of Argon2id.
        User probe = User.of(name, domainId, "").withEnabled(enabled);
        User user = probe.withPasswordHash(password.map(pw -> identity.passwords().hash(pw)).orElse(""));
        return created("user", views.user(directory.createUser(user)));
    }

    private Reply listUsers(Call call) {
        call.caller().requireAdmin("identity:list_users");
        Predicate<User> keep = u -> matches(call, "name", u.name()) && matches(call, "domain_id", u.domainId())
                && enabledMatches(call, u.enabled());
        return Reply.ok(views.list("users", directory.users(Optional.empty()).stream().filter(keep).map(views::user).toList(), "/users"));
    }

    private Reply getUser(Call call) {
        Caller caller = call.caller();
        String id = id(call, 0, "user");
        caller.require(caller.admin() || caller.is(id), "identity:get_user");
        return Reply.ok(entity("user", views.user(found(directory.user(id), "user", id))));
    }

    /** A password set here goes through the Authenticator, so the user's existing tokens die with the old one. */
    private Reply updateUser(Call call) {
        call.caller().requireAdmin("identity:update_user");
        String id = id(call, 0, "user");
        ObjectNode u = Fields.entity(call.body(), "user");
        Fields.only(u, "user.", USER_FIELDS);
        noExtras(u, "user.", "description", "email", "default_project_id", "options");
        Optional<String> name = Fields.string(u, "user.", "name");
        Optional<String> domainId = Fields.string(u, "user.", "domain_id");
        Optional<Boolean> enabled = Fields.bool(u, "user.", "enabled");
        Optional<String> password = password(u, "user.password");
        User updated = directory.updateUser(id, x -> {
            if (domainId.isPresent() && !domainId.get().equals(x.domainId())) {
                throw Fields.invalid("user.domain_id", "a user cannot move to another domain");
            }
            User next = x;
            if (name.isPresent()) next = next.withName(name.get());
            if (enabled.isPresent()) next = next.withEnabled(enabled.get());
            return next;
        });
        if (password.isPresent()) updated = identity.authenticator().changePassword(id, password.get());
        return Reply.ok(entity("user", views.user(updated)));
    }

    private Reply deleteUser(Call call) {
        call.caller().requireAdmin("identity:delete_user");
        directory.deleteUser(id(call, 0, "user"));
        return Reply.noContent();
    }

    /**
     * {@code POST /v3/users/{id}/password}: the original password is the proof, as in Keystone, where this call
     * needs no token (so a user whose token is gone can still change it). Wrong originals are throttled exactly
     * like wrong logins, and the change voids the user's tokens.
     */
    private Reply changePassword(Call call) {
        ObjectNode u = Fields.entity(call.body(), "user");
        Fields.only(u, "user.", Set.of("password", "original_password"));
        String original = Fields.requiredString(u, "user.", "original_password");
        String next = password(u, "user.password").orElseThrow(() -> Fields.invalid("user.password", "is required"));
        if (original.length() > AuthRequest.MAX_PASSWORD) {
            throw Fields.invalid("user.original_password", "at most " + AuthRequest.MAX_PASSWORD + " characters");
        }
        identity.authenticator().verifyPassword(call.param(0), original, call.source());
        identity.authenticator().changePassword(call.param(0), next);
        return Reply.noContent();
    }

    private Reply userProjects(Call call) {
        Caller caller = call.caller();
        String id = id(call, 0, "user");
        caller.require(caller.admin() || caller.is(id), "identity:list_user_projects");
        found(directory.user(id), "user", id);
        List<ObjectNode> projects = directory.assignments(new AssignmentFilter(id, null, null, null)).stream()
                .filter(a -> a.scope() instanceof Scope.OnProject)
                .map(a -> a.scope().id())
                .distinct()
                .map(directory::project)
                .flatMap(Optional::stream)
                .map(views::project)
                .toList();
        return Reply.ok(views.list("projects", projects, "/users/" + id + "/projects"));
    }

    // ---- roles

    private Reply createRole(Call call) {
        call.caller().requireAdmin("identity:create_role");
        ObjectNode r = Fields.entity(call.body(), "role");
        Fields.only(r, "role.", Set.of("name", "domain_id", "description", "options"));
        noExtras(r, "role.", "domain_id", "description", "options");
        return created("role", views.role(directory.createRole(Role.of(Fields.requiredString(r, "role.", "name")))));
    }

    /** Every role here is global: asking for one domain's roles finds none. */
    private Reply listRoles(Call call) {
        call.caller().requireAdmin("identity:list_roles");
        boolean domainSpecific = call.query("domain_id") != null && !call.query("domain_id").isEmpty();
        Predicate<Role> keep = role -> !domainSpecific && matches(call, "name", role.name());
        return Reply.ok(views.list("roles", directory.roles().stream().filter(keep).map(views::role).toList(), "/roles"));
    }

    private Reply getRole(Call call) {
        call.caller().requireAdmin("identity:get_role");
        String id = id(call, 0, "role");
        return Reply.ok(entity("role", views.role(found(directory.role(id), "role", id))));
    }

    private Reply updateRole(Call call) {
        call.caller().requireAdmin("identity:update_role");
        String id = id(call, 0, "role");
        ObjectNode r = Fields.entity(call.body(), "role");
        Fields.only(r, "role.", Set.of("name", "description", "options"));
        noExtras(r, "role.", "description", "options");
        Optional<String> name = Fields.string(r, "role.", "name");
        Role updated = directory.updateRole(id, x -> name.map(n -> new Role(x.id(), n)).orElse(x));
        return Reply.ok(entity("role", views.role(updated)));
    }

    private Reply deleteRole(Call call) {
        call.caller().requireAdmin("identity:delete_role");
        directory.deleteRole(id(call, 0, "role"));
        return Reply.noContent();
    }

    // ---- grants: /v3/{projects|domains}/{target}/users/{user}/roles[/{role}]

    private Reply grant(Call call) {
        call.caller().requireAdmin("identity:create_grant");
        directory.grant(assignment(call));
        return Reply.noContent();
    }

    private Reply checkGrant(Call call) {
        Caller caller = call.caller();
        RoleAssignment a = assignment(call);
        caller.require(caller.admin() || caller.is(a.userId()), "identity:check_grant");
        if (!directory.holds(a)) throw notFoundAssignment(a);
        return Reply.noContent();
    }

    private Reply revokeGrant(Call call) {
        call.caller().requireAdmin("identity:revoke_grant");
        directory.revoke(assignment(call));
        return Reply.noContent();
    }

    private Reply listGrants(Call call) {
        Caller caller = call.caller();
        Scope scope = scope(call);
        String userId = id(call, 1, "user");
        caller.require(caller.admin() || caller.is(userId), "identity:list_grants");
        switch (scope) {
            case Scope.OnProject p -> found(directory.project(p.id()), "project", p.id());
            case Scope.OnDomain d -> found(directory.domain(d.id()), "domain", d.id());
        }
        found(directory.user(userId), "user", userId);
        List<ObjectNode> roles = directory.rolesOn(userId, scope).stream().map(views::role).toList();
        return Reply.ok(views.list("roles", roles, "/" + scope.type() + "s/" + scope.id() + "/users/" + userId + "/roles"));
    }

    private Scope scope(Call call) {
        boolean project = call.path().startsWith("/v3/projects/");
        String id = id(call, 0, project ? "project" : "domain");
        return project ? Scope.project(id) : Scope.domain(id);
    }

    private RoleAssignment assignment(Call call) {
        Scope scope = scope(call);
        return new RoleAssignment(id(call, 2, "role"), id(call, 1, "user"), scope);
    }

    private static KeystoneError notFoundAssignment(RoleAssignment a) {
        return new KeystoneError(404, "Could not find role assignment: role " + a.roleId() + " for user " + a.userId()
                + " on " + a.scope().type() + " " + a.scope().id() + ".");
    }

    // ---- GET /v3/role_assignments

    /**
     * Direct assignments with Keystone's filters. There are no groups, no inherited or system assignments and no
     * project hierarchy, so {@code effective} lists the same assignments and filters on those find nothing.
     */
    private Reply listAssignments(Call call) {
        call.caller().requireAdmin("identity:list_role_assignments");
        String userId = call.query("user.id");
        String projectId = call.query("scope.project.id");
        String domainId = call.query("scope.domain.id");
        String roleId = call.query("role.id");
        if (projectId != null && domainId != null) {
            throw Fields.bad("Specify at most one of scope.project.id and scope.domain.id.");
        }
        if (call.flag("include_subtree") && projectId == null) {
            throw Fields.bad("include_subtree needs scope.project.id.");
        }
        boolean none = call.query("group.id") != null || call.query("scope.OS-INHERIT:inherited_to") != null
                || call.query("scope.system") != null
                || Stream.of(userId, projectId, domainId, roleId).anyMatch(v -> v != null && !ID.matcher(v).matches());
        boolean names = call.flag("include_names");
        List<ObjectNode> out = none ? List.of()
                : directory.assignments(new AssignmentFilter(userId, projectId, domainId, roleId)).stream()
                        .map(a -> views.assignment(a, names, directory))
                        .toList();
        return Reply.ok(views.list("role_assignments", out, "/role_assignments"));
    }

    // ---- helpers

    /** Path parameter {@code i} as an id; one that no object could have is simply not found. */
    private static String id(Call call, int i, String kind) {
        String id = call.param(i);
        if (!ID.matcher(id).matches()) throw notFound(kind, id);
        return id;
    }

    private static <T> T found(Optional<T> value, String kind, String id) {
        return value.orElseThrow(() -> notFound(kind, id));
    }

    private static KeystoneError notFound(String kind, String id) {
        return new KeystoneError(404, "Could not find " + kind + ": " + Fields.printable(id) + ".");
    }

    private static Reply created(String key, ObjectNode value) {
        return Reply.json(201, entity(key, value));
    }

    private static ObjectNode entity(String key, ObjectNode value) {
        ObjectNode root = Json.object();
        root.set(key, value);
        return root;
    }

    private static void noExtras(ObjectNode o, String path, String... fields) {
        for (String f : fields) Fields.emptyOnly(o, path, f);
    }

    /** A description in a PATCH: null clears it, as in Keystone. */
    private static Optional<String> description(ObjectNode o, String path) {
        if (o.has("description") && o.get("description").isNull()) return Optional.of("");
        return Fields.string(o, path, "description");
    }

    /** A new password: a non-empty string within the length every login is held to (null: none). */
    private static Optional<String> password(ObjectNode o, String field) {
        Optional<String> pw = Fields.string(o, "user.", "password");
        if (pw.isPresent() && pw.get().isEmpty()) throw Fields.invalid(field, "must not be empty");
        if (pw.isPresent() && pw.get().length() > AuthRequest.MAX_PASSWORD) {
            throw Fields.invalid(field, "at most " + AuthRequest.MAX_PASSWORD + " characters");
        }
        return pw;
    }

    /** An equality filter from the query: absent matches everything. */
    private static boolean matches(Call call, String param, String value) {
        String wanted = call.query(param);
        return wanted == null || wanted.equals(value);
    }

    private static boolean enabledMatches(Call call, boolean enabled) {
        return call.query("enabled") == null || call.flag("enabled") == enabled;
    }
}
