package io.hypernetes.api.validation;

/**
 * One problem with one field, as Kubernetes' {@code field.Error}: the apiserver turns a list of these into a
 * 422 {@code Invalid} Status whose {@code details.causes} name each field.
 *
 * @param field the path, as Kubernetes writes it: {@code metadata.name}, {@code spec.containers[0].image},
 *              {@code metadata.labels[app]}
 * @param type the kind of problem
 * @param value the bad value as text, or null when there is none to show
 * @param detail what is wrong and how to fix it
 */
public record FieldError(String field, Type type, String value, String detail) {

    /** Kubernetes' {@code field.ErrorType}, with the reason string it reports in {@code causes[].reason}. */
    public enum Type {
        REQUIRED("FieldValueRequired", "Required value"),
        INVALID("FieldValueInvalid", "Invalid value"),
        NOT_SUPPORTED("FieldValueNotSupported", "Unsupported value"),
        DUPLICATE("FieldValueDuplicate", "Duplicate value"),
        FORBIDDEN("FieldValueForbidden", "Forbidden"),
        TOO_LONG("FieldValueTooLong", "Too long"),
        TOO_MANY("FieldValueTooMany", "Too many"),
        NOT_FOUND("FieldValueNotFound", "Not found");

        public final String reason;
        public final String label;

        Type(String reason, String label) {
            this.reason = reason;
            this.label = label;
        }
    }

    public static FieldError required(String field, String detail) {
        return new FieldError(field, Type.REQUIRED, null, detail);
    }

    public static FieldError invalid(String field, Object value, String detail) {
        return new FieldError(field, Type.INVALID, value == null ? null : value.toString(), detail);
    }

    public static FieldError forbidden(String field, String detail) {
        return new FieldError(field, Type.FORBIDDEN, null, detail);
    }

    public static FieldError notSupported(String field, Object value, java.util.Collection<String> supported) {
        return new FieldError(field, Type.NOT_SUPPORTED, value == null ? null : value.toString(),
                "supported values: " + String.join(", ", supported.stream().map(s -> "\"" + s + "\"").toList()));
    }

    public static FieldError duplicate(String field, Object value) {
        return new FieldError(field, Type.DUPLICATE, value == null ? null : value.toString(), "");
    }

    public static FieldError tooLong(String field, int max) {
        return new FieldError(field, Type.TOO_LONG, null, "must have at most " + max + " bytes");
    }

    /** The message Kubernetes prints: {@code metadata.name: Invalid value: "Foo": a lowercase RFC 1123 ...}. */
    public String message() {
        StringBuilder m = new StringBuilder(field).append(": ").append(type.label);
        if (value != null) m.append(": \"").append(value).append('"');
        if (detail != null && !detail.isEmpty()) m.append(": ").append(detail);
        return m.toString();
    }
}
