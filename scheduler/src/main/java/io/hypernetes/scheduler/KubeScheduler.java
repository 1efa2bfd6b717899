package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Scheduler} as a cluster component: pods and nodes from the process's shared informers, binding
 * through {@code POST pods/{name}/binding}, and a {@code FailedScheduling} Warning Event on a pod that fits
 * nowhere. Everything goes through the API, as kube-scheduler does, so it can run in its own process.
 */
public final class KubeScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubeScheduler.class);
    static final String COMPONENT = "default-scheduler";

    private final Scheduler scheduler;
    private final List<Informer.Registration> registrations;

    private KubeScheduler(Scheduler scheduler, List<Informer.Registration> registrations) {
        this.scheduler = scheduler;
        this.registrations = registrations;
    }

    /** Starts scheduling once the node and pod informers have synced (or after {@code syncTimeout}). */
    public static KubeScheduler start(InformerFactory informers, SchedulerConfig config, Duration syncTimeout) throws InterruptedException {
        KubeClient client = informers.client();
        FailureEvents events = new FailureEvents(client);
        Scheduler scheduler = new Scheduler((pod, node) -> bind(client, pod, node),
                (pod, message) -> Thread.ofVirtual().name("scheduler-event").start(() -> events.record(pod, message)),
                config);
        Informer nodes = informers.informer("/api/v1/nodes");
        Informer pods = informers.informer("/api/v1/pods");
        var nodeHandler = nodes.addHandler(ResourceEventHandler.of(scheduler::onNodeAdd, scheduler::onNodeUpdate, scheduler::onNodeDelete));
        var podHandler = pods.addHandler(ResourceEventHandler.of(scheduler::onPodAdd, scheduler::onPodUpdate, scheduler::onPodDelete));
        // nodes first: pods scheduled before their nodes are known would all fail once and wait for backoff
        if (!nodes.awaitSynced(syncTimeout) || !pods.awaitSynced(syncTimeout)) {
            log.warn("scheduler: informers not synced after {}; scheduling with what is known", syncTimeout);
        }
        scheduler.start();
        return new KubeScheduler(scheduler, List.of(nodeHandler, podHandler));
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    private static void bind(KubeClient client, JsonNode pod, String node) {
        String namespace = Meta.namespace(pod);
        String name = Meta.name(pod);
        ObjectNode binding = Json.object().put("apiVersion", "v1").put("kind", "Binding");
        binding.putObject("metadata").put("name", name).put("namespace", namespace).put("uid", Meta.uid(pod));
        binding.putObject("target").put("apiVersion", "v1").put("kind", "Node").put("name", node);
        KubeClient.Response r = client.post("/api/v1/namespaces/" + namespace + "/pods/" + name + "/binding", binding);
        if (r.code() != 201) {
            throw new IllegalStateException(r.json().path("message").asText("HTTP " + r.code()));
        }
    }

    /**
     * FailedScheduling Warning Events as kube-scheduler's recorder writes them: name {@code <pod>.<hex nanos>};
     * the same message again for the same pod is counted on its last Event ({@code count}, {@code lastTimestamp})
     * rather than written anew, so a pod that waits for hours leaves one Event, not one per retry.
     */
    static final class FailureEvents {
        private static final int REMEMBERED = 10_000;

        private record Last(String namespace, String name, String message, int count) {}

        private final KubeClient client;
        private final java.util.Map<String, Last> last = new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(java.util.Map.Entry<String, Last> eldest) {
                return size() > REMEMBERED;
            }
        };

        FailureEvents(KubeClient client) {
            this.client = client;
        }

        void record(JsonNode pod, String message) {
            String uid = Meta.uid(pod);
            Last previous;
            synchronized (last) {
                previous = last.get(uid);
            }
            String now = Meta.timestamp(Clock.systemUTC().instant());
            try {
                if (previous != null && previous.message().equals(message)) {
                    ObjectNode patch = Json.object().put("count", previous.count() + 1).put("lastTimestamp", now);
                    KubeClient.Response r = client.patch("/api/v1/namespaces/" + previous.namespace() + "/events/" + previous.name(),
                            "application/merge-patch+json", patch);
                    if (r.code() == 200) {
                        remember(uid, new Last(previous.namespace(), previous.name(), message, previous.count() + 1));
                        return;
                    }
                }
                String namespace = Meta.namespace(pod);
                String name = Meta.name(pod) + "." + Long.toHexString(System.currentTimeMillis() * 1_000_000L + System.nanoTime() % 1_000_000L);
                ObjectNode event = Json.object().put("apiVersion", "v1").put("kind", "Event");
                event.putObject("metadata").put("name", name).put("namespace", namespace);
                event.putObject("involvedObject").put("apiVersion", "v1").put("kind", "Pod").put("namespace", namespace)
                        .put("name", Meta.name(pod)).put("uid", uid).put("resourceVersion", Meta.resourceVersion(pod));
                event.put("reason", "FailedScheduling").put("message", message).put("type", "Warning")
                        .put("firstTimestamp", now).put("lastTimestamp", now).put("count", 1)
                        .put("reportingComponent", COMPONENT);
                event.putObject("source").put("component", COMPONENT);
                KubeClient.Response r = client.post("/api/v1/namespaces/" + namespace + "/events", event);
                if (r.code() == 201) remember(uid, new Last(namespace, name, message, 1));
                else log.debug("FailedScheduling event for {}/{} refused: {}", namespace, Meta.name(pod), r.code());
            } catch (RuntimeException e) {
                log.debug("FailedScheduling event for {} not written: {}", Meta.name(pod), e.toString());
            }
        }

        private void remember(String uid, Last event) {
            synchronized (last) {
                last.put(uid, event);
            }
        }
    }

    /** Stops scheduling and leaves the shared informers to their factory. */
    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        scheduler.close();
    }
}
