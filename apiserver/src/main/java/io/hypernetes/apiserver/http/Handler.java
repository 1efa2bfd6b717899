package io.hypernetes.apiserver.http;

/** Answers one request. Runs on a virtual thread, so it may block; it throws {@link ApiException} to fail. */
@FunctionalInterface
public interface Handler {
    void handle(HttpExchange exchange) throws Exception;
}
