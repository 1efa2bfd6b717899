package io.hypernetes.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.event.EventRecorder;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
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
        // a pod that waits for hours leaves one FailedScheduling Event with its count, not one per retry
        EventRecorder events = new EventRecorder(client, COMPONENT);
        Scheduler scheduler = new Scheduler((pod, node) -> bind(client, pod, node),
                (pod, message) -> Thread.ofVirtual().name("scheduler-event").start(() -> events.warning(pod, "FailedScheduling", message)),
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

    /** Stops scheduling and leaves the shared informers to their factory. */
    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        scheduler.close();
    }
}
