package io.hypernetes.controllers.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empties and finalizes deleted namespaces, as Kubernetes' namespace controller does.
 *
 * <p>Deleting a namespace only marks it (phase Terminating, {@code deletionTimestamp}); its {@code kubernetes}
 * finalizer keeps it until this controller has deleted every object in it and seen them gone. Then it removes the
 * finalizer through {@code namespaces/{name}/finalize} and the API server deletes the namespace.
 *
 * <p>A namespace informer (list + watch cache, see {@link Informer}) queues each namespace that is being deleted as
 * it is seen, and every {@value #RESYNC_MINUTES} minutes the cached ones again; one worker reconciles the queue,
 * retrying a namespace while objects remain (pods on a node wait for their grace period, objects with finalizers
 * for whoever owns them). Everything goes through the API.
 */
public final class NamespaceController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NamespaceController.class);
    static final String FINALIZER = "kubernetes";
    private static final Duration RETRY = Duration.ofSeconds(1);
    static final int RESYNC_MINUTES = 5;

    private final KubeClient client;
    private final InformerFactory ownFactory;
    private final Informer namespaces;
    private final List<ResourceType> contents = ResourceTypes.ALL.stream().filter(ResourceType::namespaced).toList();
    private final LinkedBlockingQueue<String> work = new LinkedBlockingQueue<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService retries =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("namespace-retry").factory());
    private volatile boolean running = true;
    private final Thread worker;
    private Informer.Registration registration;

    private NamespaceController(InformerFactory factory, InformerFactory ownFactory) {
        this.client = factory.client();
        this.ownFactory = ownFactory;
        this.namespaces = factory.informer("/api/v1/namespaces");
        this.worker = Thread.ofVirtual().name("namespace-worker").unstarted(this::workLoop);
    }

    /** Runs the controller with informers of its own over {@code client}. */
    public static NamespaceController start(KubeClient client) {
        InformerFactory own = new InformerFactory(client);
        try {
            return start(own, own);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** Runs the controller on the process's shared informers (and their client); closing it leaves them running. */
    public static NamespaceController start(InformerFactory informers) {
        return start(informers, null);
    }

    private static NamespaceController start(InformerFactory informers, InformerFactory own) {
        NamespaceController c = new NamespaceController(informers, own);
        c.registration = c.namespaces.addHandler(new ResourceEventHandler() {
            @Override
            public void onAdd(ObjectNode ns) {
                if (Meta.deleting(ns)) c.enqueue(Meta.name(ns));
            }

            @Override
            public void onUpdate(ObjectNode old, ObjectNode ns) {
                if (Meta.deleting(ns)) c.enqueue(Meta.name(ns));
            }
        });
        c.worker.start();
        c.retries.scheduleWithFixedDelay(c::resync, RESYNC_MINUTES, RESYNC_MINUTES, TimeUnit.MINUTES);
        return c;
    }

    private void enqueue(String name) {
        if (queued.add(name)) work.add(name);
    }

    /** Queues every cached namespace being deleted, in case a pass was lost (as the former relist did). */
    private void resync() {
        for (ObjectNode ns : namespaces.list()) if (Meta.deleting(ns)) enqueue(Meta.name(ns));
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
            String path = (t.group().isEmpty() ? "/api/" : "/apis/" + t.group() + "/") + t.version()
                    + "/namespaces/" + name + "/" + t.plural();
            KubeClient.Response deleted = client.delete(path);
            if (deleted.code() == 404) continue; // a resource this server does not serve (yet): nothing of it to delete
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

    @Override
    public void close() {
        running = false;
        if (registration != null) registration.close();
        worker.interrupt();
        retries.shutdownNow();
        if (ownFactory != null) ownFactory.close();
    }
}
