package io.hypernetes.api.protobuf;

/**
 * A protobuf body that cannot be decoded (malformed bytes, a kind that is not served) or an object that cannot be
 * encoded. The message names the field path and what is wrong; the API server answers 400 with it.
 */
public final class ProtobufException extends RuntimeException {
    public ProtobufException(String message) {
        super(message);
    }

    ProtobufException(String message, Throwable cause) {
        super(message, cause);
    }
}
