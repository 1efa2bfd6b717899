package io.hypernetes.http;

/**
 * A query parameter that does not parse; the server answers it 400 in the service's own {@link HttpError.Format},
 * so handlers read parameters with {@link HttpExchange#queryBool} and {@link HttpExchange#queryLong} and never
 * word the error themselves.
 */
public final class BadQueryParameter extends RuntimeException {
    public BadQueryParameter(String message) {
        super(message, null, false, false);
    }
}
