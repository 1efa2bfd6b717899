package io.hypernetes.controllers.replicaset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.selector.LabelSelector;
import io.hypernetes.api.selector.SelectorException;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.event.EventRecorder;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.controllers.work.ControllerRefs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' ReplicaSet controller: keeps {@code spec.replicas} active pods that match a ReplicaSet's selector and
 * are controlled by it.
 *
 * <ul>
 *   <li><b>Claim</b>: pods of the namespace the ReplicaSet controls and that still match stay; orphans that match are
 *       adopted (a controller reference with {@code controller} and {@code blockOwnerDeletion} true); controlled pods
 *       that stopped matching are released (see {@link ControllerRefs#claim}).
 *   <li><b>Create</b> missing pods from the template ({@code generateName: <rs>-}, template labels, annotations and
 *       finalizers, the controller reference), at most {@link Options#burstReplicas} per pass, in slow-start batches
 *       of 1, 2, 4, … that stop at the first failure, so a template or quota the API server refuses costs one request
 *       per pass, not hundreds. Each failure is a {@code FailedCreate} Warning Event (with the server's message, e.g.
 *       {@code exceeded quota}) and a {@code ReplicaFailure} condition, and the ReplicaSet is retried with backoff.
 *   <li><b>Delete</b> surplus pods, ranked as Kubernetes ranks them: unscheduled before scheduled, Pending before
 *       Unknown before Running, not ready before ready, lower {@code controller.kubernetes.io/pod-deletion-cost}
 *       first, more pods of the ReplicaSet on the same node first, ready for a shorter time first, more container
 *       restarts first, newer first.
 *   <li><b>Expectations</b>: after creating or deleting, the ReplicaSet's replicas are not managed again until the
 *       informer has shown those pods (see {@link Expectations}), so a burst of events cannot double-create.
 *   <li><b>Status</b> through {@code replicasets/{name}/status}: replicas, fullyLabeledReplicas, readyReplicas (Ready
 *       condition True), availableReplicas (ready for {@code minReadySeconds}), observedGeneration, and the
 *       ReplicaFailure condition.
 * </ul>
 *
 * <p>Event-driven from the shared ReplicaSet and pod informers, through a {@link WorkQueue} of {@code namespace/name}
 * keys with N virtual-thread workers; every write goes through the factory's {@link KubeClient}, with the cached
 * resourceVersion, so a 409 (stale cache, concurrent writer) just requeues the key.
 */
public final class ReplicaSetController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaSetController.class);
    static final String COMPONENT = "replicaset-controller";
    static final String RS_PATH = "/apis/apps/v1/replicasets";
    static final String PODS_PATH = "/api/v1/pods";
    static final String DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

    /**
     * @param workers concurrent reconciles (Kubernetes' default: 5)
     * @param burstReplicas most pods created or deleted for one ReplicaSet in one pass (Kubernetes: 500)
     */
    public record Options(int workers, int burstReplicas) {
        public static final Options DEFAULT = new Options(5, 500);

        public Options {
            if (workers < 1 || burstReplicas < 1) throw new IllegalArgumentException("workers and burstReplicas must be positive");
        }
    }

    private final KubeClient client;
    private final Informer replicaSets;
    private final Informer pods;
    private final Options options;
    private final WorkQueue queue = new WorkQueue(COMPONENT);
    private final Expectations expectations = new Expectations();
    private final EventRecorder events;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Informer.Registration> registrations = new ArrayList<>();

    private ReplicaSetController(InformerFactory factory, Options options) {
        this.client = factory.client();
        this.options = options;
        this.events = new EventRecorder(client, COMPONENT);
        this.replicaSets = ControllerRefs.namespaceIndex(factory.informer(RS_PATH));
        this.pods = ControllerRefs.namespaceIndex(factory.informer(PODS_PATH));
    }

    /** Runs the controller on the process's shared informers and their client; closing it leaves them running. */
    public static ReplicaSetController start(InformerFactory informers) {
        return start(informers, Options.DEFAULT);
    }

    public static ReplicaSetController start(InformerFactory informers, Options options) {
        ReplicaSetController c = new ReplicaSetController(informers, options);
        c.registrations.add(c.replicaSets.addHandler(new ResourceEventHandler() {
            @Override
            public void onAdd(ObjectNode rs) {
                c.queue.add(WorkQueue.key(rs));
            }

            @Override
            public void onUpdate(ObjectNode old, ObjectNode rs) {
                c.queue.add(WorkQueue.key(rs));
            }

            @Override
            public void onDelete(ObjectNode rs) {
                c.expectations.delete(WorkQueue.key(rs));
                c.queue.add(WorkQueue.key(rs));
            }
        }));
        c.registrations.add(c.pods.addHandler(ResourceEventHandler.of(
                pod -> c.podAdded(pod),
                (old, pod) -> c.podUpdated(old, pod),
                pod -> c.podDeleted(pod))));
        c.queue.run(options.workers(), c::reconcile);
        return c;
    }

    // ---- events -------------------------------------------------------------------------------------------------

    /** The ReplicaSet a controller reference names, if it is cached with that uid. */
    private Optional<ObjectNode> resolve(String namespace, JsonNode ref) {
        if (!ref.path("kind").asText().equals("ReplicaSet") || !ref.path("apiVersion").asText().startsWith("apps/")) return Optional.empty();
        return replicaSets.get(namespace, ref.path("name").asText())
                .filter(rs -> Meta.uid(rs).equals(ref.path("uid").asText()));
    }

    /** ReplicaSets of the pod's namespace whose selector matches it (candidates to adopt an orphan). */
    private List<ObjectNode> matching(JsonNode pod) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode rs : replicaSets.byIndex(ControllerRefs.NAMESPACE_INDEX, Meta.namespace(pod))) {
            try {
                LabelSelector s = LabelSelector.fromObject(rs.path("spec").get("selector"));
                if (!s.isEmpty() && s.matches(pod.path("metadata").path("labels"))) out.add(rs);
            } catch (SelectorException e) {
                // an invalid selector selects nothing
            }
        }
        return out;
    }

    private void podAdded(ObjectNode pod) {
        if (Meta.deleting(pod)) {
            podDeleted(pod); // a pod seen first already going counts as a deletion
            return;
        }
        Optional<JsonNode> ref = ControllerRefs.controllerRef(pod);
        if (ref.isPresent()) {
            resolve(Meta.namespace(pod), ref.get()).ifPresent(rs -> {
                String key = WorkQueue.key(rs);
                expectations.creationObserved(key);
                queue.add(key);
            });
            return;
        }
        for (ObjectNode rs : matching(pod)) queue.add(WorkQueue.key(rs));
    }

    private void podUpdated(ObjectNode old, ObjectNode pod) {
        if (Meta.resourceVersion(old).equals(Meta.resourceVersion(pod))) return;
        boolean labelsChanged = !old.path("metadata").path("labels").equals(pod.path("metadata").path("labels"));
        if (Meta.deleting(pod)) {
            // Kubernetes counts the deletionTimestamp as the deletion: the pod is no longer active
            podDeleted(pod);
            if (labelsChanged) podDeleted(old);
            return;
        }
        Optional<JsonNode> oldRef = ControllerRefs.controllerRef(old);
        Optional<JsonNode> newRef = ControllerRefs.controllerRef(pod);
        boolean refChanged = !Objects.equals(oldRef.map(r -> r.path("uid").asText()), newRef.map(r -> r.path("uid").asText()));
        if (refChanged && oldRef.isPresent()) resolve(Meta.namespace(old), oldRef.get()).ifPresent(rs -> queue.add(WorkQueue.key(rs)));
        if (newRef.isPresent()) {
            resolve(Meta.namespace(pod), newRef.get()).ifPresent(rs -> {
                String key = WorkQueue.key(rs);
                queue.add(key);
                int minReady = rs.path("spec").path("minReadySeconds").asInt(0);
                if (minReady > 0 && !Pods.ready(old) && Pods.ready(pod)) queue.addAfter(key, Duration.ofSeconds(minReady).plusMillis(100));
            });
            return;
        }
        if (labelsChanged || refChanged) for (ObjectNode rs : matching(pod)) queue.add(WorkQueue.key(rs));
    }

    private void podDeleted(ObjectNode pod) {
        ControllerRefs.controllerRef(pod).flatMap(ref -> resolve(Meta.namespace(pod), ref)).ifPresent(rs -> {
            String key = WorkQueue.key(rs);
            expectations.deletionObserved(key, Meta.uid(pod));
            queue.add(key);
        });
    }

    // ---- reconcile ----------------------------------------------------------------------------------------------

    void reconcile(String key) throws Exception {
        String[] nn = WorkQueue.split(key);
        Optional<ObjectNode> cached = replicaSets.get(nn[0], nn[1]);
        if (cached.isEmpty()) {
            expectations.delete(key);
            return;
        }
        ObjectNode rs = cached.get();
        LabelSelector selector;
        try {
            selector = LabelSelector.fromObject(rs.path("spec").get("selector"));
        } catch (SelectorException e) {
            log.warn("replicaset {}: invalid selector: {}", key, e.getMessage());
            return;
        }
        boolean needsSync = expectations.satisfied(key);
        List<ObjectNode> active = new ArrayList<>();
        for (ObjectNode p : pods.byIndex(ControllerRefs.NAMESPACE_INDEX, nn[0])) if (Pods.active(p)) active.add(p);
        List<ObjectNode> owned = ControllerRefs.claim(client, rs, ControllerRefs.ownerRef(rs, "apps/v1", "ReplicaSet"),
                selector, active, p -> "/api/v1/namespaces/" + nn[0] + "/pods/" + Meta.name(p), true);

        int want = rs.path("spec").path("replicas").asInt(1);
        Exception manageError = null;
        Set<String> deleted = new HashSet<>();
        if (needsSync && !Meta.deleting(rs)) {
            try {
                manageReplicas(key, rs, owned, want, deleted);
            } catch (Exception e) {
                manageError = e;
            }
        }
        Instant now = Instant.now();
        boolean creating = owned.size() < want;
        // pods just deleted are no longer counted (Kubernetes counts them until its cache shows them terminating,
        // which lets a Deployment act on availability that is already going)
        if (!deleted.isEmpty()) owned = owned.stream().filter(p -> !deleted.contains(Meta.uid(p))).toList();
        ObjectNode status = status(rs, owned, manageError, creating, now);
        writeStatus(rs, status);
        int minReady = rs.path("spec").path("minReadySeconds").asInt(0);
        if (manageError == null && minReady > 0 && status.path("readyReplicas").asInt() != status.path("availableReplicas").asInt()) {
            queue.addAfter(key, Duration.ofSeconds(minReady).plusMillis(100));
        }
        if (manageError != null) throw manageError;
    }

    private void manageReplicas(String key, ObjectNode rs, List<ObjectNode> owned, int want, Set<String> deleted) throws Exception {
        int diff = owned.size() - want;
        if (diff < 0) {
            int n = Math.min(-diff, options.burstReplicas());
            expectations.expectCreations(key, n);
            create(key, rs, n);
        } else if (diff > 0) {
            int n = Math.min(diff, options.burstReplicas());
            List<ObjectNode> victims = podsToDelete(owned, n);
            Set<String> uids = new HashSet<>();
            for (ObjectNode p : victims) uids.add(Meta.uid(p));
            expectations.expectDeletions(key, uids);
            deleted.addAll(uids);
            delete(key, rs, victims);
        }
    }

    /** Creates {@code n} pods in slow-start batches; throws on the first batch with a failure. */
    private void create(String key, ObjectNode rs, int n) throws Exception {
        ObjectNode pod = podFromTemplate(rs);
        String path = "/api/v1/namespaces/" + Meta.namespace(rs) + "/pods";
        int attempted = 0;
        String firstError = null;
        int batch = Math.min(n, 1);
        while (batch > 0) {
            List<Future<KubeClient.Response>> results = new ArrayList<>();
            for (int i = 0; i < batch; i++) results.add(requests.submit(() -> client.post(path, pod)));
            attempted += batch;
            for (Future<KubeClient.Response> f : results) {
                String error;
                try {
                    KubeClient.Response r = f.get();
                    if (r.code() == 201) {
                        events.normal(rs, "SuccessfulCreate", "Created pod: " + Meta.name(r.json()));
                        continue;
                    }
                    error = statusMessage(r);
                } catch (java.util.concurrent.ExecutionException e) {
                    error = String.valueOf(e.getCause());
                }
                expectations.creationObserved(key); // this one will never be seen
                if (firstError == null) firstError = error;
                events.warning(rs, "FailedCreate", "Error creating: " + error);
            }
            if (firstError != null) break;
            batch = Math.min(n - attempted, 2 * batch);
        }
        for (int i = attempted; i < n; i++) expectations.creationObserved(key); // skipped
        if (firstError != null) throw new IllegalStateException("creating pods: " + firstError);
    }

    private void delete(String key, ObjectNode rs, List<ObjectNode> victims) throws Exception {
        String firstError = null;
        List<Future<KubeClient.Response>> results = new ArrayList<>();
        for (ObjectNode p : victims) {
            results.add(requests.submit(() -> client.delete("/api/v1/namespaces/" + Meta.namespace(p) + "/pods/" + Meta.name(p))));
        }
        for (int i = 0; i < victims.size(); i++) {
            ObjectNode p = victims.get(i);
            String error;
            try {
                KubeClient.Response r = results.get(i).get();
                if (r.code() == 200 || r.code() == 202) {
                    events.normal(rs, "SuccessfulDelete", "Deleted pod: " + Meta.name(p));
                    continue;
                }
                if (r.code() == 404) {
                    expectations.deletionObserved(key, Meta.uid(p));
                    continue;
                }
                error = statusMessage(r);
            } catch (java.util.concurrent.ExecutionException e) {
                error = String.valueOf(e.getCause());
            }
            expectations.deletionObserved(key, Meta.uid(p));
            if (firstError == null) firstError = error;
            events.warning(rs, "FailedDelete", "Error deleting: " + error);
        }
        if (firstError != null) throw new IllegalStateException("deleting pods: " + firstError);
    }

    private static String statusMessage(KubeClient.Response r) {
        try {
            String m = r.json().path("message").asText();
            if (!m.isEmpty()) return m;
        } catch (RuntimeException e) {
            // not a Status
        }
        return "HTTP " + r.code() + " " + r.text();
    }

    /** A pod as Kubernetes' GetPodFromTemplate makes it. */
    static ObjectNode podFromTemplate(ObjectNode rs) {
        JsonNode template = rs.path("spec").path("template");
        ObjectNode pod = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata");
        meta.put("generateName", Meta.name(rs) + "-").put("namespace", Meta.namespace(rs));
        JsonNode tm = template.path("metadata");
        for (String f : List.of("labels", "annotations", "finalizers")) if (tm.hasNonNull(f)) meta.set(f, tm.get(f).deepCopy());
        meta.putArray("ownerReferences").add(ControllerRefs.ownerRef(rs, "apps/v1", "ReplicaSet"));
        pod.set("spec", template.path("spec").deepCopy());
        return pod;
    }

    /** The {@code n} pods to delete first, as Kubernetes' ActivePodsWithRanks orders them. */
    static List<ObjectNode> podsToDelete(List<ObjectNode> owned, int n) {
        if (n >= owned.size()) return owned;
        Map<String, Integer> perNode = new HashMap<>();
        for (ObjectNode p : owned) {
            String node = p.path("spec").path("nodeName").asText();
            if (!node.isEmpty()) perNode.merge(node, 1, Integer::sum);
        }
        List<ObjectNode> sorted = new ArrayList<>(owned);
        sorted.sort(deletionOrder(perNode));
        return List.copyOf(sorted.subList(0, n));
    }

    static Comparator<ObjectNode> deletionOrder(Map<String, Integer> perNode) {
        return Comparator.<ObjectNode>comparingInt(p -> p.path("spec").path("nodeName").asText().isEmpty() ? 0 : 1)
                .thenComparingInt(p -> switch (p.path("status").path("phase").asText()) {
                    case "Pending" -> 0;
                    case "Unknown" -> 1;
                    case "Running" -> 2;
                    default -> 0;
                })
                .thenComparingInt(p -> Pods.ready(p) ? 1 : 0)
                .thenComparingLong(p -> deletionCost(p))
                .thenComparingInt(p -> -perNode.getOrDefault(p.path("spec").path("nodeName").asText(), 0))
                .thenComparing(p -> Pods.ready(p) ? Pods.readySince(p) : null, Comparator.nullsFirst(Comparator.reverseOrder()))
                .thenComparingInt(p -> -restarts(p))
                .thenComparing(p -> Pods.time(Meta.text(p, "creationTimestamp")), Comparator.nullsFirst(Comparator.reverseOrder()));
    }

    private static long deletionCost(JsonNode pod) {
        try {
            return Long.parseLong(pod.path("metadata").path("annotations").path(DELETION_COST).asText("0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int restarts(JsonNode pod) {
        int n = 0;
        for (JsonNode c : pod.path("status").path("containerStatuses")) n += c.path("restartCount").asInt(0);
        return n;
    }

    /** The status the ReplicaSet should have (Kubernetes' calculateStatus). */
    static ObjectNode status(ObjectNode rs, List<ObjectNode> owned, Exception manageError, boolean creating, Instant now) {
        JsonNode templateLabels = rs.path("spec").path("template").path("metadata").path("labels");
        int minReady = rs.path("spec").path("minReadySeconds").asInt(0);
        int fullyLabeled = 0, ready = 0, available = 0;
        for (ObjectNode p : owned) {
            JsonNode labels = p.path("metadata").path("labels");
            boolean all = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = templateLabels.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!labels.path(e.getKey()).asText("\0").equals(e.getValue().asText())) all = false;
            }
            if (all) fullyLabeled++;
            if (Pods.ready(p)) ready++;
            if (Pods.available(p, minReady, now)) available++;
        }
        ObjectNode status = Json.object();
        status.put("replicas", owned.size()).put("fullyLabeledReplicas", fullyLabeled).put("readyReplicas", ready)
                .put("availableReplicas", available).put("observedGeneration", rs.path("metadata").path("generation").asLong(0));
        ArrayNode conditions = Json.MAPPER.createArrayNode();
        JsonNode previousFailure = null;
        for (JsonNode c : rs.path("status").path("conditions")) {
            if (c.path("type").asText().equals("ReplicaFailure")) previousFailure = c;
            else conditions.add(c.deepCopy());
        }
        if (manageError != null) {
            String reason = creating ? "FailedCreate" : "FailedDelete";
            String message = manageError.getMessage();
            if (previousFailure != null && previousFailure.path("reason").asText().equals(reason)
                    && previousFailure.path("message").asText().equals(message)) {
                conditions.add(previousFailure.deepCopy());
            } else {
                conditions.addObject().put("type", "ReplicaFailure").put("status", "True")
                        .put("lastTransitionTime", Meta.timestamp(now)).put("reason", reason).put("message", message);
            }
        }
        if (!conditions.isEmpty()) status.set("conditions", conditions);
        return status;
    }

    private void writeStatus(ObjectNode rs, ObjectNode status) {
        JsonNode current = rs.path("status");
        boolean same = true;
        for (String f : List.of("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration")) {
            if (current.path(f).asLong(0) != status.path(f).asLong(0)) same = false;
        }
        if (!current.path("conditions").equals(status.path("conditions"))) same = false;
        if (same) return;
        ObjectNode copy = rs.deepCopy();
        copy.set("status", status);
        KubeClient.Response r = client.put(RS_PATH.replace("/replicasets", "/namespaces/" + Meta.namespace(rs) + "/replicasets/")
                + Meta.name(rs) + "/status", copy);
        if (r.code() == 409) throw new WorkQueue.Conflict("status of " + WorkQueue.key(rs) + ": conflict");
        if (r.code() == 404) return;
        if (r.code() != 200) throw new IllegalStateException("status of " + WorkQueue.key(rs) + ": " + r.code() + " " + r.text());
    }

    /** Outstanding creations for a ReplicaSet key (tests). */
    int pendingCreations(String key) {
        return expectations.pendingCreations(key);
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        queue.close();
        requests.shutdownNow();
    }
}
