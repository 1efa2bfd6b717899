package io.hypernetes.client.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about objects as Kubernetes' event recorder does, for every component (controllers,
 * scheduler, node agents): name {@code <object>.<hex nanos>} in the object's namespace, {@code involvedObject}
 * (apiVersion, kind, namespace, name, uid, resourceVersion), reason, message, type ({@code Normal} or
 * {@code Warning}), source and reporting component.
 *
 * <p>Repeats are counted, as client-go's event correlator counts them: the same type, reason and message about
 * the same object within ten minutes raises {@code count} and {@code lastTimestamp} of the Event already written
 * instead of writing another, so a pod that waits or crash-loops for hours leaves one Event per cause.
 *
 * <p>Events are best-effort: a refused or failed write is logged at DEBUG and never thrown (a component must not
 * fail because its events cannot be written).
 */
public final class EventRecorder {
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";
    private static final Duration AGGREGATION_WINDOW = Duration.ofMinutes(10);
    private static final int REMEMBERED = 4_096;
    private static final AtomicLong LAST_NANOS = new AtomicLong();

    private record Key(String object, String type, String reason, String message) {}

    private record Written(String namespace, String name, int count, Instant first) {}

    private final KubeClient client;
    private final String component;
    private final String host;
    private final Clock clock;
    private final Map<Key, Written> written = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Written> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** @param component the source, e.g. {@code replicaset-controller} */
    public EventRecorder(KubeClient client, String component) {
        this(client, component, null, Clock.systemUTC());
    }

    /** @param host the node a node agent's events come from ({@code source.host}), or null */
    public EventRecorder(KubeClient client, String component, String host, Clock clock) {
        this.client = client;
        this.component = component;
        this.host = host;
        this.clock = clock;
    }

    public void normal(JsonNode involved, String reason, String message) {
        record(involved, NORMAL, reason, message);
    }

    public void warning(JsonNode involved, String reason, String message) {
        record(involved, WARNING, reason, message);
    }

    /** Writes, or counts again, one Event about {@code involved} (an object with apiVersion, kind and metadata). */
    public void record(JsonNode involved, String type, String reason, String message) {
        String namespace = Meta.namespace(involved);
        if (namespace == null || namespace.isEmpty()) namespace = "default";
        String object = Meta.uid(involved).isEmpty() ? namespace + "/" + Meta.name(involved) : Meta.uid(involved);
        Key key = new Key(object, type, reason, message);
        Instant now = clock.instant();
        Written previous;
        synchronized (written) {
            previous = written.get(key);
        }
        try {
            if (previous != null && previous.first().plus(AGGREGATION_WINDOW).isAfter(now) && countAgain(previous, now)) {
                remember(key, new Written(previous.namespace(), previous.name(), previous.count() + 1, previous.first()));
                return;
            }
            String name = Meta.name(involved) + "." + Long.toHexString(uniqueNanos(now));
            KubeClient.Response r = client.post("/api/v1/namespaces/" + namespace + "/events",
                    event(involved, namespace, name, type, reason, message, Meta.timestamp(now)));
            if (r.code() == 201) {
                remember(key, new Written(namespace, name, 1, now));
            } else {
                log.debug("{} event for {}/{} refused: {} {}", reason, namespace, Meta.name(involved), r.code(), r.text());
            }
        } catch (RuntimeException e) {
            log.debug("{} event for {}/{} not written: {}", reason, namespace, Meta.name(involved), e.toString());
        }
    }

    private boolean countAgain(Written previous, Instant now) {
        ObjectNode patch = Json.object().put("count", previous.count() + 1).put("lastTimestamp", Meta.timestamp(now));
        KubeClient.Response r = client.patch("/api/v1/namespaces/" + previous.namespace() + "/events/" + previous.name(),
                "application/merge-patch+json", patch);
        return r.code() == 200; // else (deleted, expired) a new Event is written
    }

    private ObjectNode event(JsonNode involved, String namespace, String name, String type, String reason, String message, String now) {
        ObjectNode event = Json.object().put("apiVersion", "v1").put("kind", "Event");
        event.putObject("metadata").put("name", name).put("namespace", namespace);
        ObjectNode io = event.putObject("involvedObject");
        io.put("apiVersion", involved.path("apiVersion").asText()).put("kind", involved.path("kind").asText())
                .put("namespace", namespace).put("name", Meta.name(involved));
        if (!Meta.uid(involved).isEmpty()) io.put("uid", Meta.uid(involved));
        if (!Meta.resourceVersion(involved).isEmpty()) io.put("resourceVersion", Meta.resourceVersion(involved));
        event.put("reason", reason).put("message", message).put("type", type)
                .put("firstTimestamp", now).put("lastTimestamp", now).put("count", 1)
                .put("reportingComponent", component);
        if (host != null) event.put("reportingInstance", host);
        ObjectNode source = event.putObject("source").put("component", component);
        if (host != null) source.put("host", host);
        return event;
    }

    private void remember(Key key, Written w) {
        synchronized (written) {
            written.put(key, w);
        }
    }

    /** Nanoseconds since the epoch, strictly increasing within the process, so two Events never share a name. */
    private static long uniqueNanos(Instant t) {
        return LAST_NANOS.updateAndGet(prev -> Math.max(prev + 1, t.getEpochSecond() * 1_000_000_000L + t.getNano()));
    }
}
