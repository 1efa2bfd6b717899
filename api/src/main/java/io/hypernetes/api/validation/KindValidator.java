package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Function;

/** The rules of one kind beyond the shared metadata rules. One implementation per kind Hypernetes serves. */
sealed interface KindValidator
        permits PodValidator, ServiceValidator, NamespaceValidator, NetworkValidator, NodeValidator, EventValidator,
                ConfigDataValidator, EndpointsValidator, WorkloadValidator, LeaseValidator, GenericValidator {

    /** The rule for metadata.name (and generateName). Most kinds use DNS-1123 subdomains. */
    default Function<String, List<String>> nameRule() {
        return Names::dns1123Subdomain;
    }

    /** Everything but metadata; runs on create and on the new object of an update. */
    void validate(JsonNode obj, List<FieldError> errs);

    /** Transition rules (immutability); runs after {@link #validate} on update. */
    default void validateUpdate(JsonNode newObj, JsonNode oldObj, List<FieldError> errs) {}
}
