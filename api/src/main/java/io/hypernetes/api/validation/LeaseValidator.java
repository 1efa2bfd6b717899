package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Lease rules, following Kubernetes' {@code ValidateLeaseSpec} (coordination.k8s.io/v1). */
final class LeaseValidator implements KindValidator {
    static final LeaseValidator INSTANCE = new LeaseValidator();

    static final List<String> STRATEGIES = List.of("OldestEmulationVersion");
    private static final FieldPath SPEC = FieldPath.of("spec");

    @Override
    public void validate(JsonNode lease, List<FieldError> errs) {
        JsonNode spec = Tree.node(lease, "spec");
        Long duration = Tree.integer(spec, "leaseDurationSeconds");
        if (duration != null && duration <= 0) {
            errs.add(FieldError.invalid(SPEC.child("leaseDurationSeconds").text(), duration, "must be greater than 0"));
        }
        Metadata.nonNegative(spec, "leaseTransitions", SPEC, errs);
        if (Tree.has(spec, "strategy")) Metadata.oneOf(Tree.text(spec, "strategy"), STRATEGIES, SPEC.child("strategy"), errs);
        if (!Tree.text(spec, "preferredHolder").isEmpty() && Tree.text(spec, "strategy").isEmpty()) {
            errs.add(FieldError.forbidden(SPEC.child("preferredHolder").text(), "may only be specified if `strategy` is defined"));
        }
    }
}
