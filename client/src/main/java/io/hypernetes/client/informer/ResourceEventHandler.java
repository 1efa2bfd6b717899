package io.hypernetes.client.informer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * What an {@link Informer} tells its handlers, in the order the changes happened, on the informer's one dispatch
 * thread (never two calls at once for one informer). The objects are the informer's cached ones, shared with every
 * other handler and reader: do not modify them ({@code deepCopy()} first).
 *
 * <p>A handler that throws is logged and the informer carries on with the next handler and event.
 */
public interface ResourceEventHandler {
    /** An object appeared: listed at start, created, or found by a relist. */
    default void onAdd(ObjectNode obj) {}

    /** An object changed ({@code oldObj} is the version the handlers saw last). */
    default void onUpdate(ObjectNode oldObj, ObjectNode newObj) {}

    /**
     * An object is gone: deleted, no longer matching the informer's selectors, or missing from a relist (then
     * {@code obj} is the last version the informer saw).
     */
    default void onDelete(ObjectNode obj) {}

    /** A handler from three functions, for handlers that only route each change somewhere. */
    static ResourceEventHandler of(Consumer<ObjectNode> onAdd, BiConsumer<ObjectNode, ObjectNode> onUpdate, Consumer<ObjectNode> onDelete) {
        return new ResourceEventHandler() {
            @Override
            public void onAdd(ObjectNode obj) {
                onAdd.accept(obj);
            }

            @Override
            public void onUpdate(ObjectNode oldObj, ObjectNode newObj) {
                onUpdate.accept(oldObj, newObj);
            }

            @Override
            public void onDelete(ObjectNode obj) {
                onDelete.accept(obj);
            }
        };
    }
}
