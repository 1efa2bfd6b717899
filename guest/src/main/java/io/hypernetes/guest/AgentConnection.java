package io.hypernetes.guest;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of hyperstart's protocol over the VM's virtio-serial port, which QEMU
 * exposes as a unix socket.
 *
 * <p>Flow of one connection:
 * <pre>
 *  connect ──SYNC(nonce)──► guest     (repeated each second until the guest answers;
 *          ◄─SYNC_ACK(nonce)─          bytes before the ACK are discarded)
 *          ◄─READY(version, boot ms)─
 *  request(id) ──► OK(id) | ERROR(id)  any thread; matched by id, each with a deadline
 *  STDOUT/STDERR(process) ──► listener on the reader thread ──► WINDOW back after it returns
 *  STDIN(process) blocks on the credit the guest grants with WINDOW
 * </pre>
 * The guest keeps processes running across connections: a new connection sees them in
 * {@link #state()} and resumes their output with {@link #reattach}.
 */
public final class AgentConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentConnection.class);
    private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final long SYNC_RESEND_MILLIS = 1000;

    private final Path socket;
    private final SocketChannel channel;
    private final Duration requestTimeout;
    private final Object writeLock = new Object();
    private final Map<Integer, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final Map<Integer, GuestProcess> processes = new ConcurrentHashMap<>();
    private final AtomicInteger requestIds = new AtomicInteger();
    private final AtomicInteger processIds = new AtomicInteger();
    private final CompletableFuture<GuestInfo> ready = new CompletableFuture<>();
    private final List<Consumer<Throwable>> closeListeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Throwable> closed = new CompletableFuture<>();
    private final Thread reader;

    private AgentConnection(Path socket, SocketChannel channel, ByteBuffer leftover, Duration requestTimeout) {
        this.socket = socket;
        this.channel = channel;
        this.requestTimeout = requestTimeout;
        this.reader = Thread.ofPlatform().daemon().name("agent-reader " + socket.getFileName())
                .unstarted(() -> readLoop(leftover));
    }

    /** Connects with a 60 s deadline per request. */
    public static AgentConnection connect(Path agentSocket, Duration timeout) throws AgentException {
        return connect(agentSocket, timeout, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * Connects to the guest behind {@code agentSocket}, waiting up to {@code timeout} for the
     * socket to appear and the guest to answer SYNC (a booting guest answers once hyperstart
     * runs). Returns after SYNC_ACK.
     */
    public static AgentConnection connect(Path agentSocket, Duration timeout, Duration requestTimeout) throws AgentException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!Files.exists(agentSocket)) {
                pause(20);
                continue;
            }
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(agentSocket));
                ByteBuffer leftover = synchronize(ch, deadline);
                ch.configureBlocking(true); // the selector that watched the SYNC is closed now
                AgentConnection c = new AgentConnection(agentSocket, ch, leftover, requestTimeout);
                c.reader.start();
                c.seedProcessIds();
                LOG.debug("connected to guest agent at {}", agentSocket);
                return c;
            } catch (IOException | AgentException e) {
                last = e;
                closeQuietly(ch);
                pause(50);
            }
        }
        throw new AgentException("guest agent at " + agentSocket + " did not answer SYNC within " + timeout
                + (last != null ? ": " + last.getMessage() : " (socket never appeared)"), last);
    }

    /** Sends SYNC and discards everything until the SYNC_ACK carrying the latest nonce. */
    private static ByteBuffer synchronize(SocketChannel ch, long deadline) throws IOException, AgentException {
        SecureRandom random = new SecureRandom();
        ch.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            ch.register(selector, SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(2 * Protocol.FRAME_MAX);
            byte[] expected = null;
            long resendAt = 0;
            while (true) {
                long now = System.nanoTime();
                if (now >= deadline) {
                    throw new AgentException("no SYNC_ACK before the deadline", -1);
                }
                if (now >= resendAt) {
                    long nonce = random.nextLong();
                    expected = ByteBuffer.allocate(Protocol.SYNC_LEN).put(Protocol.ACK_MAGIC).putLong(nonce).array();
                    ByteBuffer sync = ByteBuffer.allocate(Protocol.SYNC_LEN).put(Protocol.SYNC_MAGIC).putLong(nonce).flip();
                    while (sync.hasRemaining()) {
                        ch.write(sync);
                    }
                    resendAt = now + TimeUnit.MILLISECONDS.toNanos(SYNC_RESEND_MILLIS);
                }
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(resendAt, deadline) - now));
                selector.select(waitMillis);
                selector.selectedKeys().clear();
                if (ch.read(in) < 0) {
                    throw new IOException("guest agent socket closed during SYNC");
                }
                in.flip();
                int at = indexOf(in, expected);
                if (at >= 0) {
                    in.position(at + Protocol.SYNC_LEN);
                    ByteBuffer leftover = ByteBuffer.allocate(in.remaining());
                    leftover.put(in).flip();
                    return leftover;
                }
                // keep only a tail that could still be the start of the ACK
                int keep = Math.min(in.limit(), Protocol.SYNC_LEN - 1);
                in.position(in.limit() - keep);
                in.compact();
            }
        }
    }

    private static int indexOf(ByteBuffer b, byte[] needle) {
        outer:
        for (int i = b.position(); i + needle.length <= b.limit(); i++) {
            for (int j = 0; j < needle.length; j++) {
                if (b.get(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void seedProcessIds() throws AgentException {
        int max = 0;
        for (ProcessState p : state()) {
            max = Math.max(max, p.id());
        }
        processIds.set(max);
    }

    /** READY, if the guest sent it on this connection (it sends it after every SYNC_ACK). */
    public Optional<GuestInfo> ready() {
        return Optional.ofNullable(ready.getNow(null));
    }

    public GuestInfo awaitReady(Duration timeout) throws AgentException {
        try {
            return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AgentException("guest at " + socket + " sent no READY within " + timeout, -1);
        } catch (ExecutionException e) {
            throw new AgentException("connection to guest at " + socket + " lost before READY", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted waiting for READY", e);
        }
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    /** Called once when the connection ends: with the cause, or null after {@link #close()}. */
    public void onClose(Consumer<Throwable> listener) {
        closeListeners.add(listener);
        if (closed.isDone()) {
            listener.accept(closed.join());
        }
    }

    public void ping() throws AgentException {
        request(Protocol.PING, new byte[0]);
    }

    public void startPod(PodConfig pod) throws AgentException {
        request(Protocol.START_POD, pod.encode());
    }

    /**
     * Writes one entry of a pod volume: {@code path} is relative to the volume's root and may
     * not leave it. Content larger than one frame goes in several requests.
     */
    public void writeFile(String volume, String path, int mode, FileType type, byte[] content) throws AgentException {
        Checks.name("volume name", volume);
        Checks.relativePath("path", path);
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " is not in 0..7777");
        }
        if (type == FileType.SYMLINK && (content.length == 0 || content.length > 4095)) {
            throw new IllegalArgumentException("symlink target must be 1..4095 bytes");
        }
        int chunk = Protocol.PAYLOAD_MAX - 1024 - path.length() - volume.length();
        long offset = 0;
        do {
            int n = (int) Math.min(chunk, content.length - offset);
            Tlv.Writer w = Tlv.writer().string(Protocol.TAG_VOLUME, volume).string(Protocol.TAG_PATH, path)
                    .integer(Protocol.TAG_MODE, mode).integer(Protocol.TAG_FILE_TYPE, type.ordinal())
                    .bytes(Protocol.TAG_DATA, Arrays.copyOfRange(content, (int) offset, (int) offset + n));
            if (offset > 0) {
                w.integer(Protocol.TAG_OFFSET, offset);
            }
            request(Protocol.WRITE_FILE, w.toByteArray());
            offset += n;
        } while (offset < content.length);
    }

    public void newContainer(ContainerSpec container) throws AgentException {
        request(Protocol.NEW_CONTAINER, container.encode());
    }

    /** Unmounts a container whose processes have all exited and drops them from STATE. */
    public void removeContainer(String id) throws AgentException {
        request(Protocol.REMOVE_CONTAINER, Tlv.writer().string(Protocol.TAG_CONTAINER, Checks.name("container id", id)).toByteArray());
    }

    /**
     * Starts a process. A command that cannot run (not found, not executable, unknown user)
     * fails here with the guest's message and Docker's exit code in {@link AgentException#code()}.
     */
    public GuestProcess startProcess(ProcessSpec spec, ProcessListener listener) throws AgentException {
        int id = processIds.incrementAndGet();
        GuestProcess p = new GuestProcess(this, id, listener);
        processes.put(id, p);
        try {
            Tlv.Fields ok = request(Protocol.START_PROCESS, spec.encode(id));
            p.grantStdin(ok.integer(Protocol.TAG_STDIN_WINDOW, 0));
            return p;
        } catch (AgentException e) {
            processes.remove(id);
            throw e;
        }
    }

    /** Resumes a process started over an earlier connection; its output continues where it stopped. */
    public GuestProcess reattach(int processId, ProcessListener listener) throws AgentException {
        GuestProcess p = new GuestProcess(this, processId, listener);
        if (processes.putIfAbsent(processId, p) != null) {
            throw new IllegalStateException("process " + processId + " is already attached on this connection");
        }
        try {
            Tlv.Fields ok = request(Protocol.ATTACH, Tlv.writer().integer(Protocol.TAG_PROCESS, Integer.toUnsignedLong(processId)).toByteArray());
            p.grantStdin(ok.integer(Protocol.TAG_STDIN_WINDOW, 0));
            return p;
        } catch (AgentException e) {
            processes.remove(processId);
            throw e;
        }
    }

    public List<ProcessState> state() throws AgentException {
        return request(Protocol.STATE, new byte[0]).every(Protocol.TAG_PROCESS_STATE).stream()
                .map(f -> ProcessState.decode(f.nested())).toList();
    }

    /** The ids of the containers the guest has mounted. */
    public List<String> containers() throws AgentException {
        List<String> ids = new ArrayList<>();
        for (Tlv.Field f : request(Protocol.STATE, new byte[0]).every(Protocol.TAG_CONTAINER_STATE)) {
            ids.add(f.nested().string(Protocol.TAG_CONTAINER, ""));
        }
        return List.copyOf(ids);
    }

    public void signal(int processId, int signal) throws AgentException {
        if (signal < 1 || signal > 64) {
            throw new IllegalArgumentException("signal " + signal + " is not in 1..64");
        }
        request(Protocol.SIGNAL, Tlv.writer().integer(Protocol.TAG_PROCESS, Integer.toUnsignedLong(processId))
                .integer(Protocol.TAG_SIGNAL, signal).toByteArray());
    }

    /**
     * Kills everything, unmounts, syncs and powers the VM off (QEMU exits). The guest may
     * vanish before its reply arrives; a connection lost after the request was sent counts as done.
     */
    public void destroyPod() throws AgentException {
        try {
            request(Protocol.DESTROY_POD, new byte[0]);
        } catch (AgentException e) {
            if (isOpen() && e.code() != -1) {
                throw e;
            }
        }
        close();
    }

    @Override
    public void close() {
        finish(null);
    }

    @Override
    public String toString() {
        return "AgentConnection[" + socket + "]";
    }

    // ---- wire ----

    Tlv.Fields request(int type, byte[] payload) throws AgentException {
        int id = nextRequestId();
        CompletableFuture<Frame> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            send(new Frame(type, id, payload));
            Frame f = reply.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Tlv.Fields fields = Tlv.parse(f.payload());
            if (f.type() == Protocol.ERROR) {
                throw new AgentException(fields.string(Protocol.TAG_MESSAGE, "guest refused " + Protocol.typeName(type)),
                        fields.integer(Protocol.TAG_CODE, 0));
            }
            return fields;
        } catch (TimeoutException e) {
            throw new AgentException("guest at " + socket + " did not answer " + Protocol.typeName(type) + " within " + requestTimeout, -1);
        } catch (ExecutionException e) {
            throw new AgentException(Protocol.typeName(type) + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted waiting for " + Protocol.typeName(type), e);
        } catch (IllegalArgumentException e) {
            throw new AgentException("malformed reply to " + Protocol.typeName(type) + ": " + e.getMessage(), e);
        } finally {
            pending.remove(id);
        }
    }

    private int nextRequestId() {
        int id;
        do {
            id = requestIds.incrementAndGet();
        } while (id == 0);
        return id;
    }

    void send(Frame frame) throws AgentException {
        byte[] bytes = frame.encode();
        synchronized (writeLock) {
            if (!isOpen()) {
                throw new AgentException("connection to guest at " + socket + " is closed", closed.getNow(null));
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            } catch (IOException e) {
                finish(e);
                throw new AgentException("connection to guest at " + socket + " lost: " + e.getMessage(), e);
            }
        }
    }

    private void readLoop(ByteBuffer leftover) {
        ByteBuffer in = ByteBuffer.allocate(2 * Protocol.FRAME_MAX);
        in.put(leftover).flip();
        try {
            while (true) {
                while (true) {
                    if (in.remaining() >= 1 && in.get(in.position()) == (byte) 0xFF) {
                        // a late SYNC_ACK for an earlier SYNC of ours: not a frame
                        if (in.remaining() < Protocol.SYNC_LEN) {
                            break;
                        }
                        byte[] magic = new byte[8];
                        in.get(in.position(), magic);
                        if (!Arrays.equals(magic, Protocol.ACK_MAGIC)) {
                            throw new Frame.ProtocolException("byte 0xFF where a frame should start");
                        }
                        in.position(in.position() + Protocol.SYNC_LEN);
                        continue;
                    }
                    Frame f = Frame.decode(in);
                    if (f == null) {
                        break;
                    }
                    handle(f);
                }
                in.compact();
                if (channel.read(in) < 0) {
                    throw new IOException("guest agent closed the connection");
                }
                in.flip();
            }
        } catch (IOException | Frame.ProtocolException | RuntimeException e) {
            finish(closed.isDone() ? null : e);
        }
    }

    private void handle(Frame f) throws IOException {
        switch (f.type()) {
            case Protocol.OK, Protocol.ERROR -> {
                CompletableFuture<Frame> reply = pending.get(f.id());
                if (reply != null) {
                    reply.complete(f);
                } else {
                    LOG.warn("guest at {} reported for no request: {}", socket,
                            Tlv.parse(f.payload()).string(Protocol.TAG_MESSAGE, f.toString()));
                }
            }
            case Protocol.READY -> {
                Tlv.Fields r = Tlv.parse(f.payload());
                ready.complete(new GuestInfo(r.string(Protocol.TAG_VERSION, "?"), r.integer(Protocol.TAG_BOOT_MS, -1)));
            }
            case Protocol.STDOUT, Protocol.STDERR -> {
                GuestProcess p = processes.get(f.id());
                if (p != null) {
                    try {
                        if (f.type() == Protocol.STDOUT) {
                            p.listener.stdout(f.payload());
                        } else {
                            p.listener.stderr(f.payload());
                        }
                    } catch (RuntimeException e) {
                        // one broken listener must not take the pod's other processes down with the connection
                        LOG.warn("output listener of process {} failed", Integer.toUnsignedString(f.id()), e);
                    }
                }
                grant(f.id(), f.type() == Protocol.STDOUT ? 1 : 2, f.payload().length);
            }
            case Protocol.WINDOW -> {
                Tlv.Fields w = Tlv.parse(f.payload());
                GuestProcess p = processes.get(f.id());
                if (p != null && w.integer(Protocol.TAG_STREAM, -1) == 0) {
                    p.grantStdin(w.integer(Protocol.TAG_BYTES, 0));
                }
            }
            case Protocol.PROCESS_EXIT -> {
                GuestProcess p = processes.remove(f.id());
                if (p != null) {
                    int code = (int) Tlv.parse(f.payload()).integer(Protocol.TAG_EXIT_CODE, -1);
                    p.exited(code);
                    try {
                        p.listener.exited(code);
                    } catch (RuntimeException e) {
                        LOG.warn("exit listener of process {} failed", Integer.toUnsignedString(f.id()), e);
                    }
                }
            }
            default -> LOG.warn("guest at {} sent an unexpected frame {}", socket, f);
        }
    }

    /** Lets the guest send as many bytes again as the listener just took. */
    private void grant(int processId, int stream, int bytes) throws IOException {
        try {
            send(new Frame(Protocol.WINDOW, processId, Tlv.writer().integer(Protocol.TAG_STREAM, stream)
                    .integer(Protocol.TAG_BYTES, bytes).toByteArray()));
        } catch (AgentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private void finish(Throwable cause) {
        if (!closed.complete(cause)) {
            return;
        }
        closeQuietly(channel);
        AgentException lost = new AgentException("connection to guest at " + socket + " "
                + (cause == null ? "closed" : "lost: " + cause.getMessage()), cause);
        pending.values().forEach(f -> f.completeExceptionally(lost));
        ready.completeExceptionally(lost);
        for (GuestProcess p : processes.values()) {
            p.close(lost);
            try {
                p.listener.detached(lost);
            } catch (RuntimeException e) {
                LOG.warn("process listener failed", e);
            }
        }
        processes.clear();
        if (cause != null) {
            LOG.info("connection to guest agent at {} lost: {}", socket, cause.toString());
        }
        for (Consumer<Throwable> l : closeListeners) {
            try {
                l.accept(cause);
            } catch (RuntimeException e) {
                LOG.warn("close listener failed", e);
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    private static void pause(long millis) throws AgentException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted connecting to the guest agent", e);
        }
    }
}
