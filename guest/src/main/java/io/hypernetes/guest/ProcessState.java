package io.hypernetes.guest;

/**
 * One process as STATE reports it. Exited processes stay listed until their container is removed.
 *
 * @param exitCode the exit status, or 128 + signal for a process killed by one; 0 while running
 */
public record ProcessState(int id, String containerId, int pid, boolean init, boolean tty, boolean running, int exitCode) {

    static ProcessState decode(Tlv.Fields f) {
        return new ProcessState((int) f.integer(Protocol.TAG_PROCESS, 0), f.string(Protocol.TAG_CONTAINER, ""),
                (int) f.integer(Protocol.TAG_PID, 0), f.integer(Protocol.TAG_INIT, 0) != 0,
                f.integer(Protocol.TAG_TTY, 0) != 0, f.string(Protocol.TAG_STATUS, "").equals("running"),
                (int) f.integer(Protocol.TAG_EXIT_CODE, 0));
    }
}
