package io.hypernetes.controllers.informer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on a fixed local port that a test can cut: {@link #cut} drops every connection and refuses new
 * ones until {@link #restore}, as an unreachable API server does. TLS passes through untouched.
 */
final class TcpProxy implements AutoCloseable {
    private final int backendPort;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;

    TcpProxy(int backendPort) throws IOException {
        this.backendPort = backendPort;
        ServerSocket s = listen(0);
        this.port = s.getLocalPort();
        accept(s);
    }

    int port() {
        return port;
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return s;
    }

    private void accept(ServerSocket s) {
        server = s;
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try {
                    Socket client = s.accept();
                    Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
                    open.add(client);
                    open.add(backend);
                    pump(client, backend);
                    pump(backend, client);
                } catch (IOException e) {
                    // closed by cut()
                }
            }
        });
    }

    private void pump(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away
            } finally {
                close(from);
                close(to);
            }
        });
    }

    /** Drops every connection and refuses new ones. */
    void cut() {
        close(server);
        for (Socket s : open) close(s);
        open.clear();
    }

    /** Accepts connections again, on the same port. */
    void restore() throws IOException {
        accept(listen(port));
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        cut();
    }
}
