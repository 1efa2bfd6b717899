package io.hypernetes.identity.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.http.HttpError;
import io.hypernetes.identity.IdentityException;
import io.hypernetes.identity.ThrottledException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error as Keystone words it: {@code {"error": {"code": 404, "message": "...", "title": "Not Found"}}}.
 * keystoneauth and the OpenStack CLI print {@code message}, so it names the problem and, where there is one, the fix.
 */
public final class KeystoneError extends HttpError {
    /** For the errors the HTTPS front raises itself (oversized body, malformed URI, a handler that failed). */
    public static final HttpError.Format FORMAT = KeystoneError::new;

    private final int code;
    private final Map<String, String> headers;

    public KeystoneError(int code, String message) {
        this(code, message, Map.of());
    }

    public KeystoneError(int code, String message, Map<String, String> headers) {
        super(message);
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    /** The core's refusal, with the status it carries; a throttled login also says when to retry. */
    public static KeystoneError of(IdentityException e) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (e instanceof ThrottledException t) {
            headers.put("Retry-After", Long.toString(Math.max(1, t.retryAfter().toSeconds())));
        }
        return new KeystoneError(e.status(), e.getMessage(), headers);
    }

    /** This error with one more response header (a 401's {@code WWW-Authenticate}, which names the service's URL). */
    public KeystoneError withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new KeystoneError(code, getMessage(), more);
    }

    public static String title(int code) {
        return HttpResponseStatus.valueOf(code).reasonPhrase();
    }

    @Override
    public int code() {
        return code;
    }

    public ObjectNode json() {
        ObjectNode root = Json.object();
        root.putObject("error").put("code", code).put("message", getMessage()).put("title", title(code));
        return root;
    }

    @Override
    public byte[] body() {
        return Json.bytes(json());
    }

    @Override
    public Map<String, String> headers() {
        return headers;
    }
}
