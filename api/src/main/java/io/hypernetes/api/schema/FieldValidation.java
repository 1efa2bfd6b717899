package io.hypernetes.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks an incoming object against the schema the way Kubernetes' strict JSON decoder does, for the
 * {@code fieldValidation} query parameter.
 *
 * <p>Two kinds of findings come back, because the API server treats them differently:
 * <ul>
 *   <li>{@link Issue.UnknownField}: a key the type does not declare. Under {@code Strict} the request fails with
 *       400 and {@link Report#strictError()}; under {@code Warn} each becomes a {@code Warning} header
 *       ({@link Report#warnings()}); under {@code Ignore} they are dropped silently.</li>
 *   <li>{@link Issue.TypeMismatch}: a value of the wrong JSON type (a string where a list belongs, a fraction in
 *       an integer, bad base64, a malformed quantity). The object cannot be decoded at all, so this is a 400
 *       under every fieldValidation setting, including Ignore ({@link Report#decodeError}).</li>
 * </ul>
 *
 * <p>Paths use the decoder's notation: {@code spec.containers[0].imagee} for list items and
 * {@code metadata.labels.app} / {@code spec.subnets.a.cidrr} for map keys. Free-form maps accept any key; like
 * the decoder, nothing below a mismatched value is examined, and null is accepted anywhere.
 */
public final class FieldValidation {
    /** The decoder stops collecting strict errors at this many, and so do we. */
    private static final int MAX_UNKNOWN = 100;

    private static final Pattern QUANTITY = Pattern.compile("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$");
    private static final Pattern RFC3339 = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$");
    private static final BigInteger INT32_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
    private static final BigInteger INT32_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private FieldValidation() {}

    /** A finding about one position in the object. */
    public sealed interface Issue {
        String path();

        /** The text Kubernetes shows for it. */
        String message();

        record UnknownField(String path) implements Issue {
            @Override
            public String message() {
                return "unknown field \"" + path + "\"";
            }
        }

        /** @param message the decoder's wording, e.g. {@code json: cannot unmarshal string into Go struct field ...} */
        record TypeMismatch(String path, String message) implements Issue {}
    }

    /** The findings for one object, in document order. */
    public record Report(List<Issue> issues) {
        public Report {
            issues = List.copyOf(issues);
        }

        public boolean clean() {
            return issues.isEmpty();
        }

        public List<Issue.UnknownField> unknownFields() {
            return issues.stream().filter(i -> i instanceof Issue.UnknownField).map(i -> (Issue.UnknownField) i).toList();
        }

        public List<Issue.TypeMismatch> typeMismatches() {
            return issues.stream().filter(i -> i instanceof Issue.TypeMismatch).map(i -> (Issue.TypeMismatch) i).toList();
        }

        /** True when the request must fail with 400 whatever fieldValidation says. */
        public boolean hasTypeMismatch() {
            return issues.stream().anyMatch(i -> i instanceof Issue.TypeMismatch);
        }

        /** One {@code Warning} header text per unknown field, for fieldValidation=Warn. */
        public List<String> warnings() {
            return unknownFields().stream().map(Issue::message).toList();
        }

        /** The 400 message for fieldValidation=Strict, or null when there is no unknown field. */
        public String strictError() {
            List<String> parts = unknownFields().stream().map(Issue::message).toList();
            return parts.isEmpty() ? null : "strict decoding error: " + String.join(", ", parts);
        }

        /**
         * The 400 message for a type mismatch, worded as the API server does, e.g. {@code Pod in version "v1" cannot be
         * handled as a Pod: json: cannot unmarshal ...}; null when there is none. Only the first mismatch is named,
         * as the decoder reports only its first error.
         */
        public String decodeError(String apiVersion, String kind) {
            return typeMismatches().stream().findFirst()
                    .map(m -> kind + " in version \"" + apiVersion + "\" cannot be handled as a " + kind + ": " + m.message())
                    .orElse(null);
        }
    }

    /** Checks {@code object} against the named definition of the built-in schema. */
    public static Report check(String definitionName, JsonNode object) {
        return check(SchemaRegistry.core(), definitionName, object);
    }

    public static Report check(SchemaRegistry registry, String definitionName, JsonNode object) {
        Definition d = registry.definition(definitionName)
                .orElseThrow(() -> new IllegalArgumentException("no definition " + definitionName));
        Walk w = new Walk(registry);
        w.value(new Schema.Ref(d.name()), object, "", null, "");
        return new Report(w.issues);
    }

    private static final class Walk {
        final SchemaRegistry registry;
        final List<Issue> issues = new ArrayList<>();
        int unknown;

        Walk(SchemaRegistry registry) {
            this.registry = registry;
        }

        /**
         * @param path the strict-decoding path (indexes and map keys included)
         * @param struct the innermost struct holding this value, as Go names it in type errors
         * @param goPath the struct-field path Go prints in type errors (no indexes, no map keys)
         */
        void value(Schema declared, JsonNode node, String path, String struct, String goPath) {
            if (node == null || node.isNull()) return;
            String structHere = declared instanceof Schema.Ref r ? r.shortName() : struct;
            switch (registry.resolve(declared)) {
                case Schema.Untyped u -> {}
                case Schema.Ref r -> throw new IllegalStateException("unresolved " + r.name());
                case Schema.Struct s -> {
                    if (!node.isObject()) {
                        mismatch(path, node, struct, goPath, goType(declared));
                        return;
                    }
                    for (Map.Entry<String, JsonNode> e : node.properties()) {
                        String child = join(path, e.getKey());
                        Property p = s.properties().get(e.getKey());
                        if (p == null) {
                            if (unknown++ < MAX_UNKNOWN) issues.add(new Issue.UnknownField(child));
                        } else {
                            value(p.schema(), e.getValue(), child, structHere, join(goPath, e.getKey()));
                        }
                    }
                }
                case Schema.MapOf m -> {
                    if (!node.isObject()) {
                        mismatch(path, node, struct, goPath, goType(declared));
                        return;
                    }
                    for (Map.Entry<String, JsonNode> e : node.properties()) {
                        value(m.values(), e.getValue(), join(path, e.getKey()), struct, goPath);
                    }
                }
                case Schema.ListOf l -> {
                    if (!node.isArray()) {
                        mismatch(path, node, struct, goPath, goType(declared));
                        return;
                    }
                    for (int i = 0; i < node.size(); i++) {
                        value(l.items(), node.get(i), path + "[" + i + "]", struct, goPath);
                    }
                }
                case Schema.Scalar s -> scalar(declared, s, node, path, struct, goPath);
            }
        }

        private void scalar(Schema declared, Schema.Scalar s, JsonNode node, String path, String struct, String goPath) {
            if (declared instanceof Schema.Ref(String name) && name.endsWith(".Quantity")) {
                // Quantity decodes itself: any JSON token is read as text and must parse as a quantity.
                String text = node.isTextual() ? node.asText() : node.toString();
                if (!node.isNumber() && !node.isTextual() || !QUANTITY.matcher(text.strip()).matches()) {
                    issues.add(new Issue.TypeMismatch(path,
                            "quantities must match the regular expression '" + QUANTITY.pattern() + "'"));
                }
                return;
            }
            if (node.isTextual() && s.accepts("string")) {
                if ("byte".equals(s.format())) base64(node.asText(), path);
                if ("date-time".equals(s.format()) && !RFC3339.matcher(node.asText()).matches()) {
                    issues.add(new Issue.TypeMismatch(path, "parsing time \"" + node.asText()
                            + "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"" + node.asText() + "\" as RFC 3339"));
                }
                return;
            }
            if (node.isBoolean() && s.accepts("boolean")) return;
            if (node.isNumber() && s.accepts("number")) return;
            if (node.isNumber() && s.accepts("integer")) {
                boolean int64 = "int64".equals(s.format());
                if (node.isIntegralNumber()) {
                    BigInteger v = node.bigIntegerValue();
                    if (v.compareTo(int64 ? INT64_MIN : INT32_MIN) >= 0 && v.compareTo(int64 ? INT64_MAX : INT32_MAX) <= 0) return;
                }
                // Go names the literal when a number does not fit the integer type.
                mismatch(path, "number " + node.asText(), struct, goPath, goType(declared));
                return;
            }
            mismatch(path, node, struct, goPath, goType(declared));
        }

        private void base64(String text, String path) {
            String s = text.replace("\r", "").replace("\n", "");
            try {
                java.util.Base64.getDecoder().decode(s);
            } catch (IllegalArgumentException e) {
                int at = 0;
                while (at < s.length() && isBase64(s.charAt(at))) at++;
                issues.add(new Issue.TypeMismatch(path, "illegal base64 data at input byte " + at));
            }
        }

        private static boolean isBase64(char c) {
            return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/';
        }

        private void mismatch(String path, JsonNode node, String struct, String goPath, String goType) {
            mismatch(path, jsonKind(node), struct, goPath, goType);
        }

        private void mismatch(String path, String what, String struct, String goPath, String goType) {
            String where = struct == null || goPath.isEmpty()
                    ? "Go value"
                    : "Go struct field " + struct + "." + goPath;
            issues.add(new Issue.TypeMismatch(path, "json: cannot unmarshal " + what + " into " + where + " of type " + goType));
        }

        private String goType(Schema s) {
            return switch (s) {
                case Schema.Ref r when r.name().endsWith(".Quantity") -> "resource.Quantity";
                case Schema.Ref r when r.name().endsWith(".IntOrString") -> "intstr.IntOrString";
                case Schema.Ref r -> registry.resolve(r) instanceof Schema.Scalar sc ? goType(sc) : "v1." + r.shortName();
                case Schema.ListOf l -> "[]" + goType(l.items());
                case Schema.MapOf m -> "map[string]" + goType(m.values());
                case Schema.Struct st -> "struct";
                case Schema.Untyped u -> "interface {}";
                case Schema.Scalar sc when "byte".equals(sc.format()) -> "[]uint8";
                case Schema.Scalar sc when sc.accepts("integer") -> "int64".equals(sc.format()) ? "int64" : "int32";
                case Schema.Scalar sc when sc.accepts("number") -> "float64";
                case Schema.Scalar sc when sc.accepts("boolean") -> "bool";
                case Schema.Scalar sc -> "string";
            };
        }

        private static String jsonKind(JsonNode n) {
            if (n.isTextual()) return "string";
            if (n.isNumber()) return "number";
            if (n.isBoolean()) return "bool";
            if (n.isArray()) return "array";
            return "object";
        }

        private static String join(String path, String key) {
            return path.isEmpty() ? key : path + "." + key;
        }
    }
}
