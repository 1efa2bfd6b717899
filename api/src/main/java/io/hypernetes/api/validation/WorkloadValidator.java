package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.selector.LabelSelector;
import io.hypernetes.api.selector.SelectorException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Deployment and ReplicaSet rules, following Kubernetes' {@code ValidateDeploymentSpec},
 * {@code ValidateReplicaSetSpec} and {@code ValidatePodTemplateSpecForReplicaSet}, plus the apps/v1 registry
 * strategies' immutable {@code spec.selector}. The pod template is checked as a pod spec, with paths under
 * {@code spec.template.spec}. Status is the controllers' to write and is checked only for negative counts.
 */
final class WorkloadValidator implements KindValidator {
    static final WorkloadValidator DEPLOYMENT = new WorkloadValidator(true);
    static final WorkloadValidator REPLICA_SET = new WorkloadValidator(false);

    static final List<String> STRATEGY_TYPES = List.of("Recreate", "RollingUpdate");
    /** Kubernetes' IsValidPercent: digits, then a percent sign. */
    private static final Pattern PERCENT = Pattern.compile("[0-9]+%");
    private static final String PERCENT_MESSAGE =
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

    private static final FieldPath SPEC = FieldPath.of("spec");
    private static final FieldPath STATUS = FieldPath.of("status");

    private final boolean deployment;

    private WorkloadValidator(boolean deployment) {
        this.deployment = deployment;
    }

    @Override
    public void validate(JsonNode obj, List<FieldError> errs) {
        JsonNode spec = Tree.node(obj, "spec");
        Metadata.nonNegative(spec, "replicas", SPEC, errs);
        if (!deployment) Metadata.nonNegative(spec, "minReadySeconds", SPEC, errs);
        LabelSelector selector = selector(Tree.node(spec, "selector"), errs);
        template(Tree.node(spec, "template"), selector, SPEC.child("template"), errs);
        if (deployment) {
            strategy(Tree.node(spec, "strategy"), SPEC.child("strategy"), errs);
            Metadata.nonNegative(spec, "minReadySeconds", SPEC, errs);
            Metadata.nonNegative(spec, "revisionHistoryLimit", SPEC, errs);
            Long deadline = Tree.integer(spec, "progressDeadlineSeconds");
            if (deadline != null) {
                Metadata.nonNegative(spec, "progressDeadlineSeconds", SPEC, errs);
                Long minReady = Tree.integer(spec, "minReadySeconds");
                if (deadline <= (minReady == null ? 0 : minReady)) {
                    errs.add(FieldError.invalid(SPEC.child("progressDeadlineSeconds").text(), deadline, "must be greater than minReadySeconds"));
                }
            }
        }
        JsonNode status = Tree.node(obj, "status");
        for (String f : List.of("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                "unavailableReplicas", "fullyLabeledReplicas", "terminatingReplicas", "collisionCount")) {
            Metadata.nonNegative(status, f, STATUS, errs);
        }
    }

    /** The selector is required and may not be empty; null when it is missing or cannot be read. */
    private static LabelSelector selector(JsonNode selector, List<FieldError> errs) {
        FieldPath path = SPEC.child("selector");
        if (selector == null) {
            errs.add(FieldError.required(path.text(), ""));
            return null;
        }
        int before = errs.size();
        Metadata.labelSelector(selector, path, errs);
        if (Tree.entries(selector, "matchLabels").isEmpty() && Tree.items(selector, "matchExpressions").isEmpty()) {
            errs.add(FieldError.invalid(path.text(), "", "empty selector is invalid for deployment"));
            return null;
        }
        if (errs.size() > before) return null;
        try {
            return LabelSelector.fromObject(selector);
        } catch (SelectorException e) {
            errs.add(FieldError.invalid(path.text(), "", "invalid label selector"));
            return null;
        }
    }

    /** Kubernetes' ValidatePodTemplateSpecForReplicaSet. */
    private static void template(JsonNode template, LabelSelector selector, FieldPath path, List<FieldError> errs) {
        if (template == null) {
            errs.add(FieldError.required(path.text(), ""));
            return;
        }
        JsonNode meta = Tree.node(template, "metadata");
        JsonNode labels = Tree.node(meta, "labels");
        if (selector != null && !selector.isEmpty() && !selector.matches(labels == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : labels)) {
            errs.add(FieldError.invalid(path.child("metadata").child("labels").text(), goMap(labels),
                    "`selector` does not match template `labels`"));
        }
        Metadata.labels(labels, path.child("metadata").child("labels"), errs);
        Metadata.annotations(Tree.node(meta, "annotations"), path.child("metadata").child("annotations"), errs);
        JsonNode spec = Tree.node(template, "spec");
        FieldPath specPath = path.child("spec");
        PodValidator.spec(spec, specPath, errs);
        String restartPolicy = Tree.text(spec, "restartPolicy");
        if (!restartPolicy.equals("Always")) errs.add(FieldError.notSupported(specPath.child("restartPolicy").text(), restartPolicy, List.of("Always")));
        if (Tree.has(spec, "activeDeadlineSeconds")) {
            errs.add(FieldError.forbidden(specPath.child("activeDeadlineSeconds").text(), "activeDeadlineSeconds in ReplicaSet is not Supported"));
        }
        if (!Tree.items(spec, "ephemeralContainers").isEmpty()) {
            errs.add(FieldError.forbidden(specPath.child("ephemeralContainers").text(), "ephemeral containers not allowed in pod template"));
        }
    }

    /** A label map as Go's %#v prints it, keys sorted: {@code map[string]string{"app":"web"}}. */
    static String goMap(JsonNode labels) {
        if (labels == null || !labels.isObject()) return "map[string]string(nil)";
        java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>();
        labels.properties().forEach(e -> sorted.put(e.getKey(), e.getValue().asText()));
        StringBuilder b = new StringBuilder("map[string]string{");
        boolean first = true;
        for (var e : sorted.entrySet()) {
            if (!first) b.append(", ");
            first = false;
            b.append(com.fasterxml.jackson.databind.node.TextNode.valueOf(e.getKey())).append(':')
                    .append(com.fasterxml.jackson.databind.node.TextNode.valueOf(e.getValue()));
        }
        return b.append('}').toString();
    }

    /** Kubernetes' ValidateDeploymentStrategy and ValidateRollingUpdateDeployment. */
    private static void strategy(JsonNode strategy, FieldPath path, List<FieldError> errs) {
        String type = Tree.text(strategy, "type");
        JsonNode rolling = Tree.node(strategy, "rollingUpdate");
        switch (type) {
            case "Recreate" -> {
                if (rolling != null) {
                    errs.add(FieldError.forbidden(path.child("rollingUpdate").text(), "may not be specified when strategy `type` is 'Recreate'"));
                }
            }
            case "RollingUpdate" -> {
                if (rolling == null) {
                    errs.add(FieldError.required(path.child("rollingUpdate").text(), "this should be defaulted and never be nil"));
                    return;
                }
                FieldPath rp = path.child("rollingUpdate");
                JsonNode maxUnavailable = Tree.node(rolling, "maxUnavailable");
                JsonNode maxSurge = Tree.node(rolling, "maxSurge");
                intOrPercent(maxUnavailable, rp.child("maxUnavailable"), errs);
                intOrPercent(maxSurge, rp.child("maxSurge"), errs);
                if (value(maxUnavailable) == 0 && value(maxSurge) == 0) {
                    errs.add(FieldError.invalid(rp.child("maxUnavailable").text(), text(maxUnavailable), "may not be 0 when `maxSurge` is 0"));
                }
                if (maxUnavailable != null && maxUnavailable.isTextual() && PERCENT.matcher(maxUnavailable.asText()).matches()
                        && value(maxUnavailable) > 100) {
                    errs.add(FieldError.invalid(rp.child("maxUnavailable").text(), maxUnavailable.asText(), "must not be greater than 100%"));
                }
            }
            default -> errs.add(FieldError.notSupported(path.child("type").text(), type, STRATEGY_TYPES));
        }
    }

    /** Kubernetes' ValidatePositiveIntOrPercent: a percentage string, or an integer at least 0. */
    private static void intOrPercent(JsonNode v, FieldPath path, List<FieldError> errs) {
        if (v == null) return;
        if (v.isTextual()) {
            if (!PERCENT.matcher(v.asText()).matches()) errs.add(FieldError.invalid(path.text(), v.asText(), PERCENT_MESSAGE));
        } else if (v.canConvertToExactIntegral() && v.asLong() < 0) {
            errs.add(FieldError.invalid(path.text(), v.asLong(), "must be greater than or equal to 0"));
        }
    }

    /** The number an int-or-percent stands for (the percentage itself for a percent string), 0 when unset or unreadable. */
    private static long value(JsonNode v) {
        if (v == null) return 0;
        if (v.isTextual()) {
            String s = v.asText();
            if (!PERCENT.matcher(s).matches()) return 0;
            try {
                return Long.parseLong(s.substring(0, s.length() - 1));
            } catch (NumberFormatException e) {
                return Long.MAX_VALUE;
            }
        }
        return v.asLong();
    }

    private static String text(JsonNode v) {
        return v == null ? "" : v.asText();
    }

    @Override
    public void validateUpdate(JsonNode newObj, JsonNode oldObj, List<FieldError> errs) {
        JsonNode n = Tree.node(Tree.node(newObj, "spec"), "selector");
        JsonNode o = Tree.node(Tree.node(oldObj, "spec"), "selector");
        if (!java.util.Objects.equals(n, o)) {
            errs.add(FieldError.invalid(SPEC.child("selector").text(), n == null ? "" : n.toString(), Metadata.IMMUTABLE));
        }
    }
}
