package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/** ObjectMeta rules shared by every kind, plus the label and selector rules that specs reuse. */
final class Metadata {
    static final int TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
    static final Set<String> STANDARD_FINALIZERS = Set.of("kubernetes", "orphan", "foregroundDeletion");
    static final String IMMUTABLE = "field is immutable";

    private static final FieldPath META = FieldPath.of("metadata");

    private Metadata() {}

    static void validate(JsonNode obj, boolean namespaced, Function<String, List<String>> nameRule,
            Function<String, List<String>> namespaceRule, List<FieldError> errs) {
        JsonNode meta = Tree.node(obj, "metadata");
        String name = Tree.text(meta, "name");
        String generateName = Tree.text(meta, "generateName");
        if (!generateName.isEmpty()) {
            for (String msg : Names.asPrefix(nameRule, generateName)) {
                errs.add(FieldError.invalid(META.child("generateName").text(), generateName, msg));
            }
        }
        if (name.isEmpty()) {
            errs.add(FieldError.required(META.child("name").text(), "name or generateName is required"));
        } else {
            for (String msg : nameRule.apply(name)) errs.add(FieldError.invalid(META.child("name").text(), name, msg));
        }
        String namespace = Tree.text(meta, "namespace");
        if (namespaced) {
            if (namespace.isEmpty()) {
                errs.add(FieldError.required(META.child("namespace").text(), ""));
            } else {
                for (String msg : namespaceRule.apply(namespace)) {
                    errs.add(FieldError.invalid(META.child("namespace").text(), namespace, msg));
                }
            }
        } else if (!namespace.isEmpty()) {
            errs.add(FieldError.forbidden(META.child("namespace").text(), "not allowed on this type"));
        }
        labels(Tree.node(meta, "labels"), META.child("labels"), errs);
        annotations(Tree.node(meta, "annotations"), META.child("annotations"), errs);
        finalizers(Tree.items(meta, "finalizers"), META.child("finalizers"), errs);
        ownerReferences(Tree.items(meta, "ownerReferences"), META.child("ownerReferences"), errs);
    }

    static void validateUpdate(JsonNode newObj, JsonNode oldObj, List<FieldError> errs) {
        JsonNode n = Tree.node(newObj, "metadata");
        JsonNode o = Tree.node(oldObj, "metadata");
        for (String f : List.of("name", "namespace", "uid", "creationTimestamp")) {
            immutable(Tree.text(n, f), Tree.text(o, f), META.child(f), errs);
        }
        if (Tree.has(o, "deletionTimestamp")) {
            if (!Objects.equals(Tree.node(n, "deletionTimestamp"), Tree.node(o, "deletionTimestamp"))) {
                errs.add(FieldError.invalid(META.child("deletionTimestamp").text(), Tree.text(n, "deletionTimestamp"),
                        "field is immutable; may only be changed via deletion"));
            }
            Set<String> old = new HashSet<>();
            Tree.items(o, "finalizers").forEach(f -> old.add(f.asText()));
            List<String> added = new ArrayList<>();
            for (JsonNode f : Tree.items(n, "finalizers")) if (!old.contains(f.asText())) added.add(f.asText());
            if (!added.isEmpty()) {
                errs.add(FieldError.forbidden(META.child("finalizers").text(),
                        "no new finalizers can be added if the object is being deleted, found new finalizers " + added));
            }
        }
    }

    /** A field that may not change once it has a value; reported as Kubernetes does. */
    static void immutable(String newValue, String oldValue, FieldPath path, List<FieldError> errs) {
        if (!newValue.equals(oldValue)) errs.add(FieldError.invalid(path.text(), newValue, IMMUTABLE));
    }

    /** A label map: keys are qualified names, values label values. Errors name the map, as in Kubernetes. */
    static void labels(JsonNode labels, FieldPath path, List<FieldError> errs) {
        if (labels == null || !labels.isObject()) return;
        for (Map.Entry<String, JsonNode> e : labels.properties()) {
            labelKey(e.getKey(), path, errs);
            String value = e.getValue().isNull() ? "" : e.getValue().asText();
            for (String msg : Names.labelValue(value)) errs.add(FieldError.invalid(path.text(), value, msg));
        }
    }

    static void labelKey(String key, FieldPath path, List<FieldError> errs) {
        for (String msg : Names.qualifiedName(key)) errs.add(FieldError.invalid(path.text(), key, msg));
    }

    static void annotations(JsonNode annotations, FieldPath path, List<FieldError> errs) {
        if (annotations == null || !annotations.isObject()) return;
        long total = 0;
        for (Map.Entry<String, JsonNode> e : annotations.properties()) {
            // Kubernetes lowercases annotation keys before checking them, so "Example.com/Key" is fine.
            for (String msg : Names.qualifiedName(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                errs.add(FieldError.invalid(path.text(), e.getKey(), msg));
            }
            total += e.getKey().getBytes(StandardCharsets.UTF_8).length;
            total += e.getValue().asText().getBytes(StandardCharsets.UTF_8).length;
        }
        if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
            errs.add(FieldError.tooLong(path.text(), TOTAL_ANNOTATION_SIZE_LIMIT));
        }
    }

    static void finalizers(List<JsonNode> finalizers, FieldPath path, List<FieldError> errs) {
        Set<String> seen = new HashSet<>();
        for (JsonNode f : finalizers) {
            String name = f.asText();
            finalizerName(name, path, errs);
            if (!seen.add(name)) errs.add(FieldError.duplicate(path.text(), name));
        }
        if (seen.contains("orphan") && seen.contains("foregroundDeletion")) {
            errs.add(FieldError.invalid(path.text(), seen.toString(),
                    "finalizer orphan and foregroundDeletion cannot be both set"));
        }
    }

    static void finalizerName(String name, FieldPath path, List<FieldError> errs) {
        List<String> msgs = Names.qualifiedName(name);
        for (String msg : msgs) errs.add(FieldError.invalid(path.text(), name, msg));
        if (msgs.isEmpty() && !name.contains("/") && !STANDARD_FINALIZERS.contains(name)) {
            errs.add(FieldError.invalid(path.text(), name,
                    "name is neither a standard finalizer name nor is it fully qualified"));
        }
    }

    static void ownerReferences(List<JsonNode> refs, FieldPath path, List<FieldError> errs) {
        List<String> controllers = new ArrayList<>();
        for (JsonNode ref : refs) {
            String apiVersion = Tree.text(ref, "apiVersion");
            String version = apiVersion.contains("/") ? apiVersion.substring(apiVersion.indexOf('/') + 1) : apiVersion;
            if (version.isEmpty()) {
                errs.add(FieldError.invalid(path.child("apiVersion").text(), apiVersion, "version must not be empty"));
            }
            String kind = Tree.text(ref, "kind");
            if (kind.isEmpty()) errs.add(FieldError.invalid(path.child("kind").text(), kind, "kind must not be empty"));
            if (Tree.text(ref, "name").isEmpty()) {
                errs.add(FieldError.invalid(path.child("name").text(), "", "name must not be empty"));
            }
            if (Tree.text(ref, "uid").isEmpty()) {
                errs.add(FieldError.invalid(path.child("uid").text(), "", "uid must not be empty"));
            }
            // Events are garbage themselves; letting them own objects would make collection cycles possible.
            if (apiVersion.equals("v1") && kind.equals("Event")) {
                errs.add(FieldError.invalid(path.child("kind").text(), kind, "is disallowed from being an owner"));
            }
            if (Tree.isTrue(ref, "controller")) controllers.add(kind + "/" + Tree.text(ref, "name"));
        }
        if (controllers.size() > 1) {
            errs.add(FieldError.invalid(path.text(), controllers.toString(),
                    "Only one reference can have Controller set to true. Found \"true\" in references for "
                            + String.join(" and ", controllers)));
        }
    }

    /** A {@code metav1.LabelSelector} object. */
    static void labelSelector(JsonNode selector, FieldPath path, List<FieldError> errs) {
        if (selector == null) return;
        labels(Tree.node(selector, "matchLabels"), path.child("matchLabels"), errs);
        List<JsonNode> exprs = Tree.items(selector, "matchExpressions");
        for (int i = 0; i < exprs.size(); i++) {
            JsonNode e = exprs.get(i);
            FieldPath p = path.child("matchExpressions").index(i);
            String op = Tree.text(e, "operator");
            List<JsonNode> values = Tree.items(e, "values");
            switch (op) {
                case "In", "NotIn" -> {
                    if (values.isEmpty()) {
                        errs.add(FieldError.required(p.child("values").text(),
                                "must be specified when `operator` is 'In' or 'NotIn'"));
                    }
                }
                case "Exists", "DoesNotExist" -> {
                    if (!values.isEmpty()) {
                        errs.add(FieldError.forbidden(p.child("values").text(),
                                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }
                }
                default -> errs.add(FieldError.invalid(p.child("operator").text(), op, "not a valid selector operator"));
            }
            labelKey(Tree.text(e, "key"), p.child("key"), errs);
            for (int j = 0; j < values.size(); j++) {
                String v = values.get(j).asText();
                for (String msg : Names.labelValue(v)) errs.add(FieldError.invalid(p.child("values").index(j).text(), v, msg));
            }
        }
    }

    /** Applies a name rule at {@code path}, one error per reason. */
    static void name(String value, Function<String, List<String>> rule, FieldPath path, List<FieldError> errs) {
        for (String msg : rule.apply(value)) errs.add(FieldError.invalid(path.text(), value, msg));
    }

    /** Kubernetes' check on enum fields: a value outside the set is "Unsupported value". */
    static void oneOf(String value, List<String> supported, FieldPath path, List<FieldError> errs) {
        if (!supported.contains(value)) errs.add(FieldError.notSupported(path.text(), value, supported));
    }

    static void nonNegative(JsonNode parent, String field, FieldPath path, List<FieldError> errs) {
        Long v = Tree.integer(parent, field);
        if (v != null && v < 0) errs.add(FieldError.invalid(path.child(field).text(), v, "must be greater than or equal to 0"));
    }
}
