package io.hypernetes.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.validation.FieldError;
import java.util.List;

/** Defaulting and validation of one kind, applied by the registry before every write. */
public interface ObjectRules {
    void applyDefaults(ResourceType type, ObjectNode obj);

    /** What a new object starts with (a pod's phase, a namespace's finalizer), after {@link #applyDefaults}. */
    void applyCreateDefaults(ResourceType type, ObjectNode obj);

    List<FieldError> validateCreate(ResourceType type, ObjectNode obj);

    List<FieldError> validateUpdate(ResourceType type, ObjectNode obj, ObjectNode old);
}
