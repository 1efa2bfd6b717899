package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** core/v1 Event rules, after Kubernetes' legacy event validation. */
final class EventValidator implements KindValidator {
    static final EventValidator INSTANCE = new EventValidator();

    static final List<String> TYPES = List.of("Normal", "Warning");

    private static final FieldPath INVOLVED = FieldPath.of("involvedObject");

    @Override
    public void validate(JsonNode ev, List<FieldError> errs) {
        JsonNode involved = Tree.node(ev, "involvedObject");
        if (involved == null) {
            errs.add(FieldError.required(INVOLVED.text(), ""));
        } else {
            if (Tree.text(involved, "kind").isEmpty()) errs.add(FieldError.required(INVOLVED.child("kind").text(), ""));
            if (Tree.text(involved, "name").isEmpty()) errs.add(FieldError.required(INVOLVED.child("name").text(), ""));
        }
        String namespace = Tree.text(Tree.node(ev, "metadata"), "namespace");
        String involvedNamespace = Tree.text(involved, "namespace");
        if (involvedNamespace.isEmpty()) {
            // A cluster-scoped object's events live in "default" (old clients) or nowhere, as in Kubernetes.
            if (!namespace.isEmpty() && !namespace.equals("default")) {
                errs.add(FieldError.invalid(INVOLVED.child("namespace").text(), involvedNamespace, "does not match event.namespace"));
            }
        } else if (!involvedNamespace.equals(namespace)) {
            errs.add(FieldError.invalid(INVOLVED.child("namespace").text(), involvedNamespace, "does not match event.namespace"));
        }
        if (Tree.has(ev, "type")) Metadata.oneOf(Tree.text(ev, "type"), TYPES, FieldPath.of("type"), errs);
        if (Tree.has(ev, "eventTime")) {
            // New-style events (events.k8s.io written through core/v1) must say who reported them.
            for (String f : List.of("reportingComponent", "reportingInstance", "action", "reason")) {
                if (Tree.text(ev, f).isEmpty()) errs.add(FieldError.required(FieldPath.of(f).text(), ""));
            }
        }
        for (String f : List.of("reason", "action")) {
            if (Tree.text(ev, f).length() > 128) errs.add(FieldError.tooLong(FieldPath.of(f).text(), 128));
        }
        Long count = Tree.integer(ev, "count");
        if (count != null && count < 0) errs.add(FieldError.invalid("count", count, "must be greater than or equal to 0"));
    }
}
