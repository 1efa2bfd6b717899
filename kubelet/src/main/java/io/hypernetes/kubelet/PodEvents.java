package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.event.EventRecorder;
import java.time.Clock;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's Events about pods (Pulling, Pulled, Created, Started, Killing, BackOff, Unhealthy, Failed),
 * source {@code kubelet} on this node, through the project's one {@link EventRecorder} (which counts repeats, so
 * a crash loop leaves one BackOff Event with a count). Each is also one log line with the pod's namespace/name,
 * at once.
 *
 * <p>The writes happen on one virtual thread per agent, from a queue of {@value #QUEUE} (as client-go's event
 * broadcaster buffers them): a pod worker never waits for an Event to be written, so Events cannot slow pod
 * starts, and when the API server falls that far behind, further Events are dropped rather than piled up.
 */
final class PodEvents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodEvents.class);
    static final int QUEUE = 1000;

    private final EventRecorder recorder;
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>(QUEUE);
    private final Thread writer;

    PodEvents(KubeClient client, String node) {
        this.recorder = new EventRecorder(client, "kubelet", node, Clock.systemUTC());
        this.writer = Thread.ofVirtual().name("events-" + node).start(() -> {
            try {
                while (true) queue.take().run();
            } catch (InterruptedException e) {
                // closed
            }
        });
    }

    /** @param container the container the event is about ({@link #container}), for when Events carry its field path; null for the pod */
    void normal(JsonNode pod, String container, String reason, String message) {
        log.info("{} {}/{}: {}", reason, Meta.namespace(pod), Meta.name(pod), message);
        write(pod, EventRecorder.NORMAL, reason, message);
    }

    void warning(JsonNode pod, String container, String reason, String message) {
        log.warn("{} {}/{}: {}", reason, Meta.namespace(pod), Meta.name(pod), message);
        write(pod, EventRecorder.WARNING, reason, message);
    }

    private void write(JsonNode pod, String type, String reason, String message) {
        JsonNode involved = involved(pod);
        if (!queue.offer(() -> recorder.record(involved, type, reason, message))) {
            log.debug("{} event for {}/{} dropped: {} events wait to be written", reason, Meta.namespace(pod), Meta.name(pod), QUEUE);
        }
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

    /** Stops writing; Events still queued are dropped. */
    @Override
    public void close() {
        writer.interrupt();
    }
}
