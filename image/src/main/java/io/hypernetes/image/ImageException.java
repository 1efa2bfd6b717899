package io.hypernetes.image;

/**
 * Why an image could not be pulled, imported, found or turned into a root filesystem, in words a Kubernetes user
 * acts on: these messages end up in a pod's {@code ErrImagePull} status. {@link #reason()} lets the runtime choose a
 * gRPC status without parsing the message.
 */
public final class ImageException extends RuntimeException {
    /** The kinds of failure a caller treats differently. */
    public enum Reason {
        /** The reference, a file or an archive is malformed: retrying will not help. */
        INVALID,
        /** The repository, tag, digest or image does not exist (or the registry hides it). */
        NOT_FOUND,
        /** The registry refused the credentials, or wants some. */
        UNAUTHORIZED,
        /** The registry could not be reached or answered with a server error: retrying may help. */
        UNAVAILABLE,
        /** Content did not match its digest or broke a limit: the registry or the network is not to be trusted. */
        CORRUPT,
        /** A format this store does not handle (e.g. zstd layers). */
        UNSUPPORTED,
        /** Building or storing on this node failed (disk full, mkfs failed). */
        INTERNAL
    }

    private final Reason reason;

    public ImageException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
