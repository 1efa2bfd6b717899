package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceTypes;

/** Deleting a namespace makes it Terminating until its {@code spec.finalizers} are done, and only finalize clears them. */
final class NamespaceStrategy extends Strategy {
    NamespaceStrategy() {
        super(ResourceTypes.NAMESPACES);
    }

    /** spec.finalizers belong to the finalize subresource, as in Kubernetes: an update cannot skip the cleanup. */
    @Override
    void prepareForUpdate(ObjectNode obj, ObjectNode old) {
        JsonNode finalizers = old.path("spec").path("finalizers");
        ObjectNode spec = obj.withObject("/spec");
        if (finalizers.isMissingNode()) spec.remove("finalizers");
        else spec.set("finalizers", finalizers.deepCopy());
    }
}
