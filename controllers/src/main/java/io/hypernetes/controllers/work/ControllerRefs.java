package io.hypernetes.controllers.work;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.selector.LabelSelector;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.work.WorkQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Controller references ({@code metadata.ownerReferences} entries with {@code controller: true}) and Kubernetes'
 * ControllerRefManager claim: an owner keeps the objects it controls that still match its selector, adopts orphans
 * that match (unless it is being deleted), and releases those it controls that no longer match. Adoption and release
 * are JSON patches guarded by a {@code test} of the object's resourceVersion, so a stale cache cannot overwrite a
 * concurrent change.
 */
public final class ControllerRefs {
    /** Name of the {@link #namespaceIndex} index. */
    public static final String NAMESPACE_INDEX = "namespace";

    private ControllerRefs() {}

    /** The controller reference of {@code obj}, if any. */
    public static Optional<JsonNode> controllerRef(JsonNode obj) {
        for (JsonNode ref : obj.path("metadata").path("ownerReferences")) {
            if (ref.path("controller").asBoolean(false)) return Optional.of(ref);
        }
        return Optional.empty();
    }

    /** True when {@code obj}'s controller is the object with {@code uid}. */
    public static boolean controlledBy(JsonNode obj, String uid) {
        return controllerRef(obj).map(r -> r.path("uid").asText().equals(uid)).orElse(false);
    }

    /** A controller reference to {@code owner}: controller and blockOwnerDeletion true. */
    public static ObjectNode ownerRef(JsonNode owner, String apiVersion, String kind) {
        ObjectNode ref = Json.object();
        ref.put("apiVersion", apiVersion).put("kind", kind).put("name", Meta.name(owner)).put("uid", Meta.uid(owner))
                .put("controller", true).put("blockOwnerDeletion", true);
        return ref;
    }

    /**
     * Adds (once per informer, tolerating another component having added it) an index of objects by
     * {@code metadata.namespace} named {@value #NAMESPACE_INDEX}.
     */
    public static Informer namespaceIndex(Informer informer) {
        synchronized (informer) {
            try {
                informer.addIndex(NAMESPACE_INDEX, Informer.fieldIndex("metadata.namespace"));
            } catch (IllegalArgumentException e) {
                // already there (same definition by convention)
            }
        }
        return informer;
    }

    /**
     * Claims objects for {@code owner}: returns those it controls (after adopting and releasing), in the order of
     * {@code candidates}. Objects controlled by someone else are skipped. Throws {@link WorkQueue.Conflict} when an
     * adoption or release could not be written (the caller should retry before acting on the result).
     *
     * @param pathOf the API path of a candidate (for its patches)
     * @param canAdopt whether orphans may be adopted (false while the owner is being deleted)
     */
    public static List<ObjectNode> claim(KubeClient client, JsonNode owner, ObjectNode ownerRef, LabelSelector selector,
            List<ObjectNode> candidates, Function<JsonNode, String> pathOf, boolean canAdopt) {
        String uid = Meta.uid(owner);
        List<ObjectNode> claimed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (ObjectNode obj : candidates) {
            Optional<JsonNode> ref = controllerRef(obj);
            boolean matches = selector.matches(obj.path("metadata").path("labels"));
            if (ref.isPresent()) {
                if (!ref.get().path("uid").asText().equals(uid)) continue;
                if (matches) {
                    claimed.add(obj);
                } else if (!Meta.deleting(owner) && !Meta.deleting(obj)) {
                    KubeClient.Response r = client.patch(pathOf.apply(obj), "application/json-patch+json", release(obj, uid));
                    if (r.code() != 200 && r.code() != 404) failures.add("release " + Meta.name(obj) + ": " + r.code());
                }
            } else if (matches && canAdopt && !Meta.deleting(owner) && !Meta.deleting(obj)) {
                KubeClient.Response r = client.patch(pathOf.apply(obj), "application/json-patch+json", adopt(obj, ownerRef));
                if (r.code() == 200) claimed.add((ObjectNode) r.json());
                else if (r.code() != 404) failures.add("adopt " + Meta.name(obj) + ": " + r.code() + " " + r.text());
            }
        }
        if (!failures.isEmpty()) throw new WorkQueue.Conflict(String.join("; ", failures));
        return claimed;
    }

    private static ArrayNode guard(JsonNode obj) {
        ArrayNode ops = Json.MAPPER.createArrayNode();
        ops.addObject().put("op", "test").put("path", "/metadata/resourceVersion").put("value", Meta.resourceVersion(obj));
        return ops;
    }

    /** A JSON patch adding {@code ownerRef} to {@code obj}'s ownerReferences, if {@code obj} has not changed. */
    static ArrayNode adopt(JsonNode obj, ObjectNode ownerRef) {
        ArrayNode ops = guard(obj);
        if (obj.path("metadata").path("ownerReferences").isArray()) {
            ops.addObject().put("op", "add").put("path", "/metadata/ownerReferences/-").set("value", ownerRef);
        } else {
            ops.addObject().put("op", "add").put("path", "/metadata/ownerReferences").putArray("value").add(ownerRef);
        }
        return ops;
    }

    /** A JSON patch removing the owner reference to {@code uid}, if {@code obj} has not changed. */
    static ArrayNode release(JsonNode obj, String uid) {
        ArrayNode ops = guard(obj);
        ArrayNode refs = Json.MAPPER.createArrayNode();
        for (JsonNode r : obj.path("metadata").path("ownerReferences")) if (!r.path("uid").asText().equals(uid)) refs.add(r);
        ops.addObject().put("op", "replace").put("path", "/metadata/ownerReferences").set("value", refs);
        return ops;
    }
}
