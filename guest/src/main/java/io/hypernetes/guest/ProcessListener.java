package io.hypernetes.guest;

/**
 * Receives one process's output. All calls for one connection come from its single reader
 * thread, in order; the guest may send more output only after a call returns, so a slow
 * listener slows the process down instead of piling up its output.
 */
public interface ProcessListener {
    void stdout(byte[] data);

    void stderr(byte[] data);

    /** After every byte of stdout and stderr was delivered. */
    void exited(int exitCode);

    /** The connection was lost before the process exited; {@link AgentConnection#reattach} resumes. */
    default void detached(Throwable cause) {}
}
