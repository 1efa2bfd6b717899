package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates objects before they are stored, as Kubernetes' registry strategies do. The API server runs
 * defaulting first ({@link Defaults#apply}), then this, and turns a non-empty result into a 422 Invalid
 * Status. Both methods only read the objects.
 */
public final class Validation {
    private Validation() {}

    /**
     * The problems with a new object: metadata (name or generateName, namespace, labels, annotations,
     * finalizers, ownerReferences) and the kind's own rules.
     */
    public static List<FieldError> validateCreate(ResourceType type, ObjectNode obj) {
        List<FieldError> errs = new ArrayList<>();
        KindValidator v = validator(type);
        Metadata.validate(obj, type.namespaced(), v.nameRule(), Names::dns1123Label, errs);
        v.validate(obj, errs);
        return errs;
    }

    /**
     * The problems with replacing {@code oldObj} by {@code newObj}: everything {@link #validateCreate} checks
     * on the new object, plus what may not change (metadata.name, namespace, uid, creationTimestamp; per-kind
     * immutable fields). resourceVersion is the API server's concern.
     */
    public static List<FieldError> validateUpdate(ResourceType type, ObjectNode newObj, ObjectNode oldObj) {
        List<FieldError> errs = new ArrayList<>();
        KindValidator v = validator(type);
        Metadata.validate(newObj, type.namespaced(), v.nameRule(), Names::dns1123Label, errs);
        Metadata.validateUpdate(newObj, oldObj, errs);
        v.validate(newObj, errs);
        v.validateUpdate(newObj, oldObj, errs);
        return errs;
    }

    private static KindValidator validator(ResourceType type) {
        return switch (type.apiVersion() + "/" + type.kind()) {
            case "apps/v1/Deployment" -> WorkloadValidator.DEPLOYMENT;
            case "apps/v1/ReplicaSet" -> WorkloadValidator.REPLICA_SET;
            case "coordination.k8s.io/v1/Lease" -> LeaseValidator.INSTANCE;
            default -> coreValidator(type);
        };
    }

    private static KindValidator coreValidator(ResourceType type) {
        if (!type.group().isEmpty()) return GenericValidator.INSTANCE;
        return switch (type.kind()) {
            case "Pod" -> PodValidator.INSTANCE;
            case "Service" -> ServiceValidator.INSTANCE;
            case "Namespace" -> NamespaceValidator.INSTANCE;
            case "Network" -> NetworkValidator.INSTANCE;
            case "Node" -> NodeValidator.INSTANCE;
            case "Event" -> EventValidator.INSTANCE;
            case "ConfigMap" -> ConfigDataValidator.CONFIG_MAP;
            case "Secret" -> ConfigDataValidator.SECRET;
            case "Endpoints" -> EndpointsValidator.INSTANCE;
            default -> GenericValidator.INSTANCE;
        };
    }
}
