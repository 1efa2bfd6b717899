package io.hypernetes.controllers.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.client.KubeClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empties and finalizes deleted namespaces, as Kubernetes' namespace controller does.
 *
 * <p>Deleting a namespace only marks it (phase Terminating, {@code deletionTimestamp}); its {@code kubernetes}
 * finalizer keeps it until this controller has deleted every object in it and seen them gone. Then it removes the
 * finalizer through {@code namespaces/{name}/finalize} and the API server deletes the namespace.
 *
 * <p>One loop watches namespaces (relisting when the watch ends or expires) and queues each one that is being
 * deleted; one worker reconciles the queue, retrying a namespace while objects remain (pods on a node wait for
 * their grace period, objects with finalizers for whoever owns them). Everything goes through the API.
 */
public final class NamespaceController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NamespaceController.class);
    static final String FINALIZER = "kubernetes";
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final KubeClient client;
    private final List<ResourceType> contents = ResourceTypes.ALL.stream().filter(ResourceType::namespaced).toList();
    private final LinkedBlockingQueue<String> work = new LinkedBlockingQueue<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService retries =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("namespace-retry").factory());
    private final AtomicReference<KubeClient.WatchStream> stream = new AtomicReference<>();
    private volatile boolean running = true;
    private final Thread watcher;
    private final Thread worker;

    private NamespaceController(KubeClient client) {
        this.client = client;
        this.watcher = Thread.ofVirtual().name("namespace-watch").unstarted(this::watchLoop);
        this.worker = Thread.ofVirtual().name("namespace-worker").unstarted(this::workLoop);
    }

    public static NamespaceController start(KubeClient client) {
        NamespaceController c = new NamespaceController(client);
        c.watcher.start();
        c.worker.start();
        return c;
    }

    private void enqueue(String name) {
        if (queued.add(name)) work.add(name);
    }

    private void watchLoop() {
        while (running) {
            try {
                KubeClient.Response list = client.get("/api/v1/namespaces");
                if (list.code() != 200) throw new IllegalStateException("list namespaces: " + list.code() + " " + list.text());
                JsonNode body = list.json();
                for (JsonNode ns : body.path("items")) if (Meta.deleting(ns)) enqueue(Meta.name(ns));
                String rv = body.path("metadata").path("resourceVersion").asText();
                try (KubeClient.WatchStream s = client.watch("/api/v1/namespaces?watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" + rv)) {
                    stream.set(s);
                    if (!running) return;
                    for (Optional<JsonNode> e = s.next(); e.isPresent() && running; e = s.next()) {
                        String type = e.get().path("type").asText();
                        if (type.equals("ERROR")) break;
                        JsonNode ns = e.get().path("object");
                        if (!type.equals("BOOKMARK") && !type.equals("DELETED") && Meta.deleting(ns)) enqueue(Meta.name(ns));
                    }
                }
            } catch (RuntimeException e) {
                if (!running) return;
                log.warn("namespace watch failed, relisting in {}: {}", RETRY, e.toString());
                sleep(RETRY);
            }
        }
    }

    private void workLoop() {
        while (running) {
            String name;
            try {
                name = work.take();
            } catch (InterruptedException e) {
                return;
            }
            queued.remove(name);
            boolean done;
            try {
                done = reconcile(name);
            } catch (RuntimeException e) {
                log.warn("namespace {}: {}", name, e.toString());
                done = false;
            }
            if (!done && running) retries.schedule(() -> enqueue(name), RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** One pass over a namespace; true when there is nothing more to do for it. */
    boolean reconcile(String name) {
        KubeClient.Response got = client.get("/api/v1/namespaces/" + name);
        if (got.code() == 404) return true;
        if (got.code() != 200) throw new IllegalStateException("get namespace: " + got.code() + " " + got.text());
        ObjectNode ns = (ObjectNode) got.json();
        if (!Meta.deleting(ns) || !hasFinalizer(ns)) return true;
        int remaining = 0;
        for (ResourceType t : contents) {
            String path = "/api/v1/namespaces/" + name + "/" + t.plural();
            KubeClient.Response deleted = client.delete(path);
            if (deleted.code() != 200) throw new IllegalStateException("delete " + path + ": " + deleted.code() + " " + deleted.text());
            KubeClient.Response left = client.get(path + "?limit=1");
            if (left.code() == 200 && !left.json().path("items").isEmpty()) remaining++;
        }
        if (remaining > 0) {
            log.info("namespace {}: waiting for objects of {} kinds to go", name, remaining);
            return false;
        }
        ArrayNode finalizers = ns.withObject("/spec").putArray("finalizers");
        got.json().path("spec").path("finalizers").forEach(f -> {
            if (!f.asText().equals(FINALIZER)) finalizers.add(f.asText());
        });
        KubeClient.Response finalized = client.put("/api/v1/namespaces/" + name + "/finalize", ns);
        if (finalized.code() == 404) return true;
        if (finalized.code() == 409) return false;
        if (finalized.code() != 200) throw new IllegalStateException("finalize: " + finalized.code() + " " + finalized.text());
        log.info("namespace {}: emptied and finalized", name);
        return true;
    }

    private static boolean hasFinalizer(JsonNode ns) {
        for (JsonNode f : ns.path("spec").path("finalizers")) if (f.asText().equals(FINALIZER)) return true;
        return false;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        KubeClient.WatchStream s = stream.get();
        if (s != null) s.close();
        watcher.interrupt();
        worker.interrupt();
        retries.shutdownNow();
    }
}
