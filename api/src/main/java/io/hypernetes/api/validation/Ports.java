package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;

/** Port numbers, port names and protocols, shared by pods, services and endpoints. */
final class Ports {
    static final List<String> PROTOCOLS = List.of("TCP", "UDP", "SCTP");
    static final String RANGE = "must be between 1 and 65535, inclusive";

    private Ports() {}

    static boolean valid(long port) {
        return port >= 1 && port <= 65535;
    }

    /** A required port number field. */
    static void number(JsonNode parent, String field, FieldPath path, List<FieldError> errs) {
        JsonNode n = Tree.node(parent, field);
        FieldPath p = path.child(field);
        if (n == null || (n.isNumber() && n.asLong() == 0)) {
            errs.add(FieldError.required(p.text(), ""));
        } else if (!n.canConvertToExactIntegral() || !valid(n.asLong())) {
            errs.add(FieldError.invalid(p.text(), n.asText(), RANGE));
        }
    }

    /** An IntOrString port: a number in range or an IANA service name. */
    static void numberOrName(JsonNode n, FieldPath path, List<FieldError> errs) {
        if (n == null) {
            errs.add(FieldError.required(path.text(), ""));
        } else if (n.isNumber()) {
            if (!n.canConvertToExactIntegral() || !valid(n.asLong())) errs.add(FieldError.invalid(path.text(), n.asText(), RANGE));
        } else if (n.isTextual()) {
            String name = n.textValue();
            if (name.isEmpty()) {
                errs.add(FieldError.required(path.text(), ""));
                return;
            }
            for (String msg : Names.ianaServiceName(name)) errs.add(FieldError.invalid(path.text(), name, msg));
        } else {
            errs.add(FieldError.invalid(path.text(), n.toString(), "must contain a valid port"));
        }
    }

    /** A protocol field; empty is Required because defaulting fills TCP before validation runs. */
    static void protocol(JsonNode parent, FieldPath path, List<FieldError> errs) {
        String protocol = Tree.text(parent, "protocol");
        FieldPath p = path.child("protocol");
        if (protocol.isEmpty()) {
            if (Tree.has(parent, "protocol")) errs.add(FieldError.required(p.text(), ""));
            // Absent is accepted: the object may not have been defaulted (e.g. a dry validation).
        } else {
            Metadata.oneOf(protocol, PROTOCOLS, p, errs);
        }
    }

    /**
     * One port of a Service's or an Endpoints subset's list: a name (required once the list has more than one
     * port, a unique DNS-1123 label), a number and a protocol.
     */
    static void listed(JsonNode port, FieldPath path, int listSize, Set<String> names, List<FieldError> errs) {
        String name = Tree.text(port, "name");
        if (name.isEmpty()) {
            if (listSize > 1) errs.add(FieldError.required(path.child("name").text(), ""));
        } else {
            Metadata.name(name, Names::dns1123Label, path.child("name"), errs);
            if (!names.add(name)) errs.add(FieldError.duplicate(path.child("name").text(), name));
        }
        number(port, "port", path, errs);
        protocol(port, path, errs);
    }
}
