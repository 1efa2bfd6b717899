package io.hypernetes.network;

/** A provider call that failed: {@link Reason} says whether retrying can help. */
public final class NetworkException extends Exception {
    public enum Reason {
        /** The request is wrong (bad CIDR, unknown subnet, name too long): retrying the same request fails again. */
        INVALID,
        /** The thing named does not exist (a pod's Network on the network node, a load balancer's Network). */
        NOT_FOUND,
        /** The tenant may not do this. */
        FORBIDDEN,
        /** The host could not do it now (a command failed, a device is busy): retry. */
        UNAVAILABLE
    }

    private final Reason reason;

    public NetworkException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public NetworkException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
