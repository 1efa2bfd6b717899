package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceTypes;

/**
 * Pods start Pending, and a pod on a node is deleted gracefully: the API marks it, the node agent stops its VM
 * within the grace period and then deletes it for good. A pod no node runs, or that already ended, goes at once.
 */
final class PodStrategy extends Strategy {
    static final long DEFAULT_GRACE = 30;

    PodStrategy() {
        super(ResourceTypes.PODS);
    }

    @Override
    void prepareForCreate(ObjectNode obj) {
        obj.remove("status");
        obj.putObject("status").put("phase", "Pending").put("qosClass", qosClass(obj.path("spec")));
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

    /** Kubernetes' QoS classes: Guaranteed when every container limits and requests equal CPU and memory. */
    static String qosClass(JsonNode spec) {
        boolean any = false;
        boolean guaranteed = true;
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : spec.path(list)) {
                JsonNode req = c.path("resources").path("requests");
                JsonNode lim = c.path("resources").path("limits");
                for (String r : new String[] {"cpu", "memory"}) {
                    if (req.has(r) || lim.has(r)) any = true;
                    JsonNode l = lim.get(r);
                    JsonNode q = req.has(r) ? req.get(r) : l;
                    if (l == null || q == null || !l.asText().equals(q.asText())) guaranteed = false;
                }
            }
        }
        if (!any) return "BestEffort";
        return guaranteed ? "Guaranteed" : "Burstable";
    }
}
