package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.store.Store;

/**
 * What differs between kinds in the generic create/update/delete flow of {@link ResourceStore}, as Kubernetes'
 * {@code RESTCreateStrategy}/{@code RESTUpdateStrategy}/{@code RESTGracefulDeleteStrategy}. Defaulting and
 * validation are in {@code io.hypernetes.api.validation}; this is only what the registry itself decides.
 */
class Strategy {
    final ResourceType type;

    Strategy(ResourceType type) {
        this.type = type;
    }

    static Strategy of(ResourceType type) {
        if (type == ResourceTypes.PODS) return new PodStrategy();
        if (type == ResourceTypes.NAMESPACES) return new NamespaceStrategy();
        if (type == ResourceTypes.SERVICES) return new ServiceStrategy();
        if (type == ResourceTypes.DEPLOYMENTS) return new DeploymentStrategy();
        return new Strategy(type);
    }

    /** Whether the kind has a status the main resource may not change (a {@code status} subresource). */
    boolean hasStatus() {
        return type.subresources().contains("status");
    }

    /** Server-side fields of a new object, beyond what every kind gets (uid, timestamps, generation). */
    void prepareForCreate(ObjectNode obj) {
        if (hasStatus() && type != ResourceTypes.NODES) obj.remove("status");
    }

    /**
     * Whether a PUT of an object that does not exist creates it (Kubernetes' {@code AllowCreateOnUpdate}). Among the
     * core kinds served here only Endpoints and Events allow it, as in Kubernetes' registry strategies; Pods, Services,
     * Namespaces, Nodes, ConfigMaps and Secrets answer 404, and so does Network, which follows Namespace.
     */
    boolean allowCreateOnUpdate() {
        return type == ResourceTypes.ENDPOINTS || type == ResourceTypes.EVENTS;
    }

    /**
     * Whether an update makes a new generation (metadata.generation + 1): a change of anything but metadata and
     * status, for kinds that track generations.
     */
    boolean newGeneration(ObjectNode updated, ObjectNode old) {
        return !ResourceStore.specOf(updated).equals(ResourceStore.specOf(old));
    }

    /** Adjusts an update of the main resource: what only a subresource may change is taken from {@code old}. */
    void prepareForUpdate(ObjectNode obj, ObjectNode old) {}

    /**
     * Refuses a write for what only the store's current state can tell (a Service's external IP another tenant
     * holds), after validation and before anything is reserved or written. Reads only, so dry runs ask it too.
     * {@code old} is the stored object, a missing node on create.
     */
    void admit(ObjectNode obj, JsonNode old, Store store) {}

    /**
     * Reserves what a new object takes from a shared pool (a Service's cluster IP and node ports), filling in what
     * it leaves to the server, just before it is written.
     *
     * @return gives the reservations back, for when the object is not written after all
     */
    Runnable reserve(ObjectNode obj, Store store) {
        return () -> {};
    }

    /** Gives back what a deleted object had reserved. */
    void release(JsonNode obj, Store store) {}

    /** As {@link #reserve}, for what an update takes that {@code old} did not hold. */
    Runnable reserveUpdate(ObjectNode obj, JsonNode old, Store store) {
        return () -> {};
    }

    /** Gives back, after an update is written, what {@code old} held and the object no longer does. */
    void releaseUpdate(JsonNode obj, JsonNode old, Store store) {}

    /**
     * Seconds to wait before the object really goes; 0 deletes at once. {@code requested} is the client's
     * {@code gracePeriodSeconds}, or null.
     */
    long gracePeriod(JsonNode obj, Long requested) {
        return 0;
    }
}
