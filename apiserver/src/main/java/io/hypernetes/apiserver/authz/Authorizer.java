package io.hypernetes.apiserver.authz;

import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.auth.KeystoneUsers;
import io.hypernetes.http.User;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Who may do what, Hypernetes' fixed policy in place of Kubernetes RBAC:
 *
 * <ul>
 *   <li>{@code system:masters} certificates (the admin kubeconfig, the controllers) and Keystone users holding
 *       the {@code admin} role: everything, cluster-wide;
 *   <li>Keystone {@code member}s: read and write their own tenant's namespaces, the objects in them and their
 *       tenant's networks; {@code reader}s only read there. Never nodes, never another tenant's objects, never
 *       the subresources that belong to the control plane (binding, finalize, status);
 *   <li>{@code system:nodes} certificates: read everything; write nodes, events, pod status and pod deletion, and
 *       the node heartbeat Leases in {@code kube-node-lease} — each node only its own Node, Lease and pods
 *       ({@link NodeRestriction});
 *   <li>anyone else authenticated: discovery and OpenAPI only; nobody unauthenticated: health and version only.
 * </ul>
 *
 * <p><b>403 or 404.</b> Another tenant's object is answered exactly as an absent one — 404 on get, update,
 * patch and delete, {@code namespaces "x" not found} on create in its namespace, left out of lists and watches
 * — so a tenant cannot learn that it exists. 403 is kept for what a tenant is refused about things it can see
 * or that exist for everyone: writing as a reader, touching nodes, control-plane subresources. The one thing
 * that cannot be hidden is that a cluster-scoped name is taken: namespace and network names are one namespace
 * for the whole cluster, as in Kubernetes, so creating a taken name is a 409 whoever holds it.
 */
public final class Authorizer {
    static final String MASTERS = "system:masters";
    static final String NODES = "system:nodes";
    public static final String ADMIN = "admin";
    public static final String MEMBER = "member";
    public static final String READER = "reader";
    private static final Set<String> READS = Set.of("get", "list", "watch");
    /** The namespace of the Leases node agents renew as their heartbeat. */
    static final String NODE_LEASES = "kube-node-lease";

    /** The user's access to resources, or null when it has none (authenticated users without a role). */
    public Access access(User user) {
        if (!user.authenticated()) throw ApiException.unauthorized();
        if (user.groups().contains(MASTERS)) return Access.ALL;
        if (KeystoneUsers.isKeystone(user)) {
            Set<String> roles = KeystoneUsers.roles(user);
            String project = KeystoneUsers.projectId(user).orElse(null);
            if (project == null) return null;
            if (roles.contains(ADMIN)) return new Access.All(project);
            if (roles.contains(MEMBER)) return new Access.Tenant(project, true);
            if (roles.contains(READER)) return new Access.Tenant(project, false);
            return null;
        }
        if (user.groups().contains(NODES)) return new Access.Node(user.name());
        return null;
    }

    /** Whether the user may read cluster-wide operational data (metrics). */
    private boolean administers(User user) {
        return access(user) instanceof Access.All;
    }

    /**
     * Whether an authenticated user may GET a path outside the resource API: metrics (cluster-wide operational
     * data) are for administrators; discovery, OpenAPI and the health and version paths are for everyone.
     */
    public boolean mayGet(User user, String path) {
        return !path.equals("/metrics") || administers(user);
    }

    /**
     * Decides a resource request before anything is read or written. {@code targetVisible} says whether the
     * request's target (its namespace, or the named cluster-scoped object) is visible with a given access; it is
     * asked only to choose between 403 and 404 for a write the user's role does not allow.
     *
     * @param verb Kubernetes' verb: get, list, watch, create, update, patch, delete, deletecollection
     * @return the access the request runs with
     */
    public Access authorize(User user, String verb, ResourceType type, String namespace, String name, String subresource,
            Predicate<Access> targetVisible) {
        Access access = access(user);
        boolean read = READS.contains(verb);
        if (access == null) throw forbidden(user, verb, type, namespace, name, subresource);
        switch (access) {
            case Access.All all -> { }
            case Access.Node node -> {
                boolean allowed = read || type == ResourceTypes.NODES || type == ResourceTypes.EVENTS
                        || (type == ResourceTypes.PODS && ("status".equals(subresource) || verb.equals("delete")))
                        || (type == ResourceTypes.LEASES && NODE_LEASES.equals(namespace));
                if (!allowed) throw forbidden(user, verb, type, namespace, name, subresource);
            }
            case Access.Tenant tenant -> {
                if (Access.infrastructure(type)) throw forbidden(user, verb, type, namespace, name, subresource);
                // the control plane's own subresources; scale is the owner's, as kubectl scale uses it
                boolean controlPlane = subresource != null && switch (subresource) {
                    case "binding", "finalize" -> true;
                    case "status" -> !read;
                    default -> false;
                };
                if (!read && (!tenant.write() || controlPlane)) {
                    // refused either way; 404 rather than 403 when the target is another tenant's
                    boolean creating = verb.equals("create") && subresource == null;
                    boolean visible = (creating && namespace == null) || targetVisible.test(tenant);
                    if (!visible) {
                        throw namespace != null && (creating || name == null)
                                ? ApiException.notFound(ResourceTypes.NAMESPACES, namespace)
                                : ApiException.notFound(type, name);
                    }
                    throw forbidden(user, verb, type, namespace, name, subresource);
                }
            }
        }
        return access;
    }

    /** Kubernetes RBAC's wording, which kubectl shows as is. */
    static ApiException forbidden(User user, String verb, ResourceType type, String namespace, String name, String subresource) {
        String resource = subresource == null ? type.plural() : type.plural() + "/" + subresource;
        String scope = namespace == null ? "at the cluster scope" : "in the namespace \"" + namespace + "\"";
        return ApiException.forbidden(type, name,
                "User \"" + user.name() + "\" cannot " + verb + " resource \"" + resource + "\" in API group \"" + type.group() + "\" " + scope);
    }
}
