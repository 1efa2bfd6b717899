package io.hypernetes.apiserver.authz;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;

/**
 * What Kubernetes' NodeRestriction admission adds to the {@link Authorizer}'s verdict for node agents, which can
 * only be decided on the object itself: a node writes its own Node and its own heartbeat Lease, and the status and
 * deletion only of pods bound to it. So a node agent that is taken over cannot mark other nodes Ready, steal their
 * Leases, or stop other nodes' pods (other tenants' VMs). Everyone else passes untouched.
 */
public final class NodeRestriction {
    private NodeRestriction() {}

    /** Refuses (403) the request's node agent a write to {@code obj}, the object as stored or about to be. */
    public static void check(ResourceType type, JsonNode obj) {
        if (!(Access.current() instanceof Access.Node node)) return;
        String self = node.nodeName();
        String name = Meta.name(obj);
        if (type == ResourceTypes.NODES && !name.equals(self)) {
            throw ApiException.forbidden(type, name, "node \"" + self + "\" is not allowed to modify node \"" + name + "\"");
        }
        if (type == ResourceTypes.LEASES && !name.equals(self)) {
            throw ApiException.forbidden(type, name, "node \"" + self + "\" is not allowed to modify the lease of node \"" + name + "\"");
        }
        if (type == ResourceTypes.PODS && !obj.path("spec").path("nodeName").asText("").equals(self)) {
            throw ApiException.forbidden(type, name, "node \"" + self + "\" can only update or delete pods with spec.nodeName set to itself");
        }
    }
}
