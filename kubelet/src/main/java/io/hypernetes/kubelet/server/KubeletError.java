package io.hypernetes.kubelet.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.HttpError;

/**
 * An error the kubelet server answers with, as a Kubernetes {@code Status}: the API server passes its code and
 * message on to kubectl, so they are worded as Kubernetes words them.
 */
final class KubeletError extends HttpError {
    static final HttpError.Format FORMAT = (code, message) -> new KubeletError(code, code == 400 ? "BadRequest" : code == 500 ? "InternalError" : "", message);

    private final int code;
    private final String reason;

    KubeletError(int code, String reason, String message) {
        super(message);
        this.code = code;
        this.reason = reason;
    }

    static KubeletError badRequest(String message) {
        return new KubeletError(400, "BadRequest", message);
    }

    static KubeletError notFoundPath(String path) {
        return new KubeletError(404, "NotFound", "the node has no endpoint " + path);
    }

    @Override
    public int code() {
        return code;
    }

    @Override
    public byte[] body() {
        ObjectNode s = Json.object();
        s.put("kind", "Status").put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure").put("message", getMessage());
        if (!reason.isEmpty()) s.put("reason", reason);
        s.put("code", code);
        return Json.bytes(s);
    }
}
