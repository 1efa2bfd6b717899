package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceTypes;

/** A namespace starts Active; deleting it makes it Terminating until its {@code spec.finalizers} are done. */
final class NamespaceStrategy extends Strategy {
    NamespaceStrategy() {
        super(ResourceTypes.NAMESPACES);
    }

    @Override
    void prepareForCreate(ObjectNode obj) {
        obj.remove("status");
        obj.putObject("status").put("phase", "Active");
        ObjectNode spec = obj.has("spec") && obj.get("spec").isObject() ? (ObjectNode) obj.get("spec") : obj.putObject("spec");
        if (!spec.has("finalizers")) spec.putArray("finalizers").add("kubernetes");
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
