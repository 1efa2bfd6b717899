package io.hypernetes.http;

/** Answers one request. Runs on a virtual thread, so it may block; it throws {@link HttpError} to fail. */
@FunctionalInterface
public interface Handler {
    void handle(HttpExchange exchange) throws Exception;
}
