package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Function;

/** Namespace rules; {@code spec.network} is Hypernetes' tie from a namespace to its tenant network. */
final class NamespaceValidator implements KindValidator {
    static final NamespaceValidator INSTANCE = new NamespaceValidator();

    private static final FieldPath SPEC = FieldPath.of("spec");

    @Override
    public Function<String, List<String>> nameRule() {
        return Names::dns1123Label;
    }

    @Override
    public void validate(JsonNode ns, List<FieldError> errs) {
        JsonNode spec = Tree.node(ns, "spec");
        String network = Tree.text(spec, "network");
        if (Tree.has(spec, "network")) {
            if (network.isEmpty()) errs.add(FieldError.required(SPEC.child("network").text(), "may be omitted but not empty"));
            else Metadata.name(network, Names::dns1123Subdomain, SPEC.child("network"), errs);
        }
        List<JsonNode> finalizers = Tree.items(spec, "finalizers");
        for (int i = 0; i < finalizers.size(); i++) {
            Metadata.finalizerName(finalizers.get(i).asText(), SPEC.child("finalizers"), errs);
        }
        JsonNode status = Tree.node(ns, "status");
        if (Tree.has(status, "phase")) {
            Metadata.oneOf(Tree.text(status, "phase"), List.of("Active", "Terminating"), FieldPath.of("status").child("phase"), errs);
        }
    }

    @Override
    public void validateUpdate(JsonNode newNs, JsonNode oldNs, List<FieldError> errs) {
        String old = Tree.text(Tree.node(oldNs, "spec"), "network");
        // Pods already have addresses in the old network; moving the namespace would strand them.
        if (!old.isEmpty()) Metadata.immutable(Tree.text(Tree.node(newNs, "spec"), "network"), old, SPEC.child("network"), errs);
    }
}
