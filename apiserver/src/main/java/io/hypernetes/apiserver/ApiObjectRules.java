package io.hypernetes.apiserver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.validation.Defaults;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.api.validation.Validation;
import io.hypernetes.apiserver.registry.ObjectRules;
import java.util.List;

/** The registry's defaulting and validation: Kubernetes' rules as {@code io.hypernetes.api.validation} has them. */
final class ApiObjectRules implements ObjectRules {
    @Override
    public void applyDefaults(ResourceType type, ObjectNode obj) {
        Defaults.apply(type, obj);
    }

    @Override
    public void applyCreateDefaults(ResourceType type, ObjectNode obj) {
        Defaults.applyOnCreate(type, obj);
    }

    @Override
    public List<FieldError> validateCreate(ResourceType type, ObjectNode obj) {
        return Validation.validateCreate(type, obj);
    }

    @Override
    public List<FieldError> validateUpdate(ResourceType type, ObjectNode obj, ObjectNode old) {
        return Validation.validateUpdate(type, obj, old);
    }
}
