package io.hypernetes.guest;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A process in the guest, seen from the host: its stdin (credit-limited, so writing blocks
 * while the guest's buffer for it is full), terminal size, signals, and its exit.
 */
public final class GuestProcess {
    private final AgentConnection connection;
    private final int id;
    final ProcessListener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition creditChanged = lock.newCondition();
    private long stdinCredit;
    private Throwable gone;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    GuestProcess(AgentConnection connection, int id, ProcessListener listener) {
        this.connection = connection;
        this.id = id;
        this.listener = listener;
    }

    public int id() {
        return id;
    }

    /** Completes with the exit code once the process exited and all its output was delivered. */
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    /** Sends bytes to the process's stdin, waiting while the guest has no room for them. */
    public void write(byte[] data) throws AgentException {
        int off = 0;
        while (off < data.length) {
            int n;
            lock.lock();
            try {
                while (stdinCredit <= 0 && gone == null) {
                    creditChanged.await();
                }
                if (gone != null) {
                    throw new AgentException("stdin of process " + id + " is closed: " + gone.getMessage(), gone);
                }
                n = (int) Math.min(Math.min(stdinCredit, Protocol.PAYLOAD_MAX), data.length - off);
                stdinCredit -= n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AgentException("interrupted writing stdin of process " + id, e);
            } finally {
                lock.unlock();
            }
            connection.send(new Frame(Protocol.STDIN, id, Arrays.copyOfRange(data, off, off + n)));
            off += n;
        }
    }

    /** End of input: the guest closes the process's stdin after writing what was sent before. */
    public void closeStdin() throws AgentException {
        connection.request(Protocol.CLOSE_STDIN, Tlv.writer().integer(Protocol.TAG_PROCESS, Integer.toUnsignedLong(id)).toByteArray());
    }

    public void resize(int columns, int rows) throws AgentException {
        if (columns < 1 || columns > 65535 || rows < 1 || rows > 65535) {
            throw new IllegalArgumentException("terminal size " + columns + "x" + rows + " is not in 1..65535");
        }
        connection.request(Protocol.WINSIZE, Tlv.writer().integer(Protocol.TAG_PROCESS, Integer.toUnsignedLong(id))
                .integer(Protocol.TAG_COLUMNS, columns).integer(Protocol.TAG_ROWS, rows).toByteArray());
    }

    public void signal(int signal) throws AgentException {
        connection.signal(id, signal);
    }

    void grantStdin(long bytes) {
        lock.lock();
        try {
            stdinCredit += bytes;
            creditChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void exited(int code) {
        close(new IllegalStateException("process " + id + " exited"));
        exit.complete(code);
    }

    void close(Throwable cause) {
        lock.lock();
        try {
            if (gone == null) {
                gone = cause;
            }
            creditChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "GuestProcess[" + Integer.toUnsignedString(id) + "]";
    }
}
