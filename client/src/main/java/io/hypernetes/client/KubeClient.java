package io.hypernetes.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.Optional;

/**
 * A client of the Kubernetes API speaking JSON over HTTPS, configured from a kubeconfig. Safe to share between
 * threads; every call blocks (use virtual threads for concurrency).
 *
 * <p>This is the low-level layer: requests by path with raw bodies and {@link JsonNode} answers. Typed access and
 * informers build on it.
 */
public final class KubeClient implements AutoCloseable {
    private final HttpClient http;
    private final URI server;
    private final String bearerToken;

    private KubeClient(HttpClient http, URI server, String bearerToken) {
        this.http = http;
        this.server = server;
        this.bearerToken = bearerToken;
    }

    public static KubeClient fromKubeconfig(Path kubeconfig) {
        Kubeconfig.Context ctx = Kubeconfig.load(kubeconfig);
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .sslContext(ctx.sslContext())
                // the default is a cached pool of platform threads per client, which grows with concurrent calls:
                // hundreds of clients in one process (Kubemark's hollow nodes) would mean thousands of threads
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        return new KubeClient(http, ctx.server(), ctx.bearerToken());
    }

    public URI server() {
        return server;
    }

    /** An answer: status code, headers and body. */
    public record Response(int code, HttpHeaders headers, byte[] body) {
        public JsonNode json() {
            try {
                return Json.parse(body);
            } catch (IOException e) {
                throw new UncheckedIOException("response is not JSON: " + new String(body, StandardCharsets.UTF_8), e);
            }
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }
    }

    public Response get(String path) {
        return send("GET", path, null, null, "application/json");
    }

    public Response post(String path, JsonNode body) {
        return send("POST", path, Json.bytes(body), "application/json", "application/json");
    }

    public Response put(String path, JsonNode body) {
        return send("PUT", path, Json.bytes(body), "application/json", "application/json");
    }

    public Response patch(String path, String patchType, JsonNode body) {
        return send("PATCH", path, Json.bytes(body), patchType, "application/json");
    }

    public Response delete(String path) {
        return send("DELETE", path, null, null, "application/json");
    }

    /** Sends a request; {@code body} and {@code contentType} may be null. */
    public Response send(String method, String path, byte[] body, String contentType, String accept) {
        HttpRequest.Builder b = request(path, accept);
        if (contentType != null) b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private HttpRequest.Builder request(String path, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofMinutes(2));
        if (accept != null) b.header("Accept", accept);
        if (bearerToken != null) b.header("Authorization", "Bearer " + bearerToken);
        return b;
    }

    /**
     * Opens a watch ({@code path} should carry {@code watch=true}) and returns its event stream; the caller reads
     * events one by one and closes the stream.
     */
    public WatchStream watch(String path) {
        HttpRequest.Builder b = request(path, "application/json");
        // a watch lasts as long as the server keeps it open (timeoutSeconds), not the request timeout
        HttpRequest r = b.timeout(Duration.ofDays(1)).GET().build();
        try {
            HttpResponse<InputStream> resp = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
            return new WatchStream(resp.statusCode(), resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException("watch " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The events of one watch, one JSON object per line. */
    public static final class WatchStream implements AutoCloseable {
        private final int code;
        private final InputStream in;
        private final BufferedReader reader;

        WatchStream(int code, InputStream in) {
            this.code = code;
            this.in = in;
            this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }

        /** The HTTP status of the watch: 200 when events follow, otherwise {@link #errorText()} says why. */
        public int code() {
            return code;
        }

        /**
         * For a watch the server refused (code other than 200): its answer, normally a Kubernetes {@code Status}
         * (for example 410 Gone when the resourceVersion is too old). Reads the rest of the body; empty when there
         * is none.
         */
        public String errorText() {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }

        /**
         * The next event ({@code {"type": ..., "object": ...}}; {@code BOOKMARK} events carry only the object's
         * {@code metadata.resourceVersion}, {@code ERROR} events a {@code Status}), or empty when the server ended
         * the stream. A dropped connection is an {@link UncheckedIOException}.
         */
        public Optional<JsonNode> next() {
            try {
                String line;
                do {
                    line = reader.readLine();
                    if (line == null) return Optional.empty();
                } while (line.isBlank());
                return Optional.of(Json.parse(line.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing a finished stream
            }
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
