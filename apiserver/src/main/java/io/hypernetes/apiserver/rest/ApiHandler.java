package io.hypernetes.apiserver.rest;

import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.audit.AuditLog;
import io.hypernetes.apiserver.authz.Access;
import io.hypernetes.apiserver.authz.Authorizer;
import io.hypernetes.http.Handler;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.apiserver.registry.Registry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root of the API: health, version, metrics, discovery, OpenAPI, and the resources of {@code /api/v1} and of
 * the named groups under {@code /apis/{group}/{version}}.
 * Records {@code apiserver_request_duration_seconds} by verb and resource for every non-streaming request.
 */
public final class ApiHandler implements Handler {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    /** Kubernetes' request latency buckets (seconds), so dashboards and SLO queries carry over. */
    private static final Duration[] BUCKETS = Arrays.stream(new double[] {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0,
            1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60}).mapToObj(s -> Duration.ofNanos((long) (s * 1e9))).toArray(Duration[]::new);

    private final Registry registry;
    private final Authorizer authorizer = new Authorizer();
    private final AuditLog audit;
    private final SelfReviews reviews;
    private final ResourceHandler resources;
    private final WatchHandler watches;
    private final PrometheusMeterRegistry metrics;
    private final OpenApiDocuments openApi;
    private final BooleanSupplier ready;
    private final String serverAddress;
    private final NodeProxy nodes;

    public ApiHandler(Registry registry, ObjectChecks checks, OpenApiDocuments openApi, PrometheusMeterRegistry metrics,
            Duration bookmarkInterval, BooleanSupplier ready, String serverAddress, Clock clock, AuditLog audit) {
        this(registry, checks, openApi, metrics, bookmarkInterval, ready, serverAddress, clock, audit, null);
    }

    /** @param kubelets how node agents are reached for pods/log, exec and attach; null answers those with 503 */
    public ApiHandler(Registry registry, ObjectChecks checks, OpenApiDocuments openApi, PrometheusMeterRegistry metrics,
            Duration bookmarkInterval, BooleanSupplier ready, String serverAddress, Clock clock, AuditLog audit,
            io.hypernetes.apiserver.stream.KubeletClient kubelets) {
        this.nodes = new NodeProxy(registry, kubelets);
        this.audit = audit;
        this.reviews = new SelfReviews(authorizer, (access, target) -> ScopedValue.where(Access.CURRENT, access)
                .call(() -> targetExists(target.type(), target.namespace(), target.name())));
        this.registry = registry;
        this.watches = new WatchHandler(registry.store(), checks, bookmarkInterval);
        this.resources = new ResourceHandler(registry, checks, watches, clock);
        this.metrics = metrics;
        this.openApi = openApi;
        this.ready = ready;
        this.serverAddress = serverAddress;
        Gauge.builder("apiserver.longrunning.requests", watches::openWatches).tag("verb", "WATCH").register(metrics);
    }

    @Override
    public void handle(HttpExchange ex) throws Exception {
        String path = ex.path();
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        switch (path) {
            case "/healthz", "/livez" -> {
                text(ex, 200, "ok");
                return;
            }
            case "/readyz" -> {
                if (ready.getAsBoolean()) text(ex, 200, "ok");
                else text(ex, 503, "[-]store not ready\nreadyz check failed");
                return;
            }
            case "/version" -> {
                json(ex, Json.bytes(Discovery.version()));
                return;
            }
            default -> { }
        }
        if (!ex.user().authenticated()) {
            audit(ex, "get", null, 401, Instant.now());
            throw ApiException.unauthorized();
        }
        if (reviews.handle(ex, path)) return;
        if (!ex.method().equals("GET") && !resourcePath(path)) throw ApiException.methodNotAllowed(ex.method() + " is not supported on " + path);
        switch (path) {
            case "/metrics" -> {
                if (!authorizer.mayGet(ex.user(), path)) {
                    throw new ApiException(403, "Forbidden", "forbidden: User \"" + ex.user().name() + "\" cannot get path \"/metrics\"", null);
                }
                ex.respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
            }
            case "/api" -> discovery(ex, Discovery.apiVersions(serverAddress));
            case "/apis" -> discovery(ex, Discovery.apiGroupList());
            case "/api/v1" -> discovery(ex, Discovery.coreResources());
            default -> {
                if (path.equals("/openapi/v2") || path.startsWith("/openapi/v3")) {
                    openApi(ex, path);
                } else if (path.startsWith("/api/v1/")) {
                    resource(ex, path, "", "v1", path.substring("/api/v1/".length()));
                } else if (path.startsWith("/apis/")) {
                    group(ex, path);
                } else {
                    throw ApiException.notFoundPath();
                }
            }
        }
    }

    /** Whether a path names resources (not a document), so methods other than GET may apply. */
    private static boolean resourcePath(String path) {
        return path.startsWith("/api/v1/") || path.startsWith("/apis/") && path.split("/", -1).length > 4;
    }

    /** {@code /apis/{group}}, {@code /apis/{group}/{version}} and the resources below them. */
    private void group(HttpExchange ex, String path) throws Exception {
        String[] parts = path.substring("/apis/".length()).split("/", 3);
        if (parts.length == 1) {
            discovery(ex, Discovery.apiGroup(parts[0]).orElseThrow(ApiException::notFoundPath));
        } else if (parts.length == 2) {
            discovery(ex, Discovery.resources(parts[0], parts[1]).filter(d -> !parts[0].isEmpty())
                    .orElseThrow(ApiException::notFoundPath));
        } else if (parts[0].isEmpty() || ResourceTypes.of(parts[0], parts[1]).isEmpty()) {
            throw ApiException.notFoundPath();
        } else {
            resource(ex, path, parts[0], parts[1], parts[2]);
        }
    }

    private void resource(HttpExchange ex, String path, String group, String version, String rest) throws Exception {
        List<String> segments = Arrays.asList(rest.split("/", -1));
        Optional<Target> target = Target.parse(group, version, segments).or(() -> NodeProxy.target(group, segments));
        if (target.isEmpty()) throw ApiException.notFoundPath();
        Target t = target.get();
        // logs, exec and attach are long-running connections to a node agent, counted as Kubernetes counts them
        boolean connect = NodeProxy.handles(t);
        String verb = connect ? "CONNECT" : ResourceHandler.verb(ex.method(), t, ex);
        String authzVerb = connect ? NodeProxy.authorizationVerb(t) : rbacVerb(verb);
        long start = System.nanoTime();
        Instant received = Instant.now();
        int answered = 500;
        try {
            Access access = authorizer.authorize(ex.user(), authzVerb, t.type(), t.namespace(), t.name(),
                    t.subresource(), as -> ScopedValue.where(Access.CURRENT, as).call(() -> targetExists(t.type(), t.namespace(), t.name())));
            ScopedValue.where(Access.CURRENT, access).call(() -> {
                if (connect) nodes.handle(ex, t);
                else resources.handle(ex, t);
                return null;
            });
            answered = ex.status();
        } catch (ApiException e) {
            answered = e.code();
            throw e;
        } finally {
            audit(ex, authzVerb, t, answered, received);
            String resource = t.type().plural();
            String sub = t.subresource() == null ? "" : t.subresource();
            String code = Integer.toString(ex.status());
            Counter.builder("apiserver.request").tags("verb", verb, "resource", resource, "subresource", sub, "code", code)
                    .register(metrics).increment();
            if (!verb.equals("WATCH") && !connect) {
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                Timer.builder("apiserver.request.duration").description("Response latency by verb and resource")
                        .tags("verb", verb, "resource", resource, "subresource", sub)
                        .serviceLevelObjectives(BUCKETS)
                        .register(metrics).record(took);
                if (took.toMillis() > 1000) log.warn("slow request: {} {} took {} ms", verb, path, took.toMillis());
            }
        }
    }

    private void audit(HttpExchange ex, String verb, Target t, int code, Instant received) {
        if (!AuditLog.recorded(verb, code)) return;
        var source = ex.remoteAddress();
        audit.record(new AuditLog.Entry(verb, ex.uri(), ex.user(), source == null ? null : source.getAddress().getHostAddress(),
                ex.header("User-Agent"), t == null ? null : t.type().plural(), t == null ? null : t.subresource(),
                t == null ? null : t.namespace(), t == null ? null : t.name(), code, received));
    }

    /** The verb as authorization names it: RBAC says create and update where metrics say POST and PUT. */
    private static String rbacVerb(String verb) {
        return switch (verb) {
            case "POST" -> "create";
            case "PUT" -> "update";
            default -> verb.toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Whether the request's namespace, or its named cluster-scoped object, exists for the current access. */
    private boolean targetExists(io.hypernetes.api.resource.ResourceType type, String namespace, String name) {
        if (namespace != null) return registry.of(ResourceTypes.NAMESPACES).find(null, namespace).isPresent();
        if (name != null) return registry.of(type).find(null, name).isPresent();
        return true;
    }

    private void discovery(HttpExchange ex, com.fasterxml.jackson.databind.JsonNode doc) {
        ResourceHandler.respond(ex, 200, MediaTypes.negotiateDocument(ex.header("Accept")), doc);
    }

    private void openApi(HttpExchange ex, String path) {
        OpenApiDocuments.Document doc = openApi.document(path, ex.header("Accept")).orElseThrow(ApiException::notFoundPath);
        ex.respond(200, doc.contentType(), doc.body());
    }

    private static void text(HttpExchange ex, int code, String body) {
        ex.respond(code, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void json(HttpExchange ex, byte[] body) {
        ex.respond(200, "application/json", body);
    }
}
