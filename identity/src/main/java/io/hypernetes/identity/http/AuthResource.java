package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.identity.AuthRequest;
import io.hypernetes.identity.AuthRequest.DomainRef;
import io.hypernetes.identity.AuthRequest.ProjectRef;
import io.hypernetes.identity.AuthRequest.UserRef;
import io.hypernetes.identity.Authenticator;
import io.hypernetes.identity.Directory;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Identity;
import io.hypernetes.identity.InvalidTokenException;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.TokenBody;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Version discovery and {@code /v3/auth/*}: issuing, validating and revoking tokens, and what a token may reach.
 * keystoneauth first GETs the auth URL (discovery), then POSTs {@code /v3/auth/tokens}; services validate a
 * user's token by sending their own as {@code X-Auth-Token} and the user's as {@code X-Subject-Token} (the API
 * server sends the user's token as both, which the token-subject rule allows).
 */
final class AuthResource {
    private static final Set<String> METHODS = Set.of("password", "token");

    private final Identity identity;
    private final Views views;

    AuthResource(Identity identity, Views views) {
        this.identity = identity;
        this.views = views;
    }

    void register(Router router) {
        router.add("GET", "/", this::versions)
                .add("GET", "/v3", this::version)
                .add("POST", "/v3/auth/tokens", this::issue)
                .add("GET", "/v3/auth/tokens", this::validate)
                .add("DELETE", "/v3/auth/tokens", this::revoke)
                .add("GET", "/v3/auth/projects", this::projects)
                .add("GET", "/v3/auth/domains", this::domains)
                .add("GET", "/v3/auth/catalog", this::catalog);
    }

    /** {@code GET /}: Keystone answers the unversioned root with 300 Multiple Choices and the list of versions. */
    private Reply versions(Call call) {
        ObjectNode root = Json.object();
        root.putObject("versions").putArray("values").add(views.version());
        return Reply.json(300, root);
    }

    private Reply version(Call call) {
        ObjectNode root = Json.object();
        root.set("version", views.version());
        return Reply.ok(root);
    }

    private Reply issue(Call call) {
        AuthRequest request = parse(call.body());
        Authenticator.Issued issued = identity.authenticator().authenticate(request, call.source());
        return Reply.json(201, render(issued.body(), call))
                .withHeader(Call.SUBJECT_TOKEN, issued.token());
    }

    private Reply validate(Call call) {
        String subject = call.header(Call.SUBJECT_TOKEN);
        TokenBody body = subject(call, subject, "identity:validate_token");
        return Reply.ok(render(body, call)).withHeader(Call.SUBJECT_TOKEN, subject);
    }

    private Reply revoke(Call call) {
        String subject = call.header(Call.SUBJECT_TOKEN);
        subject(call, subject, "identity:revoke_token");
        try {
            identity.authenticator().revoke(subject);
        } catch (InvalidTokenException raced) {
            // expired or revoked between the check and now: gone either way
        }
        return Reply.noContent();
    }

    /**
     * The subject token, once the caller is known (401 first), the subject is valid (404, as Keystone answers an
     * unknown token), and the caller may see it: an administrator, or the token's own user.
     */
    private TokenBody subject(Call call, String subject, String action) {
        Caller caller = call.caller();
        if (subject == null || subject.isEmpty()) {
            throw Fields.bad("The " + Call.SUBJECT_TOKEN + " header is required: it names the token to act on.");
        }
        TokenBody body;
        try {
            body = identity.authenticator().validate(subject);
        } catch (InvalidTokenException e) {
            throw new KeystoneError(404, "Could not find token: it is " + e.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ".");
        }
        caller.require(caller.admin() || caller.is(body.user().id()), action);
        return body;
    }

    /** Keystone gives scoped tokens a catalog (unless {@code ?nocatalog}) and unscoped ones none. */
    private ObjectNode render(TokenBody body, Call call) {
        boolean catalog = body.project() != null && !call.flag("nocatalog");
        return body.toJson(catalog ? views.catalog() : null);
    }

    private Reply projects(Call call) {
        call.caller();
        List<ObjectNode> projects = identity.authenticator().projectsFor(call.header(Call.AUTH_TOKEN)).stream()
                .map(views::project).toList();
        return Reply.ok(views.list("projects", projects, "/auth/projects"));
    }

    /** The enabled domains the caller holds a role on (domain-scoped tokens are not issued, but the list is Keystone's). */
    private Reply domains(Call call) {
        Caller caller = call.caller();
        Directory directory = identity.directory();
        List<ObjectNode> domains = directory.assignments(new Directory.AssignmentFilter(caller.userId(), null, null, null)).stream()
                .filter(a -> a.scope() instanceof Scope.OnDomain)
                .map(a -> a.scope().id())
                .distinct()
                .map(directory::domain)
                .flatMap(Optional::stream)
                .filter(Domain::enabled)
                .map(views::domain)
                .toList();
        return Reply.ok(views.list("domains", domains, "/auth/domains"));
    }

    private Reply catalog(Call call) {
        Caller caller = call.caller();
        if (caller.token().project() == null) {
            throw new KeystoneError(403, "A project-scoped token is required to produce a service catalog.");
        }
        ObjectNode root = Json.object();
        root.set("catalog", views.catalog());
        root.putObject("links").put("self", views.base() + "/auth/catalog").putNull("previous").putNull("next");
        return Reply.ok(root);
    }

    // ---- the POST /v3/auth/tokens body

    /**
     * {@code {"auth": {"identity": {"methods": [...], "password": {...} | "token": {...}}, "scope": ...}}}. One
     * method per request (Keystone's multi-factor combinations have no second factor here); the scope is a
     * project by id or by name within a domain, {@code "unscoped"}, or absent.
     */
    static AuthRequest parse(byte[] bytes) {
        ObjectNode auth = Fields.entity(bytes, "auth");
        ObjectNode ident = Fields.object(auth, "auth.", "identity").orElseThrow(() -> Fields.invalid("auth.identity", "is required"));
        JsonNode methods = ident.get("methods");
        if (!(methods instanceof ArrayNode list) || list.isEmpty()) {
            throw Fields.invalid("auth.identity.methods", "must be a non-empty list of method names");
        }
        Set<String> named = new LinkedHashSet<>();
        for (JsonNode m : list) {
            if (!m.isTextual()) throw Fields.invalid("auth.identity.methods", "must hold strings");
            if (!METHODS.contains(m.textValue())) {
                throw Fields.bad("Unsupported authentication method: " + Fields.printable(m.textValue())
                        + " (this service speaks password and token).");
            }
            named.add(m.textValue());
        }
        if (named.size() > 1) throw Fields.bad("Give one authentication method per request, password or token.");
        String method = named.iterator().next();
        ObjectNode credentials = Fields.object(ident, "auth.identity.", method)
                .orElseThrow(() -> Fields.invalid("auth.identity." + method, "is required by the method named in methods"));
        AuthRequest.Credentials creds = method.equals("password") ? password(credentials) : token(credentials);
        return new AuthRequest(creds, scope(auth.get("scope")));
    }

    private static AuthRequest.Password password(ObjectNode password) {
        String path = "auth.identity.password.user.";
        ObjectNode user = Fields.object(password, "auth.identity.password.", "user")
                .orElseThrow(() -> Fields.invalid("auth.identity.password.user", "is required"));
        String secret = Fields.requiredString(user, path, "password");
        Optional<String> id = Fields.string(user, path, "id");
        UserRef ref;
        if (id.isPresent()) {
            ref = new UserRef.ById(id.get());
        } else {
            String name = Fields.string(user, path, "name")
                    .orElseThrow(() -> Fields.invalid("auth.identity.password.user", "needs an id, or a name and a domain"));
            ObjectNode domain = Fields.object(user, path, "domain")
                    .orElseThrow(() -> Fields.invalid(path + "domain", "is required with a user name"));
            ref = new UserRef.ByName(name, domain(domain, path + "domain."));
        }
        return new AuthRequest.Password(ref, secret);
    }

    private static AuthRequest.ExistingToken token(ObjectNode token) {
        return new AuthRequest.ExistingToken(Fields.requiredString(token, "auth.identity.token.", "id"));
    }

    private static DomainRef domain(ObjectNode domain, String path) {
        Optional<String> id = Fields.string(domain, path, "id");
        if (id.isPresent()) return new DomainRef.ById(id.get());
        return new DomainRef.ByName(Fields.string(domain, path, "name")
                .orElseThrow(() -> Fields.invalid(path.substring(0, path.length() - 1), "needs an id or a name")));
    }

    private static ProjectRef scope(JsonNode scope) {
        if (scope == null || scope.isNull()) return null;
        if (scope.isTextual() && scope.textValue().equals("unscoped")) return null;
        if (!(scope instanceof ObjectNode s)) throw Fields.invalid("auth.scope", "must be an object or \"unscoped\"");
        for (String unsupported : List.of("domain", "system", "OS-TRUST:trust")) {
            if (s.has(unsupported)) {
                throw Fields.bad("Scoping a token to " + unsupported + " is not supported by this service; scope to a project.");
            }
        }
        Fields.only(s, "auth.scope.", Set.of("project"));
        ObjectNode project = Fields.object(s, "auth.scope.", "project")
                .orElseThrow(() -> Fields.invalid("auth.scope", "needs a project"));
        String path = "auth.scope.project.";
        Optional<String> id = Fields.string(project, path, "id");
        if (id.isPresent()) return new ProjectRef.ById(id.get());
        String name = Fields.string(project, path, "name")
                .orElseThrow(() -> Fields.invalid("auth.scope.project", "needs an id, or a name and a domain"));
        ObjectNode domain = Fields.object(project, path, "domain")
                .orElseThrow(() -> Fields.invalid(path + "domain", "is required with a project name"));
        return new ProjectRef.ByName(name, domain(domain, path + "domain."));
    }
}
