package io.hypernetes.controllers.endpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.Informer;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.client.informer.ResourceEventHandler;
import io.hypernetes.client.work.WorkQueue;
import io.hypernetes.controllers.work.ControllerRefs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the Endpoints of every Service with a selector, as Kubernetes' endpoints controller does.
 *
 * <p>For a Service {@code ns/name} with a non-empty {@code spec.selector}, the Endpoints {@code ns/name} lists the
 * pods the selector matches that have an IP and are not being deleted: ready pods (condition Ready=True) as
 * {@code addresses}, the others as {@code notReadyAddresses} (all as addresses when the Service publishes not-ready
 * addresses), each with its IP, node and a {@code targetRef} to the pod. Ports come from the Service's ports, each
 * {@code targetPort} resolved per pod: a number as is, a name as the pod's container port of that name (a pod without
 * it is left out of that port). Addresses with the same ports share a subset. The Endpoints carries the Service's
 * labels and is written only when its subsets or labels would change. The Endpoints of a deleted Service is
 * deleted; those of Services without a selector are never touched (someone else keeps them).
 *
 * <p>Event-driven from shared informers of services, pods and endpoints: a Service's key is queued when it changes,
 * when a pod its selector matches (before or after the change) changes, and when its Endpoints is changed or
 * deleted by someone else. Workers on virtual threads reconcile the queue; conflicts and errors are retried with
 * backoff.
 */
public final class EndpointsController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndpointsController.class);
    static final String BY_NAMESPACE = ControllerRefs.NAMESPACE_INDEX;

    /** @param workers how many Services are reconciled at once */
    public record Config(int workers) {
        public static final Config DEFAULT = new Config(4);
    }

    private final KubeClient client;
    private final Informer services;
    private final Informer pods;
    private final Informer endpoints;
    private final int workers;
    private final WorkQueue queue = new WorkQueue("endpoints");
    private final List<Informer.Registration> registrations = new ArrayList<>();

    private EndpointsController(InformerFactory factory, Config config) {
        this.client = factory.client();
        this.services = factory.informer("/api/v1/services");
        this.pods = factory.informer("/api/v1/pods");
        this.endpoints = factory.informer("/api/v1/endpoints");
        ControllerRefs.namespaceIndex(services);
        ControllerRefs.namespaceIndex(pods);
        this.workers = config.workers();
    }

    public static EndpointsController start(InformerFactory informers) {
        return start(informers, Config.DEFAULT);
    }

    /** Runs the controller on the process's shared informers (and their client); closing it leaves them running. */
    public static EndpointsController start(InformerFactory informers, Config config) {
        EndpointsController c = new EndpointsController(informers, config);
        c.registrations.add(c.services.addHandler(ResourceEventHandler.of(
                svc -> c.queue.add(key(svc)),
                (old, svc) -> c.queue.add(key(svc)),
                svc -> c.queue.add(key(svc)))));
        c.registrations.add(c.pods.addHandler(ResourceEventHandler.of(
                pod -> c.podChanged(null, pod),
                (old, pod) -> c.podChanged(old, pod),
                pod -> c.podChanged(null, pod))));
        c.registrations.add(c.endpoints.addHandler(new ResourceEventHandler() {
            @Override
            public void onUpdate(ObjectNode old, ObjectNode ep) {
                if (!old.path("subsets").equals(ep.path("subsets"))) c.queue.add(key(ep));
            }

            @Override
            public void onDelete(ObjectNode ep) {
                c.queue.add(key(ep));
            }
        }));
        c.queue.run(c.workers, c::sync);
        return c;
    }

    static String key(JsonNode obj) {
        return WorkQueue.key(obj);
    }

    private void podChanged(ObjectNode old, ObjectNode pod) {
        for (ObjectNode svc : services.byIndex(BY_NAMESPACE, Meta.namespace(pod))) {
            JsonNode selector = svc.path("spec").path("selector");
            if (selector.isEmpty()) continue;
            if (matches(selector, pod) || (old != null && matches(selector, old))) queue.add(key(svc));
        }
    }

    static boolean matches(JsonNode selector, JsonNode pod) {
        JsonNode labels = pod.path("metadata").path("labels");
        for (Iterator<Map.Entry<String, JsonNode>> it = selector.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!labels.path(e.getKey()).isTextual() || !labels.path(e.getKey()).asText().equals(e.getValue().asText())) return false;
        }
        return true;
    }

    private void sync(String key) {
        String[] nsName = WorkQueue.split(key);
        String ns = nsName[0];
        String name = nsName[1];
        String path = "/api/v1/namespaces/" + ns + "/endpoints/" + name;
        Optional<ObjectNode> svc = services.get(ns, name);
        Optional<ObjectNode> current = endpoints.get(ns, name);
        if (svc.isEmpty()) {
            if (current.isEmpty()) return;
            KubeClient.Response deleted = client.delete(path);
            if (deleted.code() != 200 && deleted.code() != 404) throw failure("delete " + path, deleted);
            log.debug("endpoints {}: deleted with its service", key);
            return;
        }
        JsonNode selector = svc.get().path("spec").path("selector");
        if (!selector.isObject() || selector.isEmpty()) return; // selector-less: the Endpoints are someone else's
        ArrayNode subsets = subsets(svc.get(), pods.byIndex(BY_NAMESPACE, ns).stream().filter(p -> matches(selector, p)).toList());
        ObjectNode labels = labels(svc.get());
        if (current.isPresent()) {
            JsonNode have = current.get().path("subsets");
            boolean sameSubsets = have.isMissingNode() || have.isNull() ? subsets.isEmpty() : have.equals(subsets);
            JsonNode haveLabels = current.get().path("metadata").path("labels");
            boolean sameLabels = haveLabels.isMissingNode() || haveLabels.isNull() ? labels.isEmpty() : haveLabels.equals(labels);
            if (sameSubsets && sameLabels) return;
            ObjectNode next = current.get().deepCopy();
            next.set("subsets", subsets);
            if (labels.isEmpty()) Meta.metadata(next).remove("labels");
            else Meta.metadata(next).set("labels", labels);
            KubeClient.Response put = client.put(path, next);
            if (put.code() != 200) throw failure("update " + path, put);
        } else {
            ObjectNode ep = Json.object().put("apiVersion", "v1").put("kind", "Endpoints");
            ObjectNode meta = ep.putObject("metadata").put("name", name).put("namespace", ns);
            if (!labels.isEmpty()) meta.set("labels", labels);
            ep.set("subsets", subsets);
            KubeClient.Response created = client.post("/api/v1/namespaces/" + ns + "/endpoints", ep);
            if (created.code() != 201 && created.code() != 200) throw failure("create " + path, created);
        }
        log.debug("endpoints {}: {} subsets", key, subsets.size());
    }

    private static RuntimeException failure(String what, KubeClient.Response r) {
        if (r.code() == 409) return new WorkQueue.Conflict(what + ": conflict");
        return new IllegalStateException(what + ": " + r.code() + " " + r.text());
    }

    private static ObjectNode labels(ObjectNode svc) {
        ObjectNode labels = Json.object();
        JsonNode l = svc.path("metadata").path("labels");
        if (l.isObject()) labels.setAll((ObjectNode) l.deepCopy());
        if ("None".equals(svc.path("spec").path("clusterIP").asText())) labels.put("service.kubernetes.io/headless", "");
        return labels;
    }

    /** The subsets for {@code svc} over the pods its selector matches, in a canonical order. */
    static ArrayNode subsets(ObjectNode svc, List<ObjectNode> pods) {
        boolean publishNotReady = svc.path("spec").path("publishNotReadyAddresses").asBoolean(false);
        JsonNode servicePorts = svc.path("spec").path("ports");
        // ports (canonical JSON) → ready and not-ready addresses by IP
        Map<String, Subset> byPorts = new TreeMap<>();
        for (ObjectNode pod : pods) {
            String ip = pod.path("status").path("podIP").asText("");
            if (ip.isEmpty() || Meta.deleting(pod)) continue;
            String phase = pod.path("status").path("phase").asText("");
            if (phase.equals("Succeeded") || phase.equals("Failed")) continue;
            ArrayNode ports = Json.MAPPER.createArrayNode();
            List<ObjectNode> resolved = new ArrayList<>();
            for (JsonNode sp : servicePorts) {
                Integer number = targetPort(sp, pod);
                if (number == null) continue;
                ObjectNode p = Json.object();
                if (sp.hasNonNull("name") && !sp.get("name").asText().isEmpty()) p.put("name", sp.get("name").asText());
                p.put("port", number);
                p.put("protocol", sp.path("protocol").asText("TCP"));
                if (sp.hasNonNull("appProtocol")) p.put("appProtocol", sp.get("appProtocol").asText());
                resolved.add(p);
            }
            if (!servicePorts.isEmpty() && resolved.isEmpty()) continue; // no port of the service on this pod
            resolved.sort(Comparator.comparing((ObjectNode p) -> p.path("name").asText(""))
                    .thenComparingInt(p -> p.path("port").asInt())
                    .thenComparing(p -> p.path("protocol").asText()));
            resolved.forEach(ports::add);
            Subset s = byPorts.computeIfAbsent(Json.string(ports), k -> new Subset(ports, new TreeMap<>(), new TreeMap<>()));
            ObjectNode address = address(svc, pod, ip);
            boolean ready = publishNotReady || ready(pod);
            (ready ? s.ready : s.notReady).put(ip + "/" + Meta.uid(pod), address);
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Subset s : byPorts.values()) {
            ObjectNode subset = out.addObject();
            if (!s.ready.isEmpty()) s.ready.values().forEach(subset.putArray("addresses")::add);
            if (!s.notReady.isEmpty()) s.notReady.values().forEach(subset.putArray("notReadyAddresses")::add);
            if (!s.ports.isEmpty()) subset.set("ports", s.ports);
        }
        return out;
    }

    private record Subset(ArrayNode ports, TreeMap<String, ObjectNode> ready, TreeMap<String, ObjectNode> notReady) {}

    private static ObjectNode address(ObjectNode svc, ObjectNode pod, String ip) {
        ObjectNode a = Json.object().put("ip", ip);
        String hostname = pod.path("spec").path("hostname").asText("");
        if (!hostname.isEmpty() && pod.path("spec").path("subdomain").asText("").equals(Meta.name(svc))) a.put("hostname", hostname);
        String node = pod.path("spec").path("nodeName").asText("");
        if (!node.isEmpty()) a.put("nodeName", node);
        a.putObject("targetRef").put("kind", "Pod").put("namespace", Meta.namespace(pod)).put("name", Meta.name(pod))
                .put("uid", Meta.uid(pod));
        return a;
    }

    static boolean ready(JsonNode pod) {
        for (JsonNode c : pod.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) return c.path("status").asText().equals("True");
        }
        return false;
    }

    /** The pod's port for a service port: a number as is, a name through the pod's containers; null when none. */
    static Integer targetPort(JsonNode servicePort, JsonNode pod) {
        JsonNode target = servicePort.path("targetPort");
        if (target.isMissingNode() || target.isNull()) return servicePort.path("port").asInt();
        if (target.canConvertToInt() && target.isNumber()) return target.asInt();
        String name = target.asText();
        if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) return Integer.parseInt(name);
        String protocol = servicePort.path("protocol").asText("TCP");
        for (JsonNode c : pod.path("spec").path("containers")) {
            for (JsonNode p : c.path("ports")) {
                if (p.path("name").asText().equals(name) && p.path("protocol").asText("TCP").equals(protocol)) {
                    return p.path("containerPort").asInt();
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        registrations.forEach(Informer.Registration::close);
        queue.close();
    }
}
