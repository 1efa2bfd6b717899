package io.hypernetes.guest;

/**
 * A request the guest refused or could not be answered.
 *
 * @see #code() for START_PROCESS, Docker's exit code (127 not found, 126 not executable);
 *      otherwise the guest's errno, or -1 when the connection failed
 */
public final class AgentException extends Exception {
    private final long code;

    public AgentException(String message, long code) {
        super(message);
        this.code = code;
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
        this.code = -1;
    }

    public long code() {
        return code;
    }
}
