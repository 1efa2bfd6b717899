package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Access;
import io.hypernetes.apiserver.registry.Registry;
import io.hypernetes.apiserver.stream.KubeletClient;
import io.hypernetes.apiserver.stream.RemoteCommandRelay;
import io.hypernetes.http.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The pod subresources served by the pod's node agent: {@code pods/log} (GET, chunked text), {@code pods/exec}
 * and {@code pods/attach} (GET or POST with a WebSocket or SPDY upgrade). The request is authorized as any
 * other (reading logs is {@code get} on {@code pods/log}; exec and attach are {@code create}), the pod is read
 * with the request's access (another tenant's pod is absent: 404), options are checked as Kubernetes checks them,
 * and only then is the node agent's kubelet server, found in the Node's status, dialled.
 */
final class NodeProxy {
    static final Set<String> SUBRESOURCES = Set.of("log", "exec", "attach");

    private final Registry registry;
    private final KubeletClient kubelets;

    NodeProxy(Registry registry, KubeletClient kubelets) {
        this.registry = registry;
        this.kubelets = kubelets;
    }

    /** {@code namespaces/{ns}/pods/{name}/{log|exec|attach}} of the core group, which {@link Target#parse} does not know. */
    static Optional<Target> target(String group, List<String> segments) {
        if (!group.isEmpty() || segments.size() != 5 || !segments.get(0).equals("namespaces") || !segments.get(2).equals("pods")
                || segments.get(1).isEmpty() || segments.get(3).isEmpty() || !SUBRESOURCES.contains(segments.get(4))) {
            return Optional.empty();
        }
        return Optional.of(new Target(ResourceTypes.PODS, segments.get(1), segments.get(3), segments.get(4), false));
    }

    static boolean handles(Target t) {
        return t.type() == ResourceTypes.PODS && t.subresource() != null && SUBRESOURCES.contains(t.subresource());
    }

    /** What authorization calls the request: reading a log is get, exec and attach create. */
    static String authorizationVerb(Target t) {
        return t.subresource().equals("log") ? "get" : "create";
    }

    void handle(HttpExchange ex, Target t) throws Exception {
        t.checkNames();
        boolean log = t.subresource().equals("log");
        if (log ? !ex.method().equals("GET") : !ex.method().equals("GET") && !ex.method().equals("POST")) {
            throw ApiException.methodNotAllowed(ex.method() + " is not supported on pods/" + t.subresource());
        }
        if (log) logs(ex, t);
        else command(ex, t, t.subresource().equals("exec"));
    }

    // ---- pods/log

    private void logs(HttpExchange ex, Target t) throws InterruptedException {
        StringBuilder q = new StringBuilder();
        for (String b : new String[] {"follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend"}) {
            if (ex.queryBool(b, false) && !b.equals("insecureSkipTLSVerifyBackend")) q.append('&').append(b).append("=true");
        }
        Long tail = ex.queryLong("tailLines"), since = ex.queryLong("sinceSeconds"), limit = ex.queryLong("limitBytes");
        String sinceTime = ex.query("sinceTime");
        if (sinceTime != null && !sinceTime.isEmpty()) {
            try {
                OffsetDateTime.parse(sinceTime, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            } catch (DateTimeParseException e) {
                throw ApiException.badRequest("sinceTime: Invalid value: \"" + sinceTime + "\": parsing time \"" + sinceTime
                        + "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse");
            }
            q.append("&sinceTime=").append(enc(sinceTime));
        }
        List<String> invalid = new ArrayList<>();
        if (tail != null && tail < 0) invalid.add("tailLines: Invalid value: " + tail + ": must be greater than or equal to 0");
        if (since != null && since < 1) invalid.add("sinceSeconds: Invalid value: " + since + ": must be greater than 0");
        if (limit != null && limit < 1) invalid.add("limitBytes: Invalid value: " + limit + ": must be greater than 0");
        if (since != null && sinceTime != null && !sinceTime.isEmpty()) invalid.add("at most one of `sinceTime` or `sinceSeconds` may be specified");
        if (!invalid.isEmpty()) {
            String list = invalid.size() == 1 ? invalid.getFirst() : "[" + String.join(", ", invalid) + "]";
            throw new ApiException(422, "Invalid", "PodLogOptions \"" + t.name() + "\" is invalid: " + list, null);
        }
        if (tail != null) q.append("&tailLines=").append(tail);
        if (since != null) q.append("&sinceSeconds=").append(since);
        if (limit != null) q.append("&limitBytes=").append(limit);

        ObjectNode pod = registry.of(ResourceTypes.PODS).get(t.namespace(), t.name());
        String container = container(ex, pod, t.name());
        KubeletClient.Endpoint node = endpoint(pod, t.name());
        String path = "/containerLogs/" + enc(t.namespace()) + "/" + enc(t.name()) + "/" + enc(container)
                + (q.isEmpty() ? "" : "?" + q.substring(1));
        InputStream in = kubelets.get(node, path);
        Runnable forget = ex.onClose(() -> closeQuietly(in));
        try (in; HttpExchange.Stream out = ex.stream(200, "text/plain")) {
            byte[] buf = new byte[16 * 1024];
            int n;
            while (ex.isOpen() && (n = in.read(buf)) >= 0) {
                if (n > 0) out.write(Arrays.copyOf(buf, n));
            }
        } catch (IOException e) {
            // the node hung up or the client did (its close closed the node's stream): the chunked body ends here
        } finally {
            forget.run();
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing only to stop a read
        }
    }

    // ---- pods/exec and pods/attach

    private void command(HttpExchange ex, Target t, boolean exec) throws InterruptedException {
        List<String> command = ex.queryAll("command");
        boolean stdin = ex.queryBool("stdin", false), stdout = ex.queryBool("stdout", false), stderr = ex.queryBool("stderr", false), tty = ex.queryBool("tty", false);
        if (exec && command.isEmpty()) throw ApiException.badRequest("you must specify at least one command for the container");
        if (!stdin && !stdout && !stderr) throw ApiException.badRequest("you must specify at least 1 of stdin, stdout, stderr");
        ObjectNode pod = registry.of(ResourceTypes.PODS).get(t.namespace(), t.name());
        String phase = pod.path("status").path("phase").asText("");
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            throw ApiException.badRequest((exec ? "cannot exec into" : "cannot attach to") + " a container in a completed pod; current phase is " + phase);
        }
        String container = container(ex, pod, t.name());
        KubeletClient.Endpoint node = endpoint(pod, t.name());
        StringBuilder q = new StringBuilder();
        for (String c : command) q.append("&command=").append(enc(c));
        if (stdin) q.append("&stdin=true");
        if (stdout) q.append("&stdout=true");
        if (stderr) q.append("&stderr=true");
        if (tty) q.append("&tty=true");
        String path = "/" + (exec ? "exec" : "attach") + "/" + enc(t.namespace()) + "/" + enc(t.name()) + "/" + enc(container)
                + "?" + q.substring(1);
        RemoteCommandRelay.relay(ex, kubelets, node, path, new RemoteCommandRelay.Streams(stdin, stdout, stderr, tty));
    }

    // ---- shared

    /** The container the request names, or the pod's only one; Kubernetes' errors otherwise. */
    private static String container(HttpExchange ex, ObjectNode pod, String podName) {
        List<String> names = names(pod.path("spec").path("containers"));
        List<String> init = names(pod.path("spec").path("initContainers"));
        List<String> ephemeral = names(pod.path("spec").path("ephemeralContainers"));
        String c = ex.query("container");
        if (c == null || c.isEmpty()) {
            if (names.size() == 1) return names.getFirst();
            String choices = "[" + String.join(" ", names) + "]";
            throw ApiException.badRequest("a container name must be specified for pod " + podName + ", choose one of: " + choices
                    + (init.isEmpty() ? "" : " or one of the init containers: [" + String.join(" ", init) + "]"));
        }
        if (names.contains(c) || init.contains(c) || ephemeral.contains(c)) return c;
        throw ApiException.badRequest("container " + c + " is not valid for pod " + podName);
    }

    private static List<String> names(JsonNode containers) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : containers) out.add(c.path("name").asText());
        return out;
    }

    /** Where the pod's node agent serves: the Node's InternalIP (else Hostname, ExternalIP) and its kubelet port. */
    private KubeletClient.Endpoint endpoint(ObjectNode pod, String podName) {
        String nodeName = pod.path("spec").path("nodeName").asText("");
        if (nodeName.isEmpty()) throw ApiException.badRequest("pod " + podName + " does not have a host assigned");
        if (kubelets == null) {
            throw new ApiException(503, "ServiceUnavailable", "this API server has no credentials for node agents", null);
        }
        // the Node is the control plane's business: read whatever the caller may see of it
        ObjectNode node = ScopedValue.where(Access.CURRENT, Access.ALL)
                .call(() -> registry.of(ResourceTypes.NODES).find(null, nodeName))
                .orElseThrow(() -> new ApiException(503, "ServiceUnavailable", "node \"" + nodeName + "\" of pod " + podName + " does not exist", null));
        int port = node.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
        String address = null;
        for (String type : new String[] {"InternalIP", "Hostname", "ExternalIP"}) {
            for (JsonNode a : node.path("status").path("addresses")) {
                if (address == null && a.path("type").asText().equals(type) && !a.path("address").asText().isEmpty()) {
                    address = a.path("address").asText();
                }
            }
        }
        if (port <= 0 || address == null) {
            throw new ApiException(503, "ServiceUnavailable", "node \"" + nodeName + "\" serves no kubelet endpoint"
                    + " (status.addresses and status.daemonEndpoints.kubeletEndpoint.Port): its node agent runs without a server", null);
        }
        return new KubeletClient.Endpoint(nodeName, address, port);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
