package io.hypernetes.http;

import java.util.Map;

/**
 * A request that fails. Handlers throw a subclass; the server writes its {@link #body()} with {@link #code()}.
 * Each service words its errors in its own protocol (Kubernetes {@code Status}, Keystone's {@code error} object),
 * so the body is the subclass's business.
 */
public abstract class HttpError extends RuntimeException {
    protected HttpError(String message) {
        super(message);
    }

    public abstract int code();

    public abstract byte[] body();

    public String contentType() {
        return "application/json";
    }

    /** Extra response headers, such as {@code WWW-Authenticate} on a 401. */
    public Map<String, String> headers() {
        return Map.of();
    }

    /**
     * How a service words the errors the server itself raises (a malformed URI, an oversized body, a handler
     * that failed unexpectedly), so every answer a client sees from that service has one shape.
     */
    @FunctionalInterface
    public interface Format {
        HttpError error(int code, String message);
    }
}
