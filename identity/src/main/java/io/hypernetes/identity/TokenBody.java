package io.hypernetes.identity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The data of a token as Keystone shows it: the claims plus the user, project and roles as they are now.
 *
 * @param project null for an unscoped token (then {@code projectDomain} is null and {@code roles} empty)
 */
public record TokenBody(Token token, User user, Domain userDomain, Project project, Domain projectDomain, List<Role> roles) {
    /** Keystone writes instants with microseconds and a Z. */
    private static final DateTimeFormatter KEYSTONE_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    public TokenBody {
        roles = List.copyOf(roles);
    }

    public static String keystoneTime(Instant instant) {
        return KEYSTONE_TIME.format(instant);
    }

    /**
     * {@code {"token": {...}}} as {@code POST}/{@code GET /v3/auth/tokens} answer it. The password hash is never
     * part of it.
     *
     * @param catalog the service catalog to include, or null to leave it out ({@code nocatalog})
     */
    public ObjectNode toJson(ArrayNode catalog) {
        ObjectNode root = Json.object();
        ObjectNode t = root.putObject("token");
        ArrayNode methods = t.putArray("methods");
        token.methods().forEach(methods::add);
        ObjectNode u = t.putObject("user");
        u.put("id", user.id()).put("name", user.name());
        u.putObject("domain").put("id", userDomain.id()).put("name", userDomain.name());
        u.putNull("password_expires_at");
        ArrayNode audit = t.putArray("audit_ids");
        token.auditIds().forEach(audit::add);
        t.put("expires_at", keystoneTime(token.expiresAt()));
        t.put("issued_at", keystoneTime(token.issuedAt()));
        if (project != null) {
            ObjectNode p = t.putObject("project");
            p.put("id", project.id()).put("name", project.name());
            p.putObject("domain").put("id", projectDomain.id()).put("name", projectDomain.name());
            t.put("is_domain", false);
            ArrayNode r = t.putArray("roles");
            for (Role role : roles) r.addObject().put("id", role.id()).put("name", role.name());
        }
        if (catalog != null) t.set("catalog", catalog);
        return root;
    }
}
