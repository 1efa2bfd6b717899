package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Binds a pod to a node: in a cluster, {@code POST /api/v1/namespaces/{ns}/pods/{name}/binding}. Called on a
 * virtual thread per pod, so it may block.
 */
@FunctionalInterface
public interface Binder {
    /** @throws Exception when the bind did not happen (the pod is then forgotten and retried after backoff) */
    void bind(JsonNode pod, String nodeName) throws Exception;
}
