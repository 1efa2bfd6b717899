package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.resource.ResourceType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Server-side printing: the {@code meta.k8s.io/v1 Table} that {@code kubectl get} asks for, with the columns
 * kubectl users know for each kind (priority 1 columns appear with {@code -o wide}).
 */
final class Tables {
    private Tables() {}

    private record Column(String name, String type, String format, int priority, String description,
            Function<JsonNode, Object> cell) {}

    private static Column col(String name, String description, Function<JsonNode, Object> cell) {
        return new Column(name, "string", "", 0, description, cell);
    }

    private static Column wide(String name, String description, Function<JsonNode, Object> cell) {
        return new Column(name, "string", "", 1, description, cell);
    }

    private static final Column NAME = new Column("Name", "string", "name", 0,
            "Name must be unique within a namespace.", Meta::name);

    /** Clock for ages; a field so tests can see stable output if they need to. */
    static java.time.Clock clock = java.time.Clock.systemUTC();

    private static final Column AGE = col("Age", "Time since the object was created.",
            o -> age(Meta.text(o, "creationTimestamp")));

    private static Column integer(String name, String description, Function<JsonNode, Object> cell) {
        return new Column(name, "integer", "", 0, description, cell);
    }

    /** The wide columns of workloads: their template's containers and images, and their selector. */
    private static final List<Column> WORKLOAD_WIDE = List.of(
            wide("Containers", "Names of each container in the template.", o -> containerCells(o, "name")),
            wide("Images", "Images referenced by each container in the template.", o -> containerCells(o, "image")),
            wide("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
                    o -> selectorString(o.path("spec").path("selector"))));

    private static List<Column> concat(List<Column> a, List<Column> b) {
        List<Column> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    private static final Map<String, List<Column>> COLUMNS = Map.ofEntries(
            Map.entry("Deployment", concat(List.of(NAME,
                    col("Ready", "Number of the pod with ready state.", o -> o.path("status").path("readyReplicas").asLong()
                            + "/" + o.path("spec").path("replicas").asLong(1)),
                    integer("Up-to-date", "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
                            o -> o.path("status").path("updatedReplicas").asLong()),
                    integer("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                            o -> o.path("status").path("availableReplicas").asLong()),
                    AGE), WORKLOAD_WIDE)),
            Map.entry("ReplicaSet", concat(List.of(NAME,
                    integer("Desired", "Number of desired pods.", o -> o.path("spec").path("replicas").asLong(1)),
                    integer("Current", "Number of actual replicas.", o -> o.path("status").path("replicas").asLong()),
                    integer("Ready", "Number of ready replicas.", o -> o.path("status").path("readyReplicas").asLong()),
                    AGE), WORKLOAD_WIDE)),
            Map.entry("Lease", List.of(NAME,
                    col("Holder", "The holder of the lease.", o -> o.path("spec").path("holderIdentity").asText("")), AGE)),
            Map.entry("Pod", List.of(NAME,
                    col("Ready", "Ready containers out of all containers.", Tables::podReady),
                    col("Status", "The pod's status, as kubectl summarises it.", Tables::podStatus),
                    new Column("Restarts", "string", "", 0, "Container restarts.", Tables::podRestarts),
                    AGE,
                    wide("IP", "The pod's IP address.", o -> orNone(o.path("status").path("podIP").asText())),
                    wide("Node", "The node running the pod.", o -> orNone(o.path("spec").path("nodeName").asText())),
                    wide("Nominated Node", "The node the scheduler nominated for preemption.",
                            o -> orNone(o.path("status").path("nominatedNodeName").asText())),
                    wide("Readiness Gates", "Satisfied readiness gates out of all.", Tables::readinessGates))),
            Map.entry("Namespace", List.of(NAME, col("Status", "The namespace's phase.", o -> o.path("status").path("phase").asText()), AGE)),
            Map.entry("Service", List.of(NAME,
                    col("Type", "How the service is exposed.", o -> o.path("spec").path("type").asText("ClusterIP")),
                    col("Cluster-IP", "The service's cluster IP.", o -> orNone(o.path("spec").path("clusterIP").asText())),
                    col("External-IP", "External addresses of the service.", Tables::externalIps),
                    col("Port(s)", "The service's ports.", Tables::servicePorts),
                    AGE,
                    wide("Selector", "The labels of the pods behind the service.", o -> orNone(labels(o.path("spec").path("selector")))))),
            Map.entry("Endpoints", List.of(NAME, col("Endpoints", "Ready addresses and ports.", Tables::endpoints), AGE)),
            Map.entry("Node", List.of(NAME,
                    col("Status", "Whether the node is ready.", Tables::nodeStatus),
                    col("Roles", "Roles from node-role.kubernetes.io labels.", Tables::nodeRoles),
                    AGE,
                    col("Version", "The node agent's version.", o -> o.path("status").path("nodeInfo").path("kubeletVersion").asText()),
                    wide("Internal-IP", "The node's internal address.", o -> nodeAddress(o, "InternalIP")),
                    wide("External-IP", "The node's external address.", o -> nodeAddress(o, "ExternalIP")),
                    wide("OS-Image", "The node's operating system.", o -> orUnknown(o.path("status").path("nodeInfo").path("osImage").asText())),
                    wide("Kernel-Version", "The node's kernel.", o -> orUnknown(o.path("status").path("nodeInfo").path("kernelVersion").asText())),
                    wide("Container-Runtime", "The node's runtime.", o -> orUnknown(o.path("status").path("nodeInfo").path("containerRuntimeVersion").asText())))),
            Map.entry("Event", List.of(
                    col("Last Seen", "Time since the event last happened.", Tables::eventLastSeen),
                    col("Type", "Normal or Warning.", o -> o.path("type").asText()),
                    col("Reason", "Why the event happened, in one word.", o -> o.path("reason").asText()),
                    col("Object", "The object the event is about.", o -> o.path("involvedObject").path("kind").asText().toLowerCase()
                            + "/" + o.path("involvedObject").path("name").asText()),
                    col("Message", "What happened.", o -> o.path("message").asText().strip()),
                    wide("Subobject", "The part of the object, e.g. a container.", o -> o.path("involvedObject").path("fieldPath").asText()),
                    wide("Source", "The component that reported it.", Tables::eventSource),
                    wide("First Seen", "Time since the event first happened.", o -> age(o.path("firstTimestamp").asText(Meta.text(o, "creationTimestamp")))),
                    new Column("Count", "string", "", 1, "How many times it happened.", o -> o.path("count").asLong(1)),
                    wide("Name", "The event's name.", Meta::name))),
            Map.entry("ConfigMap", List.of(NAME, new Column("Data", "string", "", 0, "Number of keys.",
                    o -> o.path("data").size() + o.path("binaryData").size()), AGE)),
            Map.entry("Secret", List.of(NAME, col("Type", "The secret's type.", o -> o.path("type").asText("Opaque")),
                    new Column("Data", "string", "", 0, "Number of keys.", o -> o.path("data").size() + o.path("stringData").size()), AGE)),
            Map.entry("Network", List.of(NAME,
                    col("Tenant", "The Keystone project that owns the network.", o -> o.path("spec").path("tenantID").asText()),
                    col("Phase", "The network's lifecycle phase.", o -> orNone(o.path("status").path("phase").asText())),
                    col("Subnets", "CIDRs of the network's subnets.", Tables::subnets),
                    AGE,
                    wide("Provider-Network", "The provider's network ID, when given.",
                            o -> orNone(o.path("spec").path("providerNetworkID").asText())))));

    private static List<Column> columns(ResourceType type) {
        return COLUMNS.getOrDefault(type.kind(), List.of(NAME, AGE));
    }

    /** A Table of {@code objects}; {@code includeObject} is None, Metadata (default) or Object. */
    static ObjectNode table(ResourceType type, List<ObjectNode> objects, String includeObject, boolean withColumns) {
        ObjectNode t = Json.object().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        t.putObject("metadata");
        List<Column> cols = columns(type);
        ArrayNode defs = t.putArray("columnDefinitions");
        if (withColumns) {
            for (Column c : cols) {
                defs.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
                        .put("description", c.description()).put("priority", c.priority());
            }
        }
        ArrayNode rows = t.putArray("rows");
        for (ObjectNode o : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            for (Column c : cols) cells.add(Json.MAPPER.<JsonNode>valueToTree(c.cell().apply(o)));
            switch (includeObject == null ? "Metadata" : includeObject) {
                case "None" -> { }
                case "Object" -> row.set("object", o);
                default -> row.set("object", partialMetadata(o));
            }
        }
        return t;
    }

    /** Kubernetes' string form of a {@code metav1.LabelSelector}: requirements sorted by key, comma-separated. */
    static String selectorString(JsonNode selector) {
        try {
            List<io.hypernetes.api.selector.Requirement> reqs = new ArrayList<>(
                    io.hypernetes.api.selector.LabelSelector.fromObject(selector).requirements());
            if (selector == null || selector.isMissingNode() || selector.isNull()) return "<none>";
            reqs.sort(java.util.Comparator.comparing(io.hypernetes.api.selector.Requirement::key));
            return String.join(",", reqs.stream().map(Object::toString).toList());
        } catch (io.hypernetes.api.selector.SelectorException e) {
            return "<error>";
        }
    }

    /** The template's containers' names or images, comma-separated, as kubectl lays them out. */
    private static String containerCells(JsonNode workload, String field) {
        List<String> out = new ArrayList<>();
        workload.path("spec").path("template").path("spec").path("containers").forEach(c -> out.add(c.path(field).asText()));
        return String.join(",", out);
    }

    static ObjectNode partialMetadata(ObjectNode o) {
        ObjectNode p = Json.object().put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
        p.set("metadata", o.path("metadata").deepCopy());
        return p;
    }

    // ---- cells

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? "<none>" : s;
    }

    private static String orUnknown(String s) {
        return s == null || s.isEmpty() ? "<unknown>" : s;
    }

    /** Kubernetes' short human durations: 45s, 3m20s, 95m, 5h10m, 3d4h, 400d, 3y100d. */
    static String age(String timestamp) {
        if (timestamp == null || timestamp.isEmpty()) return "<unknown>";
        Instant t;
        try {
            t = Instant.parse(timestamp);
        } catch (java.time.format.DateTimeParseException e) {
            return "<unknown>";
        }
        Duration d = Duration.between(t, clock.instant());
        if (d.isNegative()) return "<invalid>";
        return humanDuration(d);
    }

    static String humanDuration(Duration d) {
        long s = d.toSeconds();
        if (s < 120) return s + "s";
        long m = d.toMinutes();
        if (m < 10) return m + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
        if (m < 180) return m + "m";
        long h = d.toHours();
        if (h < 8) return h + "h" + (m % 60 == 0 ? "" : (m % 60) + "m");
        if (h < 48) return h + "h";
        long days = h / 24;
        if (h < 24 * 8) return days + "d" + (h % 24 == 0 ? "" : (h % 24) + "h");
        if (days < 365 * 2) return days + "d";
        long y = days / 365;
        if (days < 365 * 8) return y + "y" + (days % 365 == 0 ? "" : (days % 365) + "d");
        return y + "y";
    }

    private static String podReady(JsonNode pod) {
        int total = pod.path("spec").path("containers").size();
        int ready = 0;
        for (JsonNode cs : pod.path("status").path("containerStatuses")) if (cs.path("ready").asBoolean()) ready++;
        return ready + "/" + total;
    }

    private static String podRestarts(JsonNode pod) {
        long restarts = 0;
        for (JsonNode cs : pod.path("status").path("containerStatuses")) restarts += cs.path("restartCount").asLong();
        return Long.toString(restarts);
    }

    /** The STATUS column as kubectl computes it: the most telling container state, else the phase. */
    static String podStatus(JsonNode pod) {
        JsonNode status = pod.path("status");
        String reason = status.path("phase").asText();
        if (!status.path("reason").asText().isEmpty()) reason = status.path("reason").asText();
        boolean initializing = false;
        JsonNode inits = status.path("initContainerStatuses");
        int initTotal = pod.path("spec").path("initContainers").size();
        for (int i = 0; i < inits.size(); i++) {
            JsonNode st = inits.get(i).path("state");
            if (st.has("terminated") && st.path("terminated").path("exitCode").asInt() == 0) continue;
            initializing = true;
            if (st.has("terminated")) {
                String r = st.path("terminated").path("reason").asText();
                reason = "Init:" + (r.isEmpty() ? "ExitCode:" + st.path("terminated").path("exitCode").asInt() : r);
            } else if (st.has("waiting") && !st.path("waiting").path("reason").asText().isEmpty()
                    && !st.path("waiting").path("reason").asText().equals("PodInitializing")) {
                reason = "Init:" + st.path("waiting").path("reason").asText();
            } else {
                reason = "Init:" + i + "/" + initTotal;
            }
            break;
        }
        if (!initializing) {
            boolean running = false;
            JsonNode cs = status.path("containerStatuses");
            for (int i = cs.size() - 1; i >= 0; i--) {
                JsonNode st = cs.get(i).path("state");
                if (st.has("waiting") && !st.path("waiting").path("reason").asText().isEmpty()) {
                    reason = st.path("waiting").path("reason").asText();
                } else if (st.has("terminated")) {
                    JsonNode term = st.path("terminated");
                    if (!term.path("reason").asText().isEmpty()) reason = term.path("reason").asText();
                    else if (term.path("signal").asInt() != 0) reason = "Signal:" + term.path("signal").asInt();
                    else reason = "ExitCode:" + term.path("exitCode").asInt();
                } else if (st.has("running") && cs.get(i).path("ready").asBoolean()) {
                    running = true;
                }
            }
            if (reason.equals("Completed") && running) reason = "Running";
        }
        if (Meta.deleting(pod)) reason = status.path("reason").asText().equals("NodeLost") ? "Unknown" : "Terminating";
        return reason;
    }

    private static String readinessGates(JsonNode pod) {
        JsonNode gates = pod.path("spec").path("readinessGates");
        if (gates.isEmpty()) return "<none>";
        int ok = 0;
        for (JsonNode g : gates) {
            for (JsonNode c : pod.path("status").path("conditions")) {
                if (c.path("type").asText().equals(g.path("conditionType").asText()) && c.path("status").asText().equals("True")) ok++;
            }
        }
        return ok + "/" + gates.size();
    }

    private static String externalIps(JsonNode svc) {
        JsonNode spec = svc.path("spec");
        String type = spec.path("type").asText("ClusterIP");
        List<String> ips = new ArrayList<>();
        spec.path("externalIPs").forEach(ip -> ips.add(ip.asText()));
        switch (type) {
            case "ExternalName" -> {
                return spec.path("externalName").asText();
            }
            case "LoadBalancer" -> {
                svc.path("status").path("loadBalancer").path("ingress").forEach(i -> ips.add(i.has("ip") ? i.path("ip").asText() : i.path("hostname").asText()));
                return ips.isEmpty() ? "<pending>" : String.join(",", ips);
            }
            default -> {
                return ips.isEmpty() ? "<none>" : String.join(",", ips);
            }
        }
    }

    private static String servicePorts(JsonNode svc) {
        List<String> ports = new ArrayList<>();
        for (JsonNode p : svc.path("spec").path("ports")) {
            String s = p.path("port").asText();
            if (p.path("nodePort").asInt() != 0) s += ":" + p.path("nodePort").asInt();
            ports.add(s + "/" + p.path("protocol").asText("TCP"));
        }
        return ports.isEmpty() ? "<none>" : String.join(",", ports);
    }

    private static String labels(JsonNode map) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            var e = it.next();
            out.add(e.getKey() + "=" + e.getValue().asText());
        }
        return String.join(",", out);
    }

    private static String endpoints(JsonNode ep) {
        List<String> out = new ArrayList<>();
        int total = 0;
        for (JsonNode subset : ep.path("subsets")) {
            for (JsonNode a : subset.path("addresses")) {
                if (subset.path("ports").isEmpty()) {
                    total++;
                    if (out.size() < 3) out.add(a.path("ip").asText());
                }
                for (JsonNode p : subset.path("ports")) {
                    total++;
                    if (out.size() < 3) out.add(a.path("ip").asText() + ":" + p.path("port").asInt());
                }
            }
        }
        if (out.isEmpty()) return "<none>";
        String s = String.join(",", out);
        return total > out.size() ? s + " + " + (total - out.size()) + " more..." : s;
    }

    private static String nodeStatus(JsonNode node) {
        String s = "Unknown";
        for (JsonNode c : node.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) s = c.path("status").asText().equals("True") ? "Ready" : "NotReady";
        }
        if (node.path("spec").path("unschedulable").asBoolean()) s += ",SchedulingDisabled";
        return s;
    }

    private static String nodeRoles(JsonNode node) {
        List<String> roles = new ArrayList<>();
        node.path("metadata").path("labels").fieldNames().forEachRemaining(k -> {
            if (k.startsWith("node-role.kubernetes.io/")) roles.add(k.substring("node-role.kubernetes.io/".length()));
        });
        return roles.isEmpty() ? "<none>" : String.join(",", roles);
    }

    private static String nodeAddress(JsonNode node, String type) {
        for (JsonNode a : node.path("status").path("addresses")) {
            if (a.path("type").asText().equals(type)) return a.path("address").asText();
        }
        return "<none>";
    }

    private static String eventLastSeen(JsonNode ev) {
        String t = ev.path("lastTimestamp").asText("");
        if (t.isEmpty()) t = ev.path("eventTime").asText("");
        if (t.isEmpty()) t = Meta.text(ev, "creationTimestamp");
        return age(t.length() > 20 ? t.substring(0, 19) + "Z" : t);
    }

    private static String eventSource(JsonNode ev) {
        String c = ev.path("source").path("component").asText(ev.path("reportingComponent").asText());
        String h = ev.path("source").path("host").asText();
        return h.isEmpty() ? c : c + ", " + h;
    }

    private static String subnets(JsonNode net) {
        List<String> cidrs = new ArrayList<>();
        net.path("spec").path("subnets").forEach(s -> cidrs.add(s.path("cidr").asText()));
        return cidrs.isEmpty() ? "<none>" : String.join(",", cidrs);
    }
}
