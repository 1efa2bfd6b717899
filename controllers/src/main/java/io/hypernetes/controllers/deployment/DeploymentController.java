package io.hypernetes.controllers.deployment;

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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' Deployment controller: rolls a Deployment's pod template out through ReplicaSets it owns.
 *
 * <ul>
 *   <li>ReplicaSets named {@code <deployment>-<pod-template-hash>} ({@link TemplateHash}), the hash added as the
 *       {@code pod-template-hash} label to the ReplicaSet's selector, template (so to its pods) and labels; the new
 *       ReplicaSet is the one whose template equals the Deployment's ignoring that label, so going back to an old
 *       template (as {@code kubectl rollout undo} does) reuses the old ReplicaSet and bumps its revision.
 *   <li>{@code deployment.kubernetes.io/revision} on ReplicaSets (max of the old ones + 1 for the new one) and on the
 *       Deployment; {@code desired-replicas} and {@code max-replicas} annotations on ReplicaSets it scales.
 *   <li>RollingUpdate within maxSurge (rounded up) and maxUnavailable (rounded down, 1 when both are 0), as
 *       Kubernetes' rolloutRolling; Recreate (old ReplicaSets to 0, wait for their pods to go, then the new one up).
 *   <li>Scaling while nothing rolls out (or paused): the single active ReplicaSet, else proportionally across the
 *       active ones (largest first) within replicas + maxSurge.
 *   <li>{@code spec.paused}: no rollout, only scaling and cleanup; Progressing Unknown DeploymentPaused/Resumed.
 *   <li>{@code revisionHistoryLimit}: old ReplicaSets with no replicas beyond the limit are deleted, oldest
 *       revision first, once a rollout is complete.
 *   <li>Status: replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas,
 *       observedGeneration, collisionCount, conditions Available (MinimumReplicasAvailable/Unavailable) and
 *       Progressing (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
 *       ProgressDeadlineExceeded after {@code progressDeadlineSeconds} without progress), which is what
 *       {@code kubectl rollout status} reads.
 * </ul>
 *
 * <p>Two deliberate differences from Kubernetes make the rolling-update bounds hold on pods, not just on
 * ReplicaSet specs, while caches lag: the surge counts each ReplicaSet as {@code max(spec.replicas,
 * status.replicas)} (pods not yet deleted still count), and scaling old ReplicaSets down counts each as at most
 * {@code min(spec.replicas, status.availableReplicas)} available.
 *
 * <p>Event-driven from the shared Deployment, ReplicaSet and pod informers through a {@link WorkQueue}; writes by
 * the factory's {@link KubeClient} with cached resourceVersions, a 409 requeues.
 */
public final class DeploymentController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeploymentController.class);
    static final String COMPONENT = "deployment-controller";
    static final String DEPLOYMENTS = "/apis/apps/v1/deployments";
    static final String REPLICASETS = "/apis/apps/v1/replicasets";
    public static final String REVISION = "deployment.kubernetes.io/revision";
    public static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
    public static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
    static final Set<String> NOT_COPIED = Set.of("kubectl.kubernetes.io/last-applied-configuration", REVISION,
            "deployment.kubernetes.io/revision-history", DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to");

    /** @param workers concurrent reconciles (Kubernetes' default: 5) */
    public record Options(int workers) {
        public static final Options DEFAULT = new Options(5);

        public Options {
            if (workers < 1) throw new IllegalArgumentException("workers must be positive");
        }
    }

    private final KubeClient client;
    private final Informer deployments;
    private final Informer replicaSets;
    private final Informer pods;
    private final WorkQueue queue = new WorkQueue(COMPONENT);
    private final EventRecorder events;
    private final List<Informer.Registration> registrations = new ArrayList<>();

    private DeploymentController(InformerFactory factory) {
        this.client = factory.client();
        this.events = new EventRecorder(client, COMPONENT);
        this.deployments = ControllerRefs.namespaceIndex(factory.informer(DEPLOYMENTS));
        this.replicaSets = ControllerRefs.namespaceIndex(factory.informer(REPLICASETS));
        this.pods = ControllerRefs.namespaceIndex(factory.informer("/api/v1/pods"));
    }

    /** Runs the controller on the process's shared informers and their client; closing it leaves them running. */
    public static DeploymentController start(InformerFactory informers) {
        return start(informers, Options.DEFAULT);
    }

    public static DeploymentController start(InformerFactory informers, Options options) {
        DeploymentController c = new DeploymentController(informers);
        c.registrations.add(c.deployments.addHandler(ResourceEventHandler.of(
                d -> c.queue.add(WorkQueue.key(d)),
                (old, d) -> c.queue.add(WorkQueue.key(d)),
                d -> c.queue.add(WorkQueue.key(d)))));
        c.registrations.add(c.replicaSets.addHandler(new ResourceEventHandler() {
            @Override
            public void onAdd(ObjectNode rs) {
                c.replicaSetChanged(rs);
            }

            @Override
            public void onUpdate(ObjectNode old, ObjectNode rs) {
                if (!ControllerRefs.controllerRef(old).equals(ControllerRefs.controllerRef(rs))) c.replicaSetChanged(old);
                c.replicaSetChanged(rs);
            }

            @Override
            public void onDelete(ObjectNode rs) {
                c.replicaSetChanged(rs);
            }
        }));
        c.registrations.add(c.pods.addHandler(new ResourceEventHandler() {
            @Override
            public void onDelete(ObjectNode pod) {
                // Recreate waits for the old pods to be gone
                ControllerRefs.controllerRef(pod)
                        .flatMap(ref -> c.replicaSets.get(Meta.namespace(pod), ref.path("name").asText()))
                        .ifPresent(c::replicaSetChanged);
            }
        }));
        c.queue.run(options.workers(), c::reconcile);
        return c;
    }

    private void replicaSetChanged(ObjectNode rs) {
        Optional<JsonNode> ref = ControllerRefs.controllerRef(rs);
        if (ref.isPresent()) {
            if (ref.get().path("kind").asText().equals("Deployment")) {
                deployments.get(Meta.namespace(rs), ref.get().path("name").asText())
                        .filter(d -> Meta.uid(d).equals(ref.get().path("uid").asText()))
                        .ifPresent(d -> queue.add(WorkQueue.key(d)));
            }
            return;
        }
        for (ObjectNode d : deployments.byIndex(ControllerRefs.NAMESPACE_INDEX, Meta.namespace(rs))) {
            try {
                LabelSelector s = LabelSelector.fromObject(d.path("spec").get("selector"));
                if (!s.isEmpty() && s.matches(rs.path("metadata").path("labels"))) queue.add(WorkQueue.key(d));
            } catch (SelectorException e) {
                // selects nothing
            }
        }
    }

    // ---- one pass -----------------------------------------------------------------------------------------------

    void reconcile(String key) throws Exception {
        String[] nn = WorkQueue.split(key);
        Optional<ObjectNode> cached = deployments.get(nn[0], nn[1]);
        if (cached.isEmpty()) return;
        new Pass(cached.get().deepCopy(), key).run();
    }

    /** One sync of one Deployment; {@code d} is a private copy kept current with what this pass writes. */
    private final class Pass {
        ObjectNode d;
        final String key;
        final String ns;

        Pass(ObjectNode d, String key) {
            this.d = d;
            this.key = key;
            this.ns = Meta.namespace(d);
        }

        JsonNode spec() {
            return d.path("spec");
        }

        int replicas() {
            return spec().path("replicas").asInt(1);
        }

        void run() throws Exception {
            LabelSelector selector;
            try {
                selector = LabelSelector.fromObject(spec().get("selector"));
            } catch (SelectorException e) {
                log.warn("deployment {}: invalid selector: {}", key, e.getMessage());
                return;
            }
            if (selector.isEmpty()) {
                events.warning(d, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
                return;
            }
            List<ObjectNode> candidates = new ArrayList<>();
            for (ObjectNode rs : replicaSets.byIndex(ControllerRefs.NAMESPACE_INDEX, ns)) candidates.add(rs);
            List<ObjectNode> rsList = new ArrayList<>();
            for (ObjectNode rs : ControllerRefs.claim(client, d, ControllerRefs.ownerRef(d, "apps/v1", "Deployment"), selector,
                    candidates, rs -> rsPath(Meta.name(rs)), true)) {
                rsList.add(rs.deepCopy());
            }
            if (Meta.deleting(d)) {
                syncStatusOnly(rsList);
                return;
            }
            checkPausedConditions();
            if (spec().path("paused").asBoolean(false)) {
                sync(rsList);
                return;
            }
            if (isScalingEvent(rsList)) {
                sync(rsList);
                return;
            }
            if (recreate()) rolloutRecreate(rsList);
            else rolloutRolling(rsList);
        }

        boolean recreate() {
            return spec().path("strategy").path("type").asText("RollingUpdate").equals("Recreate");
        }

        // ---- ReplicaSets, revisions -------------------------------------------------------------------------

        /** [newRS or null, old RSes...]: finds (and with {@code create}, makes) the new ReplicaSet, syncs revisions. */
        ObjectNode getAllAndSyncRevision(List<ObjectNode> rsList, List<ObjectNode> oldOut, boolean create) throws Exception {
            List<ObjectNode> sorted = new ArrayList<>(rsList);
            sorted.sort(byCreation());
            ObjectNode existing = null;
            for (ObjectNode rs : sorted) {
                if (TemplateHash.equalIgnoringHash(rs.path("spec").path("template"), spec().path("template"))) {
                    existing = rs;
                    break;
                }
            }
            oldOut.clear();
            for (ObjectNode rs : rsList) if (rs != existing) oldOut.add(rs);
            return newReplicaSet(existing, oldOut, create);
        }

        ObjectNode newReplicaSet(ObjectNode existing, List<ObjectNode> oldRSs, boolean create) throws Exception {
            long maxOld = 0;
            for (ObjectNode rs : oldRSs) maxOld = Math.max(maxOld, revision(rs));
            long newRevision = maxOld + 1;
            if (existing != null) {
                ObjectNode copy = existing.deepCopy();
                boolean changed = setNewReplicaSetAnnotations(copy, newRevision, true);
                int minReady = spec().path("minReadySeconds").asInt(0);
                if (copy.path("spec").path("minReadySeconds").asInt(0) != minReady) {
                    ((ObjectNode) copy.get("spec")).put("minReadySeconds", minReady);
                    changed = true;
                }
                if (changed) replaceWith(existing, putReplicaSet(copy));
                boolean annotate = setDeploymentRevision(revision(existing));
                boolean status = false;
                if (hasProgressDeadline() && condition("Progressing") == null) {
                    setCondition(status(), "Progressing", "True", "FoundNewReplicaSet",
                            "Found new replica set \"" + Meta.name(existing) + "\"");
                    status = true;
                }
                save(annotate, status);
                return existing;
            }
            if (!create) return null;

            Integer collisions = d.path("status").hasNonNull("collisionCount") ? d.path("status").path("collisionCount").asInt() : null;
            String hash = TemplateHash.of(spec().path("template"), collisions);
            ObjectNode rs = Json.object().put("apiVersion", "apps/v1").put("kind", "ReplicaSet");
            ObjectNode meta = rs.putObject("metadata").put("name", Meta.name(d) + "-" + hash).put("namespace", ns);
            ObjectNode labels = meta.putObject("labels");
            spec().path("template").path("metadata").path("labels").fields().forEachRemaining(e -> labels.set(e.getKey(), e.getValue()));
            labels.put(TemplateHash.LABEL, hash);
            meta.putArray("ownerReferences").add(ControllerRefs.ownerRef(d, "apps/v1", "Deployment"));
            ObjectNode rsSpec = rs.putObject("spec");
            ObjectNode template = spec().path("template").deepCopy();
            template.withObject("/metadata").withObject("/labels").put(TemplateHash.LABEL, hash);
            ObjectNode selector = spec().path("selector").deepCopy();
            selector.withObject("/matchLabels").put(TemplateHash.LABEL, hash);
            rsSpec.set("selector", selector);
            rsSpec.set("template", template);
            rsSpec.put("minReadySeconds", spec().path("minReadySeconds").asInt(0));
            List<ObjectNode> all = new ArrayList<>(oldRSs);
            int newReplicas = newRSNewReplicas(all, null);
            rsSpec.put("replicas", newReplicas);
            setNewReplicaSetAnnotations(rs, newRevision, false);

            KubeClient.Response r = client.post(REPLICASETS.replace("/replicasets", "/namespaces/" + ns + "/replicasets"), rs);
            ObjectNode created;
            if (r.code() == 201) {
                created = (ObjectNode) r.json();
                if (newReplicas > 0) {
                    events.normal(d, "ScalingReplicaSet", "Scaled up replica set " + Meta.name(created) + " from 0 to " + newReplicas);
                }
            } else if (r.code() == 409) {
                KubeClient.Response got = client.get(rsPath(Meta.name(rs)));
                if (got.code() == 200 && ControllerRefs.controlledBy(got.json(), Meta.uid(d))
                        && TemplateHash.equalIgnoringHash(got.json().path("spec").path("template"), spec().path("template"))) {
                    created = (ObjectNode) got.json(); // our cache had not seen it yet
                } else {
                    // a hash collision with a ReplicaSet of another template: hash again with the next count
                    status().put("collisionCount", collisions == null ? 1 : collisions + 1);
                    save(false, true);
                    throw new WorkQueue.Conflict("replica set " + Meta.name(rs) + " exists with another template");
                }
            } else {
                if (hasProgressDeadline()) {
                    setCondition(status(), "Progressing", "False", "ReplicaSetCreateError",
                            "Failed to create new replica set \"" + Meta.name(rs) + "\": " + r.text());
                    save(false, true);
                }
                events.warning(d, "FailedCreate", "Failed to create new replica set \"" + Meta.name(rs) + "\": " + r.text());
                throw new IllegalStateException("create replica set: " + r.code() + " " + r.text());
            }
            boolean annotate = setDeploymentRevision(newRevision);
            if (hasProgressDeadline()) {
                setCondition(status(), "Progressing", "True", "NewReplicaSetCreated",
                        "Created new replica set \"" + Meta.name(created) + "\"");
            }
            save(annotate, hasProgressDeadline());
            return created;
        }

        /** Kubernetes' SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision. */
        boolean setNewReplicaSetAnnotations(ObjectNode rs, long newRevision, boolean exists) {
            ObjectNode ann = rs.withObject("/metadata").withObject("/annotations");
            boolean changed = false;
            var it = d.path("metadata").path("annotations").fields();
            while (it.hasNext()) {
                var e = it.next();
                if (NOT_COPIED.contains(e.getKey())) continue;
                if (!e.getValue().equals(ann.get(e.getKey()))) {
                    ann.set(e.getKey(), e.getValue());
                    changed = true;
                }
            }
            if (revision(rs) < newRevision) {
                ann.put(REVISION, Long.toString(newRevision));
                changed = true;
            }
            if (!exists) {
                ann.put(DESIRED_REPLICAS, Integer.toString(replicas()));
                ann.put(MAX_REPLICAS, Integer.toString(replicas() + maxSurge()));
                changed = true;
            }
            return changed;
        }

        boolean setDeploymentRevision(long revision) {
            String r = Long.toString(revision);
            if (d.path("metadata").path("annotations").path(REVISION).asText().equals(r)) return false;
            d.withObject("/metadata").withObject("/annotations").put(REVISION, r);
            return true;
        }

        // ---- strategies -------------------------------------------------------------------------------------

        void rolloutRolling(List<ObjectNode> rsList) throws Exception {
            List<ObjectNode> oldRSs = new ArrayList<>();
            ObjectNode newRS = getAllAndSyncRevision(rsList, oldRSs, true);
            List<ObjectNode> all = new ArrayList<>(oldRSs);
            all.add(newRS);
            if (reconcileNewReplicaSet(all, newRS)) {
                syncRolloutStatus(all, newRS);
                return;
            }
            if (reconcileOldReplicaSets(all, oldRSs, newRS)) {
                syncRolloutStatus(all, newRS);
                return;
            }
            if (complete(calculateStatus(all, newRS))) cleanup(oldRSs);
            syncRolloutStatus(all, newRS);
        }

        boolean reconcileNewReplicaSet(List<ObjectNode> all, ObjectNode newRS) throws Exception {
            int current = specReplicas(newRS);
            if (current == replicas()) return false;
            if (current > replicas()) return scale(newRS, replicas());
            return scale(newRS, newRSNewReplicas(all, newRS));
        }

        /** Kubernetes' NewRSNewReplicas (pods counted as max(spec, status.replicas), see the class comment). */
        int newRSNewReplicas(List<ObjectNode> all, ObjectNode newRS) {
            if (recreate()) return replicas();
            int current = newRS == null ? 0 : specReplicas(newRS);
            int podCount = 0;
            for (ObjectNode rs : all) podCount += Math.max(specReplicas(rs), rs.path("status").path("replicas").asInt(0));
            int maxTotal = replicas() + maxSurge();
            if (podCount >= maxTotal) return current;
            int up = Math.min(maxTotal - podCount, replicas() - current);
            return current + Math.max(up, 0);
        }

        boolean reconcileOldReplicaSets(List<ObjectNode> all, List<ObjectNode> oldRSs, ObjectNode newRS) throws Exception {
            int oldPods = 0;
            for (ObjectNode rs : oldRSs) oldPods += specReplicas(rs);
            if (oldPods == 0) return false;
            int allPods = 0;
            for (ObjectNode rs : all) allPods += specReplicas(rs);
            int minAvailable = replicas() - maxUnavailable();
            int newUnavailable = specReplicas(newRS) - newRS.path("status").path("availableReplicas").asInt(0);
            int maxScaledDown = allPods - minAvailable - newUnavailable;
            if (maxScaledDown <= 0) return false;
            // old ReplicaSets' unhealthy replicas first: they do not count towards availability
            List<ObjectNode> sorted = new ArrayList<>(oldRSs);
            sorted.sort(byCreation());
            int cleaned = 0;
            for (ObjectNode rs : sorted) {
                if (cleaned >= maxScaledDown) break;
                int spec = specReplicas(rs);
                int unhealthy = spec - available(rs);
                if (spec == 0 || unhealthy <= 0) continue;
                int down = Math.min(maxScaledDown - cleaned, unhealthy);
                scale(rs, spec - down);
                cleaned += down;
            }
            // then healthy ones, as far as availability allows
            int availableNow = 0;
            for (ObjectNode rs : all) availableNow += available(rs);
            int toScaleDown = availableNow - minAvailable;
            int scaledDown = 0;
            if (toScaleDown > 0) {
                for (ObjectNode rs : sorted) {
                    if (scaledDown >= toScaleDown) break;
                    int spec = specReplicas(rs);
                    if (spec == 0) continue;
                    int down = Math.min(spec, toScaleDown - scaledDown);
                    scale(rs, spec - down);
                    scaledDown += down;
                }
            }
            return cleaned + scaledDown > 0;
        }

        void rolloutRecreate(List<ObjectNode> rsList) throws Exception {
            List<ObjectNode> oldRSs = new ArrayList<>();
            ObjectNode newRS = getAllAndSyncRevision(rsList, oldRSs, false);
            List<ObjectNode> all = new ArrayList<>(oldRSs);
            if (newRS != null) all.add(newRS);
            boolean scaledDown = false;
            for (ObjectNode rs : oldRSs) if (specReplicas(rs) > 0) scaledDown |= scale(rs, 0);
            if (scaledDown || oldPodsRunning(oldRSs)) {
                syncRolloutStatus(all, newRS);
                return;
            }
            if (newRS == null) {
                newRS = getAllAndSyncRevision(rsList, oldRSs, true);
                all = new ArrayList<>(oldRSs);
                all.add(newRS);
            }
            scale(newRS, replicas());
            if (complete(calculateStatus(all, newRS))) cleanup(oldRSs);
            syncRolloutStatus(all, newRS);
        }

        boolean oldPodsRunning(List<ObjectNode> oldRSs) {
            Set<String> uids = new HashSet<>();
            for (ObjectNode rs : oldRSs) {
                if (rs.path("status").path("replicas").asInt(0) > 0) return true;
                uids.add(Meta.uid(rs));
            }
            for (ObjectNode p : pods.byIndex(ControllerRefs.NAMESPACE_INDEX, ns)) {
                Optional<JsonNode> ref = ControllerRefs.controllerRef(p);
                if (ref.isEmpty() || !uids.contains(ref.get().path("uid").asText())) continue;
                String phase = p.path("status").path("phase").asText();
                if (!phase.equals("Succeeded") && !phase.equals("Failed")) return true;
            }
            return false;
        }

        // ---- scaling (no rollout) ---------------------------------------------------------------------------

        boolean isScalingEvent(List<ObjectNode> rsList) throws Exception {
            List<ObjectNode> oldRSs = new ArrayList<>();
            ObjectNode newRS = getAllAndSyncRevision(rsList, oldRSs, false);
            List<ObjectNode> all = new ArrayList<>(oldRSs);
            if (newRS != null) all.add(newRS);
            for (ObjectNode rs : all) {
                if (specReplicas(rs) == 0) continue;
                JsonNode desired = rs.path("metadata").path("annotations").get(DESIRED_REPLICAS);
                if (desired == null) continue;
                if (desired.asInt(-1) != replicas()) return true;
            }
            return false;
        }

        void sync(List<ObjectNode> rsList) throws Exception {
            List<ObjectNode> oldRSs = new ArrayList<>();
            ObjectNode newRS = getAllAndSyncRevision(rsList, oldRSs, false);
            scaleAll(newRS, oldRSs);
            if (spec().path("paused").asBoolean(false)) cleanup(oldRSs);
            List<ObjectNode> all = new ArrayList<>(oldRSs);
            if (newRS != null) all.add(newRS);
            syncDeploymentStatus(all, newRS);
        }

        void scaleAll(ObjectNode newRS, List<ObjectNode> oldRSs) throws Exception {
            List<ObjectNode> active = new ArrayList<>();
            for (ObjectNode rs : oldRSs) if (specReplicas(rs) > 0) active.add(rs);
            if (newRS != null && specReplicas(newRS) > 0) active.add(newRS);
            ObjectNode only = null;
            if (active.size() == 1) only = active.get(0);
            else if (active.isEmpty()) {
                if (newRS != null) only = newRS;
                else if (!oldRSs.isEmpty()) only = oldRSs.stream().max(byCreation()).orElseThrow();
            }
            if (only != null) {
                if (specReplicas(only) != replicas()) scale(only, replicas());
                return;
            }
            if (newRS != null && newRS.path("metadata").path("annotations").path(DESIRED_REPLICAS).asInt(-1) == replicas()
                    && newRS.path("status").path("availableReplicas").asInt(0) == replicas() && specReplicas(newRS) == replicas()) {
                for (ObjectNode rs : oldRSs) if (specReplicas(rs) > 0) scale(rs, 0);
                return;
            }
            if (recreate()) return;
            int total = 0;
            for (ObjectNode rs : active) total += specReplicas(rs);
            int allowed = replicas() > 0 ? replicas() + maxSurge() : 0;
            int toAdd = allowed - total;
            if (toAdd == 0 || total == 0) return;
            // proportionally to their sizes, the largest (newer on ties when adding, older when removing) first
            Comparator<ObjectNode> bySize = Comparator.<ObjectNode>comparingInt(DeploymentController::specReplicas).reversed();
            active.sort(toAdd > 0 ? bySize.thenComparing(byCreation().reversed()) : bySize.thenComparing(byCreation()));
            int[] target = new int[active.size()];
            int added = 0;
            for (int i = 0; i < active.size(); i++) {
                int share = (int) ((long) toAdd * specReplicas(active.get(i)) / total);
                if (Math.abs(added + share) > Math.abs(toAdd)) share = toAdd - added;
                target[i] = specReplicas(active.get(i)) + share;
                added += share;
            }
            target[0] += toAdd - added;
            for (int i = 0; i < active.size(); i++) scale(active.get(i), Math.max(target[i], 0));
        }

        void cleanup(List<ObjectNode> oldRSs) {
            if (!spec().hasNonNull("revisionHistoryLimit")) return;
            int limit = spec().path("revisionHistoryLimit").asInt();
            List<ObjectNode> cleanable = new ArrayList<>();
            for (ObjectNode rs : oldRSs) if (!Meta.deleting(rs)) cleanable.add(rs);
            int diff = cleanable.size() - limit;
            if (diff <= 0) return;
            cleanable.sort(Comparator.<ObjectNode>comparingLong(DeploymentController::revision).thenComparing(byCreation()));
            for (int i = 0; i < diff; i++) {
                ObjectNode rs = cleanable.get(i);
                if (rs.path("status").path("replicas").asInt(0) != 0 || specReplicas(rs) != 0
                        || rs.path("metadata").path("generation").asLong(0) > rs.path("status").path("observedGeneration").asLong(0)) {
                    continue;
                }
                KubeClient.Response r = client.delete(rsPath(Meta.name(rs)));
                if (r.code() != 200 && r.code() != 202 && r.code() != 404) {
                    log.warn("deployment {}: deleting old replica set {}: {}", key, Meta.name(rs), r.code());
                }
            }
        }

        /** Scales a ReplicaSet (and its desired/max annotations); true when its size changed. */
        boolean scale(ObjectNode rs, int size) throws Exception {
            int current = specReplicas(rs);
            JsonNode ann = rs.path("metadata").path("annotations");
            boolean annotations = ann.path(DESIRED_REPLICAS).asInt(-1) != replicas()
                    || ann.path(MAX_REPLICAS).asInt(-1) != replicas() + maxSurge();
            if (current == size && !annotations) return false;
            ObjectNode copy = rs.deepCopy();
            ((ObjectNode) copy.get("spec")).put("replicas", size);
            copy.withObject("/metadata").withObject("/annotations").put(DESIRED_REPLICAS, Integer.toString(replicas()))
                    .put(MAX_REPLICAS, Integer.toString(replicas() + maxSurge()));
            replaceWith(rs, putReplicaSet(copy));
            if (current != size) {
                events.normal(d, "ScalingReplicaSet", "Scaled " + (size > current ? "up" : "down") + " replica set "
                        + Meta.name(rs) + " from " + current + " to " + size);
            }
            return current != size;
        }

        // ---- status -----------------------------------------------------------------------------------------

        ObjectNode status() {
            return d.withObject("/status");
        }

        JsonNode condition(String type) {
            for (JsonNode c : d.path("status").path("conditions")) if (c.path("type").asText().equals(type)) return c;
            return null;
        }

        boolean hasProgressDeadline() {
            return spec().hasNonNull("progressDeadlineSeconds") && spec().path("progressDeadlineSeconds").asLong() != Integer.MAX_VALUE;
        }

        void checkPausedConditions() throws Exception {
            if (!hasProgressDeadline()) return;
            JsonNode cond = condition("Progressing");
            if (cond != null && cond.path("reason").asText().equals("ProgressDeadlineExceeded")) return;
            boolean pausedCond = cond != null && cond.path("reason").asText().equals("DeploymentPaused");
            boolean paused = spec().path("paused").asBoolean(false);
            if (paused && !pausedCond) {
                setCondition(status(), "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
            } else if (!paused && pausedCond) {
                setCondition(status(), "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed");
            } else {
                return;
            }
            save(false, true);
        }

        ObjectNode calculateStatus(List<ObjectNode> all, ObjectNode newRS) {
            int available = 0, total = 0, actual = 0, ready = 0;
            for (ObjectNode rs : all) {
                available += rs.path("status").path("availableReplicas").asInt(0);
                total += specReplicas(rs);
                actual += rs.path("status").path("replicas").asInt(0);
                ready += rs.path("status").path("readyReplicas").asInt(0);
            }
            ObjectNode s = Json.object();
            s.put("observedGeneration", d.path("metadata").path("generation").asLong(0)).put("replicas", actual)
                    .put("updatedReplicas", newRS == null ? 0 : newRS.path("status").path("replicas").asInt(0))
                    .put("readyReplicas", ready).put("availableReplicas", available)
                    .put("unavailableReplicas", Math.max(total - available, 0));
            if (d.path("status").hasNonNull("collisionCount")) s.set("collisionCount", d.path("status").get("collisionCount"));
            JsonNode conditions = d.path("status").path("conditions");
            if (conditions.isArray()) s.set("conditions", conditions.deepCopy());
            if (available >= replicas() - maxUnavailable()) {
                setCondition(s, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
            } else {
                setCondition(s, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
            }
            return s;
        }

        boolean complete(ObjectNode s) {
            return s.path("updatedReplicas").asInt() == replicas() && s.path("replicas").asInt() == replicas()
                    && s.path("availableReplicas").asInt() == replicas()
                    && s.path("observedGeneration").asLong() >= d.path("metadata").path("generation").asLong(0);
        }

        void syncStatusOnly(List<ObjectNode> rsList) throws Exception {
            List<ObjectNode> oldRSs = new ArrayList<>();
            ObjectNode newRS = getAllAndSyncRevision(rsList, oldRSs, false);
            List<ObjectNode> all = new ArrayList<>(oldRSs);
            if (newRS != null) all.add(newRS);
            syncDeploymentStatus(all, newRS);
        }

        void syncDeploymentStatus(List<ObjectNode> all, ObjectNode newRS) throws Exception {
            ObjectNode s = calculateStatus(all, newRS);
            if (sameStatus(d.path("status"), s)) return;
            d.set("status", s);
            save(false, true);
        }

        void syncRolloutStatus(List<ObjectNode> all, ObjectNode newRS) throws Exception {
            ObjectNode s = calculateStatus(all, newRS);
            if (!hasProgressDeadline()) removeCondition(s, "Progressing");
            JsonNode current = condition("Progressing");
            boolean completeAlready = s.path("replicas").asInt() == s.path("updatedReplicas").asInt() && current != null
                    && current.path("reason").asText().equals("NewReplicaSetAvailable");
            String rsName = newRS == null ? "" : Meta.name(newRS);
            if (hasProgressDeadline() && !completeAlready) {
                if (complete(s)) {
                    setCondition(s, "Progressing", "True", "NewReplicaSetAvailable",
                            "ReplicaSet \"" + rsName + "\" has successfully progressed.");
                } else if (progressing(s)) {
                    String transition = current != null && current.path("status").asText().equals("True")
                            ? current.path("lastTransitionTime").asText() : null;
                    removeCondition(s, "Progressing");
                    setCondition(s, "Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"" + rsName + "\" is progressing.");
                    if (transition != null && !transition.isEmpty()) ((ObjectNode) conditionOf(s, "Progressing")).put("lastTransitionTime", transition);
                } else if (timedOut(s)) {
                    setCondition(s, "Progressing", "False", "ProgressDeadlineExceeded",
                            "ReplicaSet \"" + rsName + "\" has timed out progressing.");
                    events.warning(d, "ProgressDeadlineExceeded", "ReplicaSet \"" + rsName + "\" has timed out progressing.");
                }
            }
            if (sameStatus(d.path("status"), s)) {
                requeueStuck(s);
                return;
            }
            d.set("status", s);
            save(false, true);
        }

        boolean progressing(ObjectNode s) {
            JsonNode old = d.path("status");
            int oldOld = old.path("replicas").asInt(0) - old.path("updatedReplicas").asInt(0);
            int newOld = s.path("replicas").asInt(0) - s.path("updatedReplicas").asInt(0);
            return s.path("updatedReplicas").asInt(0) > old.path("updatedReplicas").asInt(0) || newOld < oldOld
                    || s.path("readyReplicas").asInt(0) > old.path("readyReplicas").asInt(0)
                    || s.path("availableReplicas").asInt(0) > old.path("availableReplicas").asInt(0);
        }

        boolean timedOut(ObjectNode s) {
            if (!hasProgressDeadline()) return false;
            JsonNode c = conditionOf(s, "Progressing");
            if (c == null) return false;
            String reason = c.path("reason").asText();
            if (reason.equals("NewReplicaSetAvailable")) return false;
            if (reason.equals("ProgressDeadlineExceeded")) return true;
            Instant from = time(c.path("lastUpdateTime").asText());
            if (from == null) return false;
            return from.plusSeconds(spec().path("progressDeadlineSeconds").asLong()).isBefore(Instant.now());
        }

        void requeueStuck(ObjectNode s) {
            JsonNode c = condition("Progressing");
            if (!hasProgressDeadline() || c == null || complete(s)) return;
            if (c.path("reason").asText().equals("ProgressDeadlineExceeded")) return;
            Instant from = time(c.path("lastUpdateTime").asText());
            if (from == null) return;
            Duration after = Duration.between(Instant.now(), from.plusSeconds(spec().path("progressDeadlineSeconds").asLong()));
            if (after.compareTo(Duration.ofSeconds(1)) < 0) queue.addRateLimited(key);
            else queue.addAfter(key, after.plusSeconds(1));
        }

        /** Writes what this pass changed: the revision annotation (merge patch), then the status subresource. */
        void save(boolean annotation, boolean status) {
            String path = DEPLOYMENTS.replace("/deployments", "/namespaces/" + ns + "/deployments/") + Meta.name(d);
            if (annotation) {
                ObjectNode patch = Json.object();
                patch.putObject("metadata").putObject("annotations").put(REVISION, d.path("metadata").path("annotations").path(REVISION).asText());
                KubeClient.Response r = client.patch(path, "application/merge-patch+json", patch);
                if (r.code() == 404) throw new WorkQueue.Conflict("deployment " + key + " is gone");
                if (r.code() != 200) throw new IllegalStateException("annotate deployment " + key + ": " + r.code() + " " + r.text());
                ObjectNode fresh = (ObjectNode) r.json();
                if (fresh.path("metadata").path("generation").asLong() != d.path("metadata").path("generation").asLong()) {
                    throw new WorkQueue.Conflict("deployment " + key + " changed");
                }
                fresh.set("status", d.path("status").deepCopy());
                d = fresh;
            }
            if (status) {
                KubeClient.Response r = client.put(path + "/status", d);
                if (r.code() == 409) throw new WorkQueue.Conflict("status of deployment " + key + ": conflict");
                if (r.code() == 404) throw new WorkQueue.Conflict("deployment " + key + " is gone");
                if (r.code() != 200) throw new IllegalStateException("status of deployment " + key + ": " + r.code() + " " + r.text());
                d = (ObjectNode) r.json();
            }
        }

        int maxSurge() {
            if (recreate()) return 0;
            return fenceposts()[0];
        }

        int maxUnavailable() {
            if (recreate() || replicas() == 0) return 0;
            return Math.min(fenceposts()[1], replicas());
        }

        /** Kubernetes' ResolveFenceposts: surge rounded up, unavailable rounded down, 1 unavailable if both are 0. */
        int[] fenceposts() {
            JsonNode ru = spec().path("strategy").path("rollingUpdate");
            int surge = intOrPercent(ru.get("maxSurge"), replicas(), true, 0);
            int unavailable = intOrPercent(ru.get("maxUnavailable"), replicas(), false, 0);
            if (surge == 0 && unavailable == 0) unavailable = 1;
            return new int[] {surge, unavailable};
        }

        String rsPath(String name) {
            return REPLICASETS.replace("/replicasets", "/namespaces/" + ns + "/replicasets/") + name;
        }

        ObjectNode putReplicaSet(ObjectNode rs) {
            KubeClient.Response r = client.put(rsPath(Meta.name(rs)), rs);
            if (r.code() == 409 || r.code() == 404) throw new WorkQueue.Conflict("replica set " + Meta.name(rs) + ": " + r.code());
            if (r.code() != 200) throw new IllegalStateException("update replica set " + Meta.name(rs) + ": " + r.code() + " " + r.text());
            return (ObjectNode) r.json();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    static int intOrPercent(JsonNode v, int total, boolean roundUp, int dflt) {
        if (v == null || v.isNull()) return dflt;
        if (v.isNumber()) return v.asInt();
        String s = v.asText().trim();
        if (s.endsWith("%")) {
            int pct = Integer.parseInt(s.substring(0, s.length() - 1));
            long x = (long) pct * total;
            return (int) (roundUp ? (x + 99) / 100 : x / 100);
        }
        return Integer.parseInt(s);
    }

    static int specReplicas(JsonNode rs) {
        return rs.path("spec").path("replicas").asInt(1);
    }

    /** Available replicas, at most spec.replicas (see the class comment). */
    static int available(JsonNode rs) {
        return Math.min(specReplicas(rs), rs.path("status").path("availableReplicas").asInt(0));
    }

    static long revision(JsonNode rs) {
        try {
            return Long.parseLong(rs.path("metadata").path("annotations").path(REVISION).asText("0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static Comparator<ObjectNode> byCreation() {
        return Comparator.<ObjectNode, String>comparing(rs -> Meta.text(rs, "creationTimestamp")).thenComparing(Meta::name);
    }

    static void replaceWith(ObjectNode target, ObjectNode source) {
        target.removeAll();
        target.setAll(source);
    }

    static Instant time(String text) {
        try {
            return text == null || text.isEmpty() ? null : Instant.parse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static JsonNode conditionOf(JsonNode status, String type) {
        for (JsonNode c : status.path("conditions")) if (c.path("type").asText().equals(type)) return c;
        return null;
    }

    static void removeCondition(ObjectNode status, String type) {
        if (!(status.get("conditions") instanceof ArrayNode conds)) return;
        for (int i = conds.size() - 1; i >= 0; i--) if (conds.get(i).path("type").asText().equals(type)) conds.remove(i);
    }

    /** Kubernetes' SetDeploymentCondition: same status and reason = unchanged; same status keeps the transition time. */
    static void setCondition(ObjectNode status, String type, String condStatus, String reason, String message) {
        JsonNode current = conditionOf(status, type);
        if (current != null && current.path("status").asText().equals(condStatus) && current.path("reason").asText().equals(reason)) return;
        String now = Meta.timestamp(Instant.now());
        String transition = current != null && current.path("status").asText().equals(condStatus)
                ? current.path("lastTransitionTime").asText(now) : now;
        removeCondition(status, type);
        status.withArray("conditions").addObject().put("type", type).put("status", condStatus).put("lastUpdateTime", now)
                .put("lastTransitionTime", transition).put("reason", reason).put("message", message);
    }

    static boolean sameStatus(JsonNode a, JsonNode b) {
        for (String f : List.of("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                "unavailableReplicas", "collisionCount")) {
            if (a.path(f).asLong(0) != b.path(f).asLong(0)) return false;
        }
        return a.path("conditions").equals(b.path("conditions"))
                || (a.path("conditions").isEmpty() && b.path("conditions").isEmpty());
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        queue.close();
    }
}
