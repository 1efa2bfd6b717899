package io.hypernetes.controllers.gc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes objects whose owners are gone, as Kubernetes' garbage collector does, over {@code ownerReferences}.
 *
 * <ul>
 *   <li><b>Background</b> (the default): an object none of whose owners exists any more (deleted, or an object of
 *       that name with another uid) is deleted ({@code propagationPolicy: Background}, uid precondition). An owner
 *       the cache does not have is looked up on the server before anything is deleted. An object that still has an
 *       owner loses only its references to the absent ones.
 *   <li><b>Foreground</b>: an owner being deleted with the {@value #FOREGROUND} finalizer has its dependents deleted;
 *       the finalizer is removed (and the server deletes the owner) once no dependent with
 *       {@code blockOwnerDeletion: true} is left. A dependent that has dependents itself is deleted in the
 *       foreground too (the finalizer added by this collector, then DELETE with {@code propagationPolicy: Foreground}).
 *   <li><b>Orphan</b>: an owner being deleted with the {@value #ORPHAN} finalizer has its references removed from every
 *       dependent, then the finalizer.
 * </ul>
 *
 * <p>The resources come from discovery ({@code /api/v1} and every group version of {@code /apis}): each one that can
 * be listed, watched and deleted gets a shared informer with an index of its objects by owner uid. An object is
 * queued when it is added or changed with owner references or one of those finalizers, and the dependents (and
 * owners) of a deleted object are queued. Owner references to kinds the server does not serve are left alone.
 *
 * <p>Until the API server turns {@code DeleteOptions.propagationPolicy} (and {@code orphanDependents}) into these
 * finalizers itself, foreground and orphan deletion work for objects that carry the finalizers when deleted.
 */
public final class GarbageCollector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    public static final String FOREGROUND = "foregroundDeletion";
    public static final String ORPHAN = "orphan";
    static final String BY_OWNER = "gc.ownerUid";

    /** A served resource. */
    record Resource(String group, String version, String kind, String plural, boolean namespaced) {
        String apiVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }

        String id() {
            return plural + (group.isEmpty() ? "" : "." + group);
        }

        String path(String namespace, String name) {
            String base = (group.isEmpty() ? "/api/" : "/apis/" + group + "/") + version;
            String ns = namespaced && namespace != null && !namespace.isEmpty() ? "/namespaces/" + namespace : "";
            return base + ns + "/" + plural + (name == null ? "" : "/" + name);
        }
    }

    public record Config(int workers, Duration syncTimeout) {
        public static final Config DEFAULT = new Config(4, Duration.ofMinutes(1));
    }

    private final KubeClient client;
    private final Config config;
    /** apiVersion + "/" + kind → resource, for owner references. */
    private final Map<String, Resource> byKind = new LinkedHashMap<>();
    private final Map<String, Resource> byId = new LinkedHashMap<>();
    private final Map<String, Informer> informers = new LinkedHashMap<>();
    private final WorkQueue queue = new WorkQueue("garbage-collector");
    private final List<Informer.Registration> registrations = new ArrayList<>();
    private volatile boolean closed;

    private GarbageCollector(InformerFactory factory, Config config) {
        this.client = factory.client();
        this.config = config;
        for (Resource r : discover(client)) {
            byKind.putIfAbsent(r.apiVersion() + "/" + r.kind(), r);
            byId.put(r.id(), r);
        }
        for (Resource r : byId.values()) {
            if (!watchable.contains(r.id())) continue;
            Informer informer = factory.informer(r.path(null, null));
            synchronized (informer) {
                try {
                    informer.addIndex(BY_OWNER, GarbageCollector::ownerUids);
                } catch (IllegalArgumentException e) {
                    // an earlier collector on the same shared informer added it
                }
            }
            informers.put(r.id(), informer);
        }
    }

    private final Set<String> watchable = new HashSet<>();

    /** The resources of {@code /api/v1} and of {@code /apis}' group versions. */
    private List<Resource> discover(KubeClient client) {
        List<String> groupVersions = new ArrayList<>();
        groupVersions.add("v1");
        KubeClient.Response apis = client.get("/apis");
        if (apis.code() != 200) throw new IllegalStateException("discovery /apis: " + apis.code());
        for (JsonNode g : apis.json().path("groups")) for (JsonNode v : g.path("versions")) groupVersions.add(v.path("groupVersion").asText());
        List<Resource> out = new ArrayList<>();
        for (String gv : groupVersions) {
            String path = gv.equals("v1") ? "/api/v1" : "/apis/" + gv;
            KubeClient.Response r = client.get(path);
            if (r.code() != 200) throw new IllegalStateException("discovery " + path + ": " + r.code());
            int slash = gv.indexOf('/');
            String group = slash < 0 ? "" : gv.substring(0, slash);
            String version = slash < 0 ? gv : gv.substring(slash + 1);
            for (JsonNode res : r.json().path("resources")) {
                String name = res.path("name").asText();
                if (name.contains("/")) continue;
                Resource resource = new Resource(group, version, res.path("kind").asText(), name, res.path("namespaced").asBoolean());
                out.add(resource);
                Set<String> verbs = new HashSet<>();
                res.path("verbs").forEach(v -> verbs.add(v.asText()));
                if (verbs.containsAll(Set.of("list", "watch", "delete"))) watchable.add(resource.id());
            }
        }
        return out;
    }

    static List<String> ownerUids(ObjectNode obj) {
        List<String> uids = new ArrayList<>();
        for (JsonNode ref : obj.path("metadata").path("ownerReferences")) uids.add(ref.path("uid").asText());
        return uids;
    }

    public static GarbageCollector start(InformerFactory informers) {
        return start(informers, Config.DEFAULT);
    }

    /** Runs the collector on the process's shared informers (and their client); closing it leaves them running. */
    public static GarbageCollector start(InformerFactory informers, Config config) {
        GarbageCollector gc = new GarbageCollector(informers, config);
        gc.informers.forEach((id, informer) -> gc.registrations.add(informer.addHandler(gc.handler(id))));
        Thread.ofVirtual().name("garbage-collector-start").start(gc::runWhenSynced);
        return gc;
    }

    /** The resources whose objects the collector watches ({@code plural.group}). */
    public Set<String> watched() {
        return Set.copyOf(informers.keySet());
    }

    private void runWhenSynced() {
        try {
            for (Informer i : informers.values()) {
                if (!i.awaitSynced(config.syncTimeout())) log.warn("garbage collector: {} not synced, starting anyway", i.path());
            }
        } catch (InterruptedException e) {
            return;
        }
        if (!closed) queue.run(config.workers(), this::reconcile);
    }

    private ResourceEventHandler handler(String id) {
        return new ResourceEventHandler() {
            @Override
            public void onAdd(ObjectNode obj) {
                if (interesting(obj)) queue.add(key(id, obj));
            }

            @Override
            public void onUpdate(ObjectNode old, ObjectNode obj) {
                if (interesting(obj)) queue.add(key(id, obj));
            }

            @Override
            public void onDelete(ObjectNode obj) {
                for (ObjectNode dependent : dependents(Meta.uid(obj))) queue.add(key(dependent));
                // an owner deleted in the foreground waits for this one
                for (JsonNode ref : obj.path("metadata").path("ownerReferences")) {
                    Resource r = byKind.get(ref.path("apiVersion").asText() + "/" + ref.path("kind").asText());
                    if (r == null || !informers.containsKey(r.id())) continue;
                    queue.add(r.id() + "|" + (r.namespaced() ? Meta.namespace(obj) : "") + "|" + ref.path("name").asText());
                }
            }
        };
    }

    private static boolean interesting(JsonNode obj) {
        return !obj.path("metadata").path("ownerReferences").isEmpty()
                || (Meta.deleting(obj) && (hasFinalizer(obj, FOREGROUND) || hasFinalizer(obj, ORPHAN)));
    }

    private static String key(String id, JsonNode obj) {
        return id + "|" + Meta.namespace(obj) + "|" + Meta.name(obj);
    }

    private String key(JsonNode obj) {
        Resource r = byKind.get(obj.path("apiVersion").asText() + "/" + obj.path("kind").asText());
        return key(r == null ? "" : r.id(), obj);
    }

    /** Cached objects with an owner reference to {@code uid}, over every watched resource. */
    private List<ObjectNode> dependents(String uid) {
        List<ObjectNode> out = new ArrayList<>();
        if (uid.isEmpty()) return out;
        for (Informer i : informers.values()) out.addAll(i.byIndex(BY_OWNER, uid));
        return out;
    }

    private void reconcile(String key) {
        String[] parts = key.split("\\|", 3);
        Resource resource = byId.get(parts[0]);
        Informer informer = informers.get(parts[0]);
        if (resource == null || informer == null) return;
        Optional<ObjectNode> cached = informer.get(parts[1], parts[2]);
        if (cached.isEmpty()) return;
        ObjectNode obj = cached.get();
        if (Meta.deleting(obj)) {
            if (hasFinalizer(obj, ORPHAN)) orphan(resource, obj);
            else if (hasFinalizer(obj, FOREGROUND)) foreground(resource, obj);
            return; // being deleted: its own owners no longer matter
        }
        JsonNode refs = obj.path("metadata").path("ownerReferences");
        if (refs.isEmpty()) return;
        List<JsonNode> solid = new ArrayList<>();
        List<JsonNode> dangling = new ArrayList<>();
        List<JsonNode> waiting = new ArrayList<>();
        for (JsonNode ref : refs) {
            switch (owner(ref, resource, obj)) {
                case SOLID -> solid.add(ref);
                case ABSENT -> dangling.add(ref);
                case WAITING -> waiting.add(ref);
            }
        }
        String path = resource.path(Meta.namespace(obj), Meta.name(obj));
        if (!solid.isEmpty()) {
            if (dangling.isEmpty() && waiting.isEmpty()) return;
            Set<String> drop = new HashSet<>();
            dangling.forEach(r -> drop.add(r.path("uid").asText()));
            waiting.forEach(r -> drop.add(r.path("uid").asText()));
            removeOwnerRefs(path, obj, drop);
            log.info("gc: {} {}: dropped references to {} gone or going owners", resource.id(), key, drop.size());
            return;
        }
        if (!waiting.isEmpty() && !dependents(Meta.uid(obj)).isEmpty()) {
            // its owner waits for it, and it has dependents of its own: they go first
            if (!hasFinalizer(obj, FOREGROUND)) {
                ObjectNode patch = Json.object();
                ObjectNode meta = patch.putObject("metadata").put("resourceVersion", Meta.resourceVersion(obj));
                ArrayNode fin = meta.putArray("finalizers");
                obj.path("metadata").path("finalizers").forEach(fin::add);
                fin.add(FOREGROUND);
                check(client.patch(path, "application/merge-patch+json", patch), "add " + FOREGROUND + " to " + path);
            }
            delete(path, obj, "Foreground");
            return;
        }
        delete(path, obj, "Background");
        log.info("gc: deleted {} {} (owners gone)", resource.id(), Meta.namespace(obj).isEmpty() ? Meta.name(obj) : Meta.namespace(obj) + "/" + Meta.name(obj));
    }

    private enum OwnerState { SOLID, ABSENT, WAITING }

    private OwnerState owner(JsonNode ref, Resource dependentResource, JsonNode dependent) {
        Resource r = byKind.get(ref.path("apiVersion").asText() + "/" + ref.path("kind").asText());
        if (r == null) {
            log.debug("gc: owner kind {} {} not served; reference left alone", ref.path("apiVersion").asText(), ref.path("kind").asText());
            return OwnerState.SOLID;
        }
        if (r.namespaced() && !dependentResource.namespaced()) return OwnerState.SOLID; // invalid: left alone
        String ns = r.namespaced() ? Meta.namespace(dependent) : "";
        String name = ref.path("name").asText();
        String uid = ref.path("uid").asText();
        Informer informer = informers.get(r.id());
        if (informer != null) {
            Optional<ObjectNode> cached = informer.get(ns, name);
            if (cached.isPresent() && Meta.uid(cached.get()).equals(uid)) return state(cached.get());
        }
        // not in the cache (or another uid there): the server decides, the cache may be behind
        KubeClient.Response got = client.get(r.path(ns, name));
        if (got.code() == 404) return OwnerState.ABSENT;
        if (got.code() != 200) throw new IllegalStateException("get owner " + r.path(ns, name) + ": " + got.code() + " " + got.text());
        return Meta.uid(got.json()).equals(uid) ? state(got.json()) : OwnerState.ABSENT;
    }

    private static OwnerState state(JsonNode owner) {
        return Meta.deleting(owner) && hasFinalizer(owner, FOREGROUND) ? OwnerState.WAITING : OwnerState.SOLID;
    }

    /** Foreground: deletes the owner's dependents; removes the finalizer when no blocking one is left. */
    private void foreground(Resource resource, ObjectNode owner) {
        String uid = Meta.uid(owner);
        boolean blocked = false;
        for (ObjectNode d : dependents(uid)) {
            if (!Meta.deleting(d)) queue.add(key(d));
            for (JsonNode ref : d.path("metadata").path("ownerReferences")) {
                if (ref.path("uid").asText().equals(uid) && ref.path("blockOwnerDeletion").asBoolean(false)) blocked = true;
            }
        }
        if (blocked) return; // each dependent's deletion queues the owner again
        removeFinalizer(resource, owner, FOREGROUND);
        log.info("gc: {} {}/{}: dependents gone, {} removed", resource.id(), Meta.namespace(owner), Meta.name(owner), FOREGROUND);
    }

    /** Orphan: removes the owner's references from its dependents, then the finalizer. */
    private void orphan(Resource resource, ObjectNode owner) {
        String uid = Meta.uid(owner);
        for (ObjectNode d : dependents(uid)) {
            Resource dr = byKind.get(d.path("apiVersion").asText() + "/" + d.path("kind").asText());
            if (dr == null) continue;
            removeOwnerRefs(dr.path(Meta.namespace(d), Meta.name(d)), d, Set.of(uid));
        }
        removeFinalizer(resource, owner, ORPHAN);
        log.info("gc: {} {}/{}: dependents orphaned", resource.id(), Meta.namespace(owner), Meta.name(owner));
    }

    private void removeOwnerRefs(String path, JsonNode obj, Set<String> uids) {
        ObjectNode patch = Json.object();
        ObjectNode meta = patch.putObject("metadata").put("resourceVersion", Meta.resourceVersion(obj));
        ArrayNode keep = meta.putArray("ownerReferences");
        for (JsonNode ref : obj.path("metadata").path("ownerReferences")) if (!uids.contains(ref.path("uid").asText())) keep.add(ref);
        if (keep.isEmpty()) meta.putNull("ownerReferences");
        KubeClient.Response r = client.patch(path, "application/merge-patch+json", patch);
        if (r.code() == 404) return;
        check(r, "remove owner references from " + path);
    }

    private void removeFinalizer(Resource resource, JsonNode obj, String finalizer) {
        ObjectNode patch = Json.object();
        ObjectNode meta = patch.putObject("metadata").put("resourceVersion", Meta.resourceVersion(obj));
        ArrayNode keep = meta.putArray("finalizers");
        for (JsonNode f : obj.path("metadata").path("finalizers")) if (!f.asText().equals(finalizer)) keep.add(f);
        if (keep.isEmpty()) meta.putNull("finalizers");
        KubeClient.Response r = client.patch(resource.path(Meta.namespace(obj), Meta.name(obj)), "application/merge-patch+json", patch);
        if (r.code() == 404) return;
        check(r, "remove " + finalizer + " from " + Meta.name(obj));
    }

    private void delete(String path, JsonNode obj, String policy) {
        ObjectNode options = Json.object().put("apiVersion", "v1").put("kind", "DeleteOptions").put("propagationPolicy", policy);
        options.putObject("preconditions").put("uid", Meta.uid(obj));
        KubeClient.Response r = client.send("DELETE", path, Json.bytes(options), "application/json", "application/json");
        if (r.code() == 404) return;
        if (r.code() == 409) return; // another object of that name now: it is queued by its own events
        check(r, "delete " + path);
    }

    private static void check(KubeClient.Response r, String what) {
        if (r.code() == 200 || r.code() == 202) return;
        if (r.code() == 409) throw new WorkQueue.Conflict(what + ": conflict");
        throw new IllegalStateException(what + ": " + r.code() + " " + r.text());
    }

    static boolean hasFinalizer(JsonNode obj, String finalizer) {
        for (JsonNode f : obj.path("metadata").path("finalizers")) if (f.asText().equals(finalizer)) return true;
        return false;
    }

    @Override
    public void close() {
        closed = true;
        registrations.forEach(Informer.Registration::close);
        queue.close();
    }
}
