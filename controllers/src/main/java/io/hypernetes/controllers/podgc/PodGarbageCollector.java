package io.hypernetes.controllers.podgc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the pods nobody else will, as kube-controller-manager's pod GC does, on a sweep every {@code period}:
 *
 * <ul>
 *   <li><b>orphans</b>: pods bound to a node that no longer exists (an operator deleted a dead machine's Node).
 *       No node agent will ever confirm their termination, so they are deleted at once (grace period 0). A node
 *       missing from the cache is first asked for by name and must stay missing for {@code quarantine}, so a
 *       node that is being registered, or a cache that lags, never costs a pod;</li>
 *   <li><b>unscheduled terminating pods</b>: deleted pods that were never bound; no node agent runs them;</li>
 *   <li><b>terminated pods beyond a threshold</b>: the oldest Succeeded and Failed pods once there are more than
 *       {@code terminatedPodThreshold} (0 keeps them all), so finished pods do not fill the store.</li>
 * </ul>
 */
public final class PodGarbageCollector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodGarbageCollector.class);

    public record Config(Duration period, Duration quarantine, int terminatedPodThreshold) {
        /** Kubernetes' defaults: a sweep every 20 s, 40 s of quarantine, 12,500 terminated pods. */
        public static final Config DEFAULT = new Config(Duration.ofSeconds(20), Duration.ofSeconds(40), 12_500);

        public Config {
            if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("period must be positive: " + period);
            if (quarantine.isNegative()) throw new IllegalArgumentException("quarantine must not be negative: " + quarantine);
            if (terminatedPodThreshold < 0) throw new IllegalArgumentException("terminatedPodThreshold must not be negative");
        }
    }

    private final KubeClient client;
    private final Config config;
    private final Informer pods;
    private final Informer nodes;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("pod-gc").factory());
    /** Nodes seen missing, and since when: only the sweeper thread touches it. */
    private final Map<String, Instant> missingSince = new HashMap<>();

    private PodGarbageCollector(InformerFactory informers, Config config) {
        this.client = informers.client();
        this.config = config;
        this.pods = informers.informer("/api/v1/pods");
        this.nodes = informers.informer("/api/v1/nodes");
    }

    public static PodGarbageCollector start(InformerFactory informers) {
        return start(informers, Config.DEFAULT);
    }

    /** Sweeps on the process's shared informers (and their client); closing it leaves them running. */
    public static PodGarbageCollector start(InformerFactory informers, Config config) {
        PodGarbageCollector gc = new PodGarbageCollector(informers, config);
        gc.sweeper.scheduleWithFixedDelay(gc::sweepQuietly, config.period().toMillis(), config.period().toMillis(), TimeUnit.MILLISECONDS);
        return gc;
    }

    private void sweepQuietly() {
        try {
            if (pods.hasSynced() && nodes.hasSynced()) sweep(Instant.now());
        } catch (RuntimeException e) {
            log.warn("pod gc: sweep failed: {}", e.toString());
        }
    }

    /** One sweep; package-private for tests that do not want to wait for the period. */
    void sweep(Instant now) {
        List<ObjectNode> all = pods.list();
        Set<String> known = new HashSet<>();
        for (ObjectNode n : nodes.list()) known.add(Meta.name(n));
        Set<String> missing = new HashSet<>();
        for (ObjectNode pod : all) {
            String node = pod.path("spec").path("nodeName").asText("");
            if (node.isEmpty()) {
                if (Meta.deleting(pod)) forceDelete(pod, "unscheduled and terminating");
            } else if (!known.contains(node)) {
                missing.add(node);
            }
        }
        missingSince.keySet().retainAll(missing);
        Set<String> gone = new HashSet<>();
        for (String node : missing) {
            Instant since = missingSince.computeIfAbsent(node, n -> now);
            if (!since.plus(config.quarantine()).isAfter(now) && absent(node)) gone.add(node);
        }
        for (ObjectNode pod : all) {
            if (gone.contains(pod.path("spec").path("nodeName").asText(""))) {
                forceDelete(pod, "its node " + pod.path("spec").path("nodeName").asText() + " no longer exists");
            }
        }
        collectTerminated(all);
    }

    private boolean absent(String node) {
        return client.get("/api/v1/nodes/" + node).code() == 404;
    }

    private void collectTerminated(List<ObjectNode> all) {
        if (config.terminatedPodThreshold() == 0) return;
        List<ObjectNode> terminated = all.stream()
                .filter(p -> !Meta.deleting(p))
                .filter(p -> switch (p.path("status").path("phase").asText("")) {
                    case "Succeeded", "Failed" -> true;
                    default -> false;
                })
                .sorted(Comparator.comparing((ObjectNode p) -> p.path("metadata").path("creationTimestamp").asText(""))
                        .thenComparing(Meta::name))
                .toList();
        int excess = terminated.size() - config.terminatedPodThreshold();
        for (int i = 0; i < excess; i++) {
            forceDelete(terminated.get(i), "more than " + config.terminatedPodThreshold() + " terminated pods");
        }
    }

    private void forceDelete(ObjectNode pod, String why) {
        String path = "/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod);
        ObjectNode options = Json.object().put("apiVersion", "v1").put("kind", "DeleteOptions").put("gracePeriodSeconds", 0);
        options.putObject("preconditions").put("uid", Meta.uid(pod));
        KubeClient.Response r = client.send("DELETE", path, Json.bytes(options), "application/json", "application/json");
        switch (r.code()) {
            case 200, 202 -> log.info("pod gc: deleted pod {}/{}: {}", Meta.namespace(pod), Meta.name(pod), why);
            case 404, 409 -> { } // gone already, or a new pod of that name
            default -> log.warn("pod gc: deleting pod {}/{} ({}): {} {}", Meta.namespace(pod), Meta.name(pod), why, r.code(), r.text());
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
