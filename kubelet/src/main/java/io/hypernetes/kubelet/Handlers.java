package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.StatusRuntimeException;
import io.hypernetes.runtime.v1.ExecSyncResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Runs a probe's or lifecycle hook's handler once: {@code exec} through the runtime's ExecSync, {@code httpGet}
 * as a real HTTP request from the agent to the pod's IP (or the handler's {@code host}), {@code tcpSocket} as a
 * real TCP connect. Named ports are looked up in the container's {@code ports}.
 *
 * <p>HTTPS handlers do not verify the pod's certificate, as the kubelet does not: the pod serves whatever it
 * likes and the probe only asks whether it answers. The two HTTP clients are shared by every agent in the
 * process (Kubemark runs hundreds) and send on virtual threads.
 */
final class Handlers {
    /** What one run found: success, and what to tell people when it failed. */
    record Outcome(boolean success, String message) {}

    private static final String USER_AGENT = "kube-probe/1.33";
    private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private Handlers() {}

    private static final class Clients {
        static final HttpClient PLAIN = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        static final HttpClient INSECURE = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .sslContext(trustAll())
                .sslParameters(noHostnameCheck())
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();

        private static SSLContext trustAll() {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {new X509TrustManager() {
                    @Override
                    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                    @Override
                    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                    @Override
                    public X509Certificate[] getAcceptedIssuers() {
                        return new X509Certificate[0];
                    }
                }}, new SecureRandom());
                return ctx;
            } catch (Exception e) {
                throw new IllegalStateException("no TLS", e);
            }
        }

        private static SSLParameters noHostnameCheck() {
            SSLParameters p = new SSLParameters();
            p.setEndpointIdentificationAlgorithm(null);
            return p;
        }
    }

    /**
     * Runs {@code handler} (an object with one of exec, httpGet, tcpSocket) against the container.
     *
     * @param container   the container's spec (for named ports)
     * @param containerId the runtime's id of the running container (for exec)
     * @param podIp       where httpGet and tcpSocket go unless the handler names a host
     */
    static Outcome run(RuntimeClient runtime, JsonNode handler, JsonNode container, String containerId, String podIp, Duration timeout) {
        try {
            if (handler.has("exec")) return exec(runtime, handler.path("exec"), containerId, timeout);
            if (handler.has("httpGet")) return httpGet(handler.path("httpGet"), container, podIp, timeout);
            if (handler.has("tcpSocket")) return tcpSocket(handler.path("tcpSocket"), container, podIp, timeout);
            if (handler.has("sleep")) {
                Thread.sleep(Math.min(timeout.toMillis(), handler.path("sleep").path("seconds").asLong() * 1000));
                return new Outcome(true, "");
            }
            return new Outcome(false, "handler has none of exec, httpGet, tcpSocket");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted");
        }
    }

    private static Outcome exec(RuntimeClient runtime, JsonNode exec, String containerId, Duration timeout) {
        List<String> cmd = new ArrayList<>();
        exec.path("command").forEach(c -> cmd.add(c.asText()));
        try {
            ExecSyncResponse r = runtime.execSync(containerId, cmd, timeout);
            String out = (r.getStdout().toString(StandardCharsets.UTF_8) + r.getStderr().toString(StandardCharsets.UTF_8)).strip();
            if (r.getExitCode() == 0) return new Outcome(true, out);
            return new Outcome(false, out.isEmpty() ? "command " + cmd + " exited with " + r.getExitCode() : out);
        } catch (StatusRuntimeException e) {
            return new Outcome(false, "command " + cmd + " could not run: " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
        }
    }

    private static Outcome httpGet(JsonNode http, JsonNode container, String podIp, Duration timeout) throws InterruptedException {
        String scheme = http.path("scheme").asText("HTTP").toLowerCase();
        String host = http.path("host").asText("");
        if (host.isEmpty()) host = podIp;
        int port = port(http.path("port"), container);
        if (port <= 0) return new Outcome(false, "port " + http.path("port").asText() + " is not a port of the container");
        String path = http.path("path").asText("/");
        if (!path.startsWith("/")) path = "/" + path;
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        URI uri;
        try {
            uri = URI.create(scheme + "://" + hostPart + ":" + port + path);
        } catch (IllegalArgumentException e) {
            return new Outcome(false, "bad probe URL: " + e.getMessage());
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).GET()
                .header("User-Agent", USER_AGENT).header("Accept", "*/*");
        for (JsonNode h : http.path("httpHeaders")) {
            String name = h.path("name").asText();
            if (name.isEmpty() || RESTRICTED_HEADERS.contains(name.toLowerCase())) continue;
            if (name.equalsIgnoreCase("User-Agent") || name.equalsIgnoreCase("Accept")) b.setHeader(name, h.path("value").asText());
            else b.header(name, h.path("value").asText());
        }
        HttpClient client = scheme.equals("https") ? Clients.INSECURE : Clients.PLAIN;
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 200 && r.statusCode() < 400) return new Outcome(true, "");
            String body = new String(r.body(), 0, Math.min(r.body().length, 1024), StandardCharsets.UTF_8);
            return new Outcome(false, "HTTP probe failed with statuscode: " + r.statusCode() + (body.isBlank() ? "" : " " + body.strip()));
        } catch (IOException e) {
            return new Outcome(false, "Get \"" + uri + "\": " + e);
        }
    }

    private static Outcome tcpSocket(JsonNode tcp, JsonNode container, String podIp, Duration timeout) {
        String host = tcp.path("host").asText("");
        if (host.isEmpty()) host = podIp;
        int port = port(tcp.path("port"), container);
        if (port <= 0) return new Outcome(false, "port " + tcp.path("port").asText() + " is not a port of the container");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            return new Outcome(true, "");
        } catch (IOException e) {
            return new Outcome(false, "dial tcp " + host + ":" + port + ": " + e.getMessage());
        }
    }

    /** A port number, or a named port of the container; -1 when neither. */
    static int port(JsonNode port, JsonNode container) {
        if (port.canConvertToInt() && port.isNumber()) return port.asInt();
        String text = port.asText();
        if (text.matches("\\d+")) return Integer.parseInt(text);
        for (JsonNode p : container.path("ports")) {
            if (text.equals(p.path("name").asText())) return p.path("containerPort").asInt();
        }
        return -1;
    }
}
