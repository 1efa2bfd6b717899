package io.hypernetes.apiserver;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.http.HttpError;
import java.util.List;

/**
 * A request that fails with a Kubernetes {@code metav1.Status}. Handlers throw it; the HTTP layer writes
 * {@link #status()} with {@link #code()}. The factory methods word messages as the Kubernetes API server does,
 * because clients (kubectl among them) show them verbatim and some match on reason and code.
 */
public final class ApiException extends HttpError {
    /** The Kubernetes wording of the errors the HTTP server raises itself. */
    public static final HttpError.Format FORMAT = (code, message) -> switch (code) {
        case 400 -> badRequest(message);
        case 413 -> new ApiException(413, "RequestEntityTooLarge", message, null);
        case 500 -> internal(message);
        default -> new ApiException(code, "", message, null);
    };

    private final int code;
    private final String reason;
    private final ObjectNode details;

    public ApiException(int code, String reason, String message, ObjectNode details) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.details = details;
    }

    @Override
    public int code() {
        return code;
    }

    @Override
    public byte[] body() {
        return Json.bytes(status());
    }

    public String reason() {
        return reason;
    }

    public ObjectNode status() {
        ObjectNode s = Json.object();
        s.put("kind", "Status").put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure").put("message", getMessage());
        // Kubernetes' StatusReasonUnknown is the empty reason, which its Status leaves out
        if (reason != null && !reason.isEmpty()) s.put("reason", reason);
        if (details != null) s.set("details", details);
        s.put("code", code);
        return s;
    }

    private static ObjectNode details(String name, String group, ResourceType type) {
        ObjectNode d = Json.object();
        if (name != null) d.put("name", name);
        if (group != null && !group.isEmpty()) d.put("group", group);
        if (type != null) d.put("kind", type.plural());
        return d;
    }

    private static String qualified(ResourceType type) {
        return type.group().isEmpty() ? type.plural() : type.plural() + "." + type.group();
    }

    public static ApiException notFound(ResourceType type, String name) {
        return new ApiException(404, "NotFound", qualified(type) + " \"" + name + "\" not found",
                details(name, type.group(), type));
    }

    public static ApiException notFoundPath() {
        return new ApiException(404, "NotFound", "the server could not find the requested resource", details(null, null, null));
    }

    public static ApiException alreadyExists(ResourceType type, String name) {
        return new ApiException(409, "AlreadyExists", qualified(type) + " \"" + name + "\" already exists",
                details(name, type.group(), type));
    }

    public static ApiException conflict(ResourceType type, String name, String why) {
        return new ApiException(409, "Conflict",
                "Operation cannot be fulfilled on " + qualified(type) + " \"" + name + "\": " + why,
                details(name, type.group(), type));
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequest", message, null);
    }

    public static ApiException methodNotAllowed(String message) {
        return new ApiException(405, "MethodNotAllowed", message, details(null, null, null));
    }

    public static ApiException unsupportedMediaType(String contentType) {
        return new ApiException(415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                        + "application/json, application/yaml", null);
    }

    public static ApiException notAcceptable() {
        return new ApiException(406, "NotAcceptable",
                "only the following media types are accepted: application/json, application/yaml, "
                        + "application/json;as=Table;v=v1;g=meta.k8s.io", null);
    }

    public static ApiException gone(String message) {
        return new ApiException(410, "Expired", message, null);
    }

    public static ApiException forbidden(ResourceType type, String name, String why) {
        return new ApiException(403, "Forbidden",
                qualified(type) + (name == null ? "" : " \"" + name + "\"") + " is forbidden: " + why,
                details(name, type.group(), type));
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "Unauthorized", "Unauthorized", null);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "InternalError", "Internal error occurred: " + message, null);
    }

    public static ApiException timeout(String message) {
        return new ApiException(504, "Timeout", message, null);
    }

    /**
     * A cause's message without its field, as Kubernetes' {@code field.Error.ErrorBody()}: kubectl prints each cause
     * as {@code field: message}, so a message that repeated the field would show it twice.
     */
    private static String body(FieldError e) {
        String m = e.message();
        String prefix = e.field() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    /** 422 Invalid: {@code Pod "x" is invalid: [spec.containers[0].image: Required value, ...]}, one cause per field. */
    public static ApiException invalid(ResourceType type, String name, List<FieldError> errors) {
        ObjectNode d = details(name, type.group(), type);
        d.put("kind", type.kind());
        ArrayNode causes = d.putArray("causes");
        for (FieldError e : errors) {
            causes.addObject().put("reason", e.type().reason).put("message", body(e)).put("field", e.field());
        }
        String list = errors.size() == 1
                ? errors.getFirst().message()
                : "[" + String.join(", ", errors.stream().map(FieldError::message).toList()) + "]";
        // Kubernetes qualifies the kind with its group: Deployment.apps "web" is invalid; Pod "web" is invalid
        String kind = type.group().isEmpty() ? type.kind() : type.kind() + "." + type.group();
        return new ApiException(422, "Invalid", kind + " \"" + (name == null ? "" : name) + "\" is invalid: " + list, d);
    }
}
