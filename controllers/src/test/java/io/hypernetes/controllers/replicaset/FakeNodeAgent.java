package io.hypernetes.controllers.replicaset;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A test double of the node agent (none exists yet): it makes pods it sees Running and Ready by patching
 * {@code pods/{name}/status}, as a kubelet would once their containers started. {@link #pause}/{@link #resume} stop
 * and restart it; {@link #only} restricts it to some pods.
 */
public final class FakeNodeAgent implements AutoCloseable {
    private final KubeClient client;
    private final ExecutorService patches = Executors.newVirtualThreadPerTaskExecutor();
    private final Informer pods;
    private final Informer.Registration registration;
    private volatile boolean paused;
    private volatile Predicate<ObjectNode> filter = p -> true;

    public FakeNodeAgent(InformerFactory factory) {
        this.client = factory.client();
        this.pods = factory.informer("/api/v1/pods");
        this.registration = pods.addHandler(new ResourceEventHandler() {
            @Override
            public void onAdd(ObjectNode pod) {
                consider(pod);
            }

            @Override
            public void onUpdate(ObjectNode old, ObjectNode pod) {
                consider(pod);
            }
        });
    }

    public FakeNodeAgent pause() {
        paused = true;
        return this;
    }

    /** Resumes and makes every cached pod (that passes the filter) ready. */
    public FakeNodeAgent resume() {
        paused = false;
        pods.list().forEach(this::consider);
        return this;
    }

    public FakeNodeAgent only(Predicate<ObjectNode> filter) {
        this.filter = filter;
        return this;
    }

    private void consider(ObjectNode pod) {
        if (paused || Meta.deleting(pod) || Pods.ready(pod) || !filter.test(pod)) return;
        String path = "/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod) + "/status";
        patches.submit(() -> {
            ObjectNode patch = Json.object();
            ObjectNode status = patch.putObject("status").put("phase", "Running");
            status.putArray("conditions").addObject().put("type", "Ready").put("status", "True")
                    .put("lastTransitionTime", Meta.timestamp(Instant.now()));
            client.patch(path, "application/merge-patch+json", patch);
        });
    }

    @Override
    public void close() {
        registration.close();
        patches.shutdownNow();
    }
}
