package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.event.EventRecorder;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's Events about pods (Pulling, Pulled, Created, Started, Killing, BackOff, Unhealthy, Failed),
 * source {@code kubelet} on this node, through the project's one {@link EventRecorder} (which counts repeats, so
 * a crash loop leaves one BackOff Event with a count). Each is also one log line with the pod's namespace/name.
 */
final class PodEvents {
    private static final Logger log = LoggerFactory.getLogger(PodEvents.class);

    private final EventRecorder recorder;

    PodEvents(KubeClient client, String node) {
        this.recorder = new EventRecorder(client, "kubelet", node, Clock.systemUTC());
    }

    /** @param container the container the event is about ({@link #container}), or null for the pod */
    void normal(JsonNode pod, String container, String reason, String message) {
        log.info("{} {}/{}: {}", reason, Meta.namespace(pod), Meta.name(pod), message);
        recorder.normal(involved(pod), reason, message);
    }

    void warning(JsonNode pod, String container, String reason, String message) {
        log.warn("{} {}/{}: {}", reason, Meta.namespace(pod), Meta.name(pod), message);
        recorder.warning(involved(pod), reason, message);
    }

    private static JsonNode involved(JsonNode pod) {
        ObjectNode o = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        o.putObject("metadata").put("name", Meta.name(pod)).put("namespace", Meta.namespace(pod)).put("uid", Meta.uid(pod))
                .put("resourceVersion", Meta.resourceVersion(pod));
        return o;
    }

    /** The field path Kubernetes names a container by in events. */
    static String container(JsonNode container, boolean init) {
        return (init ? "spec.initContainers{" : "spec.containers{") + container.path("name").asText() + "}";
    }
}
