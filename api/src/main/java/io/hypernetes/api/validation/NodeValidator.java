package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Node rules, after Kubernetes' {@code ValidateNode} and {@code ValidateNodeUpdate}. */
final class NodeValidator implements KindValidator {
    static final NodeValidator INSTANCE = new NodeValidator();

    private static final FieldPath SPEC = FieldPath.of("spec");

    @Override
    public void validate(JsonNode node, List<FieldError> errs) {
        JsonNode spec = Tree.node(node, "spec");
        String podCIDR = Tree.text(spec, "podCIDR");
        if (!podCIDR.isEmpty() && Addresses.cidr(podCIDR).isEmpty()) {
            errs.add(FieldError.invalid(SPEC.child("podCIDR").text(), podCIDR, "must be a valid CIDR"));
        }
        List<JsonNode> cidrs = Tree.items(spec, "podCIDRs");
        Set<Integer> families = new HashSet<>();
        for (int i = 0; i < cidrs.size(); i++) {
            String c = cidrs.get(i).asText();
            var parsed = Addresses.cidr(c);
            if (parsed.isEmpty()) {
                errs.add(FieldError.invalid(SPEC.child("podCIDRs").index(i).text(), c, "must be a valid CIDR"));
            } else if (!families.add(parsed.get().address().bits())) {
                errs.add(FieldError.invalid(SPEC.child("podCIDRs").text(), c, "may specify no more than one CIDR for each IP family"));
            }
        }
        if (cidrs.size() > 2) errs.add(FieldError.invalid(SPEC.child("podCIDRs").text(), cidrs.size(), "may not contain more than 2 CIDRs"));
        if (!podCIDR.isEmpty() && !cidrs.isEmpty() && !cidrs.getFirst().asText().equals(podCIDR)) {
            errs.add(FieldError.invalid(SPEC.child("podCIDR").text(), podCIDR, "must match the first element of spec.podCIDRs"));
        }
        List<JsonNode> taints = Tree.items(spec, "taints");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < taints.size(); i++) {
            JsonNode t = taints.get(i);
            FieldPath p = SPEC.child("taints").index(i);
            String key = Tree.text(t, "key");
            Metadata.labelKey(key, p.child("key"), errs);
            String value = Tree.text(t, "value");
            for (String msg : Names.labelValue(value)) errs.add(FieldError.invalid(p.child("value").text(), value, msg));
            String effect = Tree.text(t, "effect");
            if (effect.isEmpty()) errs.add(FieldError.required(p.child("effect").text(), ""));
            else Metadata.oneOf(effect, PodValidator.TAINT_EFFECTS, p.child("effect"), errs);
            if (!seen.add(key + ":" + effect)) {
                errs.add(new FieldError(p.text(), FieldError.Type.DUPLICATE, key + ":" + effect,
                        "taints must be unique by key and effect pair"));
            }
        }
        JsonNode status = Tree.node(node, "status");
        for (String f : List.of("capacity", "allocatable")) {
            for (var e : Tree.entries(status, f)) {
                FieldPath p = FieldPath.of("status").child(f).key(e.getKey());
                try {
                    if (Quantity.fromJson(e.getValue()).signum() < 0) {
                        errs.add(FieldError.invalid(p.text(), e.getValue().asText(), "must be greater than or equal to 0"));
                    }
                } catch (QuantityFormatException ex) {
                    errs.add(FieldError.invalid(p.text(), e.getValue().asText(), ex.reason()));
                }
            }
        }
        List<JsonNode> addresses = Tree.items(status, "addresses");
        for (int i = 0; i < addresses.size(); i++) {
            if (Tree.text(addresses.get(i), "type").isEmpty()) {
                errs.add(FieldError.required(FieldPath.of("status").child("addresses").index(i).child("type").text(), ""));
            }
        }
    }

    @Override
    public void validateUpdate(JsonNode newNode, JsonNode oldNode, List<FieldError> errs) {
        JsonNode n = Tree.node(newNode, "spec");
        JsonNode o = Tree.node(oldNode, "spec");
        // Pod addresses are carved from the CIDR; once assigned it stays for the life of the node.
        if (!Tree.text(o, "podCIDR").isEmpty() && !Tree.text(n, "podCIDR").equals(Tree.text(o, "podCIDR"))) {
            errs.add(FieldError.forbidden(SPEC.child("podCIDR").text(), "node updates may not change podCIDR except from \"\" to valid"));
        }
        List<JsonNode> oldCidrs = Tree.items(o, "podCIDRs");
        if (!oldCidrs.isEmpty() && !Tree.items(n, "podCIDRs").equals(oldCidrs)) {
            errs.add(FieldError.forbidden(SPEC.child("podCIDRs").text(), "node updates may not change podCIDR except from \"\" to valid"));
        }
        if (!Tree.text(o, "providerID").isEmpty() && !Tree.text(n, "providerID").equals(Tree.text(o, "providerID"))) {
            errs.add(FieldError.forbidden(SPEC.child("providerID").text(), "node updates may not change providerID except from \"\" to valid"));
        }
    }
}
