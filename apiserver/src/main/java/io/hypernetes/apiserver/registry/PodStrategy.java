package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceTypes;

/**
 * A pod on a node is deleted gracefully: the API marks it, the node agent stops its VM
 * within the grace period and then deletes it for good. A pod no node runs, or that already ended, goes at once.
 */
final class PodStrategy extends Strategy {
    static final long DEFAULT_GRACE = 30;

    PodStrategy() {
        super(ResourceTypes.PODS);
    }

    @Override
    long gracePeriod(JsonNode pod, Long requested) {
        String phase = pod.path("status").path("phase").asText();
        if (pod.path("spec").path("nodeName").asText().isEmpty() || phase.equals("Succeeded") || phase.equals("Failed")) {
            return 0;
        }
        if (requested != null) return Math.max(0, requested);
        JsonNode t = pod.path("spec").path("terminationGracePeriodSeconds");
        return t.canConvertToLong() ? Math.max(0, t.asLong()) : DEFAULT_GRACE;
    }
}
