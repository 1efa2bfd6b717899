package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.identity.Directory;
import io.hypernetes.identity.Domain;
import io.hypernetes.identity.Project;
import io.hypernetes.identity.Role;
import io.hypernetes.identity.RoleAssignment;
import io.hypernetes.identity.Scope;
import io.hypernetes.identity.User;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * How objects look on the wire: Keystone's field names and shapes (api-ref identity v3), with the attributes this
 * service does not keep shown at their neutral values ({@code tags: []}, {@code options: {}}, a top-level project's
 * {@code parent_id} being its domain). A user's password hash never leaves the {@link User} record.
 */
final class Views {
    /** The identity API version this service answers as: Keystone's Ussuri level, which current clients expect. */
    static final String VERSION = "v3.14";
    static final String REGION = "RegionOne";

    private final String base;
    private final URI kubernetesUrl;

    /**
     * @param base the {@code /v3} URL clients reach this service at, without a trailing slash
     * @param kubernetesUrl the API server's URL for the catalog, or null
     */
    Views(URI base, URI kubernetesUrl) {
        String b = base.toString();
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        this.kubernetesUrl = kubernetesUrl;
    }

    String base() {
        return base;
    }

    /** The server's root URL, for {@code WWW-Authenticate: Keystone uri="..."}. */
    String root() {
        return base.substring(0, base.length() - "/v3".length());
    }

    ObjectNode version() {
        ObjectNode v = Json.object();
        v.put("id", VERSION).put("status", "stable").put("updated", "2020-04-07T00:00:00Z");
        v.putArray("links").addObject().put("rel", "self").put("href", base + "/");
        v.putArray("media-types").addObject().put("base", "application/json")
                .put("type", "application/vnd.openstack.identity-v3+json");
        return v;
    }

    ObjectNode domain(Domain d) {
        ObjectNode o = Json.object();
        o.put("id", d.id()).put("name", d.name()).put("description", d.description()).put("enabled", d.enabled());
        o.putArray("tags");
        o.putObject("options");
        o.putObject("links").put("self", base + "/domains/" + d.id());
        return o;
    }

    ObjectNode project(Project p) {
        ObjectNode o = Json.object();
        o.put("id", p.id()).put("name", p.name()).put("domain_id", p.domainId()).put("description", p.description())
                .put("enabled", p.enabled()).put("is_domain", false).put("parent_id", p.domainId());
        o.putArray("tags");
        o.putObject("options");
        o.putObject("links").put("self", base + "/projects/" + p.id());
        return o;
    }

    ObjectNode user(User u) {
        ObjectNode o = Json.object();
        o.put("id", u.id()).put("name", u.name()).put("domain_id", u.domainId()).put("enabled", u.enabled());
        o.putNull("password_expires_at");
        o.putObject("options");
        o.putObject("links").put("self", base + "/users/" + u.id());
        return o;
    }

    ObjectNode role(Role r) {
        ObjectNode o = Json.object();
        o.put("id", r.id()).put("name", r.name()).putNull("domain_id");
        o.putObject("options");
        o.putObject("links").put("self", base + "/roles/" + r.id());
        return o;
    }

    /** {@code {"<key>": [...], "links": {"self": ..., "previous": null, "next": null}}}: lists are never paged here. */
    ObjectNode list(String key, List<ObjectNode> items, String selfPath) {
        ObjectNode o = Json.object();
        o.putArray(key).addAll(items);
        ObjectNode links = o.putObject("links");
        links.put("self", base + selfPath);
        links.putNull("previous");
        links.putNull("next");
        return o;
    }

    /**
     * One entry of {@code GET /v3/role_assignments}. With names (the CLI's {@code --names}) the user, project and
     * domain carry their names and the user and project their domain, as Keystone's {@code include_names} does.
     */
    ObjectNode assignment(RoleAssignment a, boolean names, Directory directory) {
        ObjectNode o = Json.object();
        ObjectNode role = o.putObject("role").put("id", a.roleId());
        ObjectNode user = o.putObject("user").put("id", a.userId());
        ObjectNode scope = o.putObject("scope").putObject(a.scope().type()).put("id", a.scope().id());
        if (names) {
            directory.role(a.roleId()).ifPresent(r -> role.put("name", r.name()));
            directory.user(a.userId()).ifPresent(u -> {
                user.put("name", u.name());
                user.set("domain", domainRef(directory, u.domainId()));
            });
            switch (a.scope()) {
                case Scope.OnProject p -> directory.project(p.id()).ifPresent(project -> {
                    scope.put("name", project.name());
                    scope.set("domain", domainRef(directory, project.domainId()));
                });
                case Scope.OnDomain d -> directory.domain(d.id()).ifPresent(domain -> scope.put("name", domain.name()));
            }
        }
        o.putObject("links").put("assignment", base + "/" + a.scope().type() + "s/" + a.scope().id() + "/users/"
                + a.userId() + "/roles/" + a.roleId());
        return o;
    }

    private static ObjectNode domainRef(Directory directory, String domainId) {
        ObjectNode d = Json.object().put("id", domainId);
        directory.domain(domainId).ifPresent(domain -> d.put("name", domain.name()));
        return d;
    }

    /**
     * The service catalog: this identity service and, when there is one, the Kubernetes API server, each with
     * the three interfaces keystoneauth may ask for. Ids are derived from the service and URL, so they are stable
     * across restarts as Keystone's stored ones are.
     */
    ArrayNode catalog() {
        ArrayNode catalog = Json.MAPPER.createArrayNode();
        catalog.add(service("identity", "keystone", base));
        if (kubernetesUrl != null) catalog.add(service("kubernetes", "hypernetes", kubernetesUrl.toString()));
        return catalog;
    }

    private static ObjectNode service(String type, String name, String url) {
        ObjectNode s = Json.object();
        ArrayNode endpoints = s.putArray("endpoints");
        for (String iface : List.of("public", "internal", "admin")) {
            endpoints.addObject().put("id", stableId(type + " " + iface + " " + url)).put("interface", iface)
                    .put("region", REGION).put("region_id", REGION).put("url", url);
        }
        s.put("id", stableId(type + " " + name)).put("type", type).put("name", name);
        return s;
    }

    private static String stableId(String seed) {
        return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "");
    }
}
