package io.hypernetes.http;

/**
 * A WebSocket connection (RFC 6455) as blocking code on a virtual thread uses it: receive the next whole message,
 * send one, close. The server side comes from {@link HttpExchange#acceptWebSocket}; a client side may adapt any
 * other implementation (the API server's relay adapts the JDK's).
 */
public interface WebSocket extends AutoCloseable {
    /** Normal closure. */
    int NORMAL = 1000;
    /** The endpoint goes away (server shutdown, or the other half of a relay ended abnormally). */
    int GOING_AWAY = 1001;
    /** Internal error: the endpoint met a condition that prevented it from fulfilling the request. */
    int INTERNAL_ERROR = 1011;

    /** One whole message (fragments joined). */
    record Message(boolean text, byte[] data) {}

    /** The subprotocol both ends agreed on ({@code Sec-WebSocket-Protocol}), or "" for none. */
    String subprotocol();

    /** The next message, waiting for it; null once the connection is closed (by either end). */
    Message receive() throws InterruptedException;

    /** Sends a binary message, waiting while the peer reads slower than we write. */
    void send(byte[] data) throws InterruptedException;

    /** Sends a close frame with {@code code} and {@code reason}, then closes the connection; idempotent. */
    void close(int code, String reason);

    @Override
    default void close() {
        close(NORMAL, "");
    }
}
