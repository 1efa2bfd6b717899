package io.hypernetes.apiserver.authz;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;

/**
 * Which stored objects a request may see and change: everything, one tenant's objects, or what a node agent
 * needs. Decided once per request by the {@link Authorizer} and carried in {@link #CURRENT} for the request's
 * duration, as Kubernetes carries the user in the request context, so that the registry applies it at every
 * read of a stored object (gets, lists, watches, the current object of every write) without any route having
 * to remember to pass it. Code outside a request (bootstrap, internal maintenance) runs with {@link #ALL}.
 */
public sealed interface Access {
    ScopedValue<Access> CURRENT = ScopedValue.newInstance();

    /** Everything, for a caller that has no project (certificates, the server itself). */
    Access ALL = new All(null);

    static Access current() {
        return CURRENT.orElse(ALL);
    }

    /** Whether a stored object of {@code type} is visible. Invisible objects are answered as if they did not exist. */
    boolean sees(ResourceType type, JsonNode obj);

    /**
     * Bytes every stored object this access sees must contain, so a list can skip decoding the others: null when
     * it sees everything (or cannot tell). A match still has to pass {@link #sees} on the decoded object.
     */
    default byte[] storedMarker(ResourceType type) {
        return null;
    }

    /** Whether this access sees everything, so the registry may skip the per-object check (and keep fast paths). */
    default boolean unrestricted() {
        return false;
    }

    /**
     * Cluster administrators: {@code system:masters} certificates and Keystone users with the admin role.
     * {@code project} is the Keystone admin's own project (namespaces it creates belong to it), null otherwise.
     */
    record All(String project) implements Access {
        @Override
        public boolean sees(ResourceType type, JsonNode obj) {
            return true;
        }

        @Override
        public boolean unrestricted() {
            return true;
        }
    }

    /**
     * A tenant's member or reader: sees its own namespaces, the objects in them and its own networks; never
     * infrastructure (nodes) or namespaces without a tenant. {@code project} is the Keystone project id.
     */
    record Tenant(String project, boolean write) implements Access {
        @Override
        public boolean sees(ResourceType type, JsonNode obj) {
            return project.equals(Tenancy.tenantOf(type, obj));
        }

        @Override
        public byte[] storedMarker(ResourceType type) {
            return Tenancy.storedMarker(type, project);
        }
    }

    /**
     * A node agent ({@code name} is its user, {@code system:node:<node>}): reads everything it may have to run; the
     * {@link Authorizer} limits what it writes, and {@link NodeRestriction} to its own node, lease and pods.
     */
    record Node(String name) implements Access {
        /** The node this agent runs. */
        public String nodeName() {
            return name.startsWith("system:node:") ? name.substring("system:node:".length()) : name;
        }

        @Override
        public boolean sees(ResourceType type, JsonNode obj) {
            return true;
        }

        @Override
        public boolean unrestricted() {
            return true;
        }
    }

    /** Infrastructure kinds that belong to no tenant. */
    static boolean infrastructure(ResourceType type) {
        return type == ResourceTypes.NODES;
    }
}
