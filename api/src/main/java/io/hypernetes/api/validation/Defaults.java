package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.quantity.Quantity;
import io.hypernetes.api.quantity.QuantityFormatException;
import io.hypernetes.api.resource.ResourceType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fills the fields Kubernetes' defaulters fill, in place. Every step only writes a field that is absent,
 * so applying twice changes nothing the second time.
 *
 * <p>{@link #apply} runs on every write (create, update, patch) before validation. {@link #applyOnCreate}
 * holds what Kubernetes' registry does only when an object is first stored (initial status, a namespace's
 * finalizer); the API server calls it on create, after {@link #apply}.
 */
public final class Defaults {
    public static final String TERMINATION_MESSAGE_PATH = "/dev/termination-log";
    public static final String DEFAULT_SCHEDULER = "default-scheduler";
    /** 0644: what Kubernetes gives projected files when the pod does not say. */
    public static final int DEFAULT_FILE_MODE = 0644;
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
    /** The subnet a Network gets when it names none. */
    public static final String DEFAULT_SUBNET = "default";
    public static final String DEFAULT_SUBNET_CIDR = "10.0.0.0/24";

    private Defaults() {}

    public static void apply(ResourceType type, ObjectNode obj) {
        if (type.group().equals("apps")) {
            switch (type.kind()) {
                case "Deployment" -> deployment(obj);
                case "ReplicaSet" -> replicaSet(obj);
                default -> {}
            }
            return;
        }
        // coordination.k8s.io/v1 Leases have no defaulted fields
        if (!type.group().isEmpty()) return;
        switch (type.kind()) {
            case "Pod" -> pod(obj);
            case "Service" -> service(obj);
            case "Namespace" -> namespace(obj);
            case "Secret" -> secret(obj);
            case "Node" -> node(obj);
            case "Endpoints" -> endpoints(obj);
            case "Network" -> network(obj);
            // core/v1 Events and ConfigMaps have no defaulted fields.
            default -> {}
        }
    }

    /** Initial state on create: Pod phase Pending and QoS class, Namespace finalizer and phase, Network phase. */
    public static void applyOnCreate(ResourceType type, ObjectNode obj) {
        if (!type.group().isEmpty()) return;
        switch (type.kind()) {
            case "Pod" -> {
                ObjectNode status = Tree.object(obj, "status");
                if (Tree.text(status, "phase").isEmpty()) status.put("phase", "Pending");
                status.put("qosClass", qosClass(Tree.node(obj, "spec")));
            }
            case "Namespace" -> {
                // The namespace controller removes this finalizer once the namespace's contents are gone.
                ObjectNode spec = Tree.object(obj, "spec");
                ArrayNode finalizers = spec.putArray("finalizers");
                finalizers.add("kubernetes");
                Tree.object(obj, "status").put("phase", "Active");
            }
            case "Network" -> Tree.object(obj, "status").put("phase", "Initializing");
            default -> {}
        }
    }

    // ---- Pod ----------------------------------------------------------------------------------------------

    private static void pod(ObjectNode pod) {
        ObjectNode spec = Tree.object(pod, "spec");
        if (!spec.hasNonNull("enableServiceLinks")) spec.put("enableServiceLinks", true);
        podSpec(spec, true);
    }

    /**
     * Kubernetes' SetDefaults_PodSpec and the defaults of what a pod spec holds; {@code pod} adds what only a Pod
     * gets (SetDefaults_Pod: requests from limits), not a pod template.
     */
    private static void podSpec(ObjectNode spec, boolean pod) {
        putIfAbsent(spec, "restartPolicy", "Always");
        putIfAbsent(spec, "dnsPolicy", "ClusterFirst");
        if (!spec.hasNonNull("terminationGracePeriodSeconds")) spec.put("terminationGracePeriodSeconds", 30);
        putIfAbsent(spec, "schedulerName", DEFAULT_SCHEDULER);
        if (!spec.hasNonNull("securityContext")) spec.putObject("securityContext");
        boolean hostNetwork = Tree.isTrue(spec, "hostNetwork");
        for (String kind : List.of("initContainers", "containers")) {
            for (JsonNode c : Tree.items(spec, kind)) {
                if (c instanceof ObjectNode container) container(container, hostNetwork, pod);
            }
        }
        for (JsonNode v : Tree.items(spec, "volumes")) {
            if (v instanceof ObjectNode volume) volume(volume);
        }
    }

    private static void container(ObjectNode c, boolean hostNetwork, boolean pod) {
        putIfAbsent(c, "terminationMessagePath", TERMINATION_MESSAGE_PATH);
        putIfAbsent(c, "terminationMessagePolicy", "File");
        putIfAbsent(c, "imagePullPolicy", pullPolicy(Tree.text(c, "image")));
        for (JsonNode p : Tree.items(c, "ports")) {
            if (!(p instanceof ObjectNode port)) continue;
            putIfAbsent(port, "protocol", "TCP");
            // With the host's network the container port is the host port; Kubernetes records it so.
            if (hostNetwork && !port.hasNonNull("hostPort") && port.has("containerPort")) port.set("hostPort", port.get("containerPort"));
        }
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            if (c.get(probe) instanceof ObjectNode p) probe(p);
        }
        for (JsonNode e : Tree.items(c, "env")) {
            if (Tree.node(Tree.node(e, "valueFrom"), "fieldRef") instanceof ObjectNode ref) putIfAbsent(ref, "apiVersion", "v1");
        }
        // A limit without a request means "exactly this much": Kubernetes copies limits into requests.
        if (pod && c.get("resources") instanceof ObjectNode res && res.get("limits") instanceof ObjectNode limits && !limits.isEmpty()) {
            ObjectNode requests = Tree.object(res, "requests");
            for (var e : limits.properties()) {
                if (!requests.has(e.getKey())) requests.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    // ---- apps/v1 ------------------------------------------------------------------------------------------

    /** The maxSurge and maxUnavailable of a rolling update when not given. */
    public static final String DEFAULT_ROLLING_LIMIT = "25%";

    /**
     * Kubernetes' apps/v1 SetDefaults_Deployment: one replica, a RollingUpdate of 25% surge and 25% unavailable,
     * ten old ReplicaSets kept, a progress deadline of 600 seconds, and the pod template's defaults.
     */
    private static void deployment(ObjectNode d) {
        ObjectNode spec = Tree.object(d, "spec");
        if (!spec.hasNonNull("replicas")) spec.put("replicas", 1);
        ObjectNode strategy = Tree.object(spec, "strategy");
        putIfAbsent(strategy, "type", "RollingUpdate");
        if (Tree.text(strategy, "type").equals("RollingUpdate")) {
            ObjectNode rolling = Tree.object(strategy, "rollingUpdate");
            if (!rolling.hasNonNull("maxUnavailable")) rolling.put("maxUnavailable", DEFAULT_ROLLING_LIMIT);
            if (!rolling.hasNonNull("maxSurge")) rolling.put("maxSurge", DEFAULT_ROLLING_LIMIT);
        }
        if (!spec.hasNonNull("revisionHistoryLimit")) spec.put("revisionHistoryLimit", 10);
        if (!spec.hasNonNull("progressDeadlineSeconds")) spec.put("progressDeadlineSeconds", 600);
        template(spec);
    }

    /** Kubernetes' apps/v1 SetDefaults_ReplicaSet: one replica, and the pod template's defaults. */
    private static void replicaSet(ObjectNode rs) {
        ObjectNode spec = Tree.object(rs, "spec");
        if (!spec.hasNonNull("replicas")) spec.put("replicas", 1);
        template(spec);
    }

    private static void template(ObjectNode workloadSpec) {
        if (workloadSpec.get("template") instanceof ObjectNode template) podSpec(Tree.object(template, "spec"), false);
    }

    /** Always for :latest or no tag (the image may move), IfNotPresent for fixed tags and digests. */
    static String pullPolicy(String image) {
        if (image.contains("@")) return "IfNotPresent";
        String last = image.substring(image.lastIndexOf('/') + 1);
        int colon = last.lastIndexOf(':');
        if (colon < 0) return "Always";
        return last.substring(colon + 1).equals("latest") ? "Always" : "IfNotPresent";
    }

    private static void probe(ObjectNode p) {
        if (!p.hasNonNull("timeoutSeconds")) p.put("timeoutSeconds", 1);
        if (!p.hasNonNull("periodSeconds")) p.put("periodSeconds", 10);
        if (!p.hasNonNull("successThreshold")) p.put("successThreshold", 1);
        if (!p.hasNonNull("failureThreshold")) p.put("failureThreshold", 3);
        if (p.get("httpGet") instanceof ObjectNode http) {
            putIfAbsent(http, "path", "/");
            putIfAbsent(http, "scheme", "HTTP");
        }
    }

    private static void volume(ObjectNode v) {
        for (String s : List.of("secret", "configMap", "downwardAPI", "projected")) {
            if (v.get(s) instanceof ObjectNode src && !src.hasNonNull("defaultMode")) src.put("defaultMode", DEFAULT_FILE_MODE);
        }
        if (v.get("hostPath") instanceof ObjectNode hp) putIfAbsent(hp, "type", "");
        if (v.get("downwardAPI") instanceof ObjectNode d) fieldRefs(d);
        if (v.get("projected") instanceof ObjectNode proj) {
            for (JsonNode src : Tree.items(proj, "sources")) {
                if (src.get("downwardAPI") instanceof ObjectNode d) fieldRefs(d);
                if (src.get("serviceAccountToken") instanceof ObjectNode t && !t.hasNonNull("expirationSeconds")) {
                    t.put("expirationSeconds", 3600);
                }
            }
        }
    }

    private static void fieldRefs(ObjectNode downward) {
        for (JsonNode item : Tree.items(downward, "items")) {
            if (item.get("fieldRef") instanceof ObjectNode ref) putIfAbsent(ref, "apiVersion", "v1");
        }
    }

    /**
     * Kubernetes' QoS class from CPU and memory: Guaranteed when every container's requests equal its limits
     * for both, BestEffort when no container asks for either, Burstable otherwise.
     */
    public static String qosClass(JsonNode podSpec) {
        Map<String, Quantity> requests = new HashMap<>();
        Map<String, Quantity> limits = new HashMap<>();
        boolean guaranteed = true;
        for (String kind : List.of("initContainers", "containers")) {
            for (JsonNode c : Tree.items(podSpec, kind)) {
                JsonNode res = Tree.node(c, "resources");
                sum(Tree.node(res, "requests"), requests);
                Map<String, Quantity> own = new HashMap<>();
                sum(Tree.node(res, "limits"), own);
                if (!own.containsKey("cpu") || !own.containsKey("memory")) guaranteed = false;
                own.forEach((k, q) -> limits.merge(k, q, Quantity::add));
            }
        }
        if (requests.isEmpty() && limits.isEmpty()) return "BestEffort";
        if (guaranteed && requests.equals(limits)) return "Guaranteed";
        return "Burstable";
    }

    private static void sum(JsonNode list, Map<String, Quantity> into) {
        for (String name : List.of("cpu", "memory")) {
            JsonNode v = Tree.node(list, name);
            if (v == null) continue;
            try {
                Quantity q = Quantity.fromJson(v);
                if (!q.isZero()) into.merge(name, q, Quantity::add);
            } catch (QuantityFormatException e) {
                // Validation reports it; QoS just ignores what it cannot read.
            }
        }
    }

    // ---- Service ------------------------------------------------------------------------------------------

    private static void service(ObjectNode svc) {
        ObjectNode spec = Tree.object(svc, "spec");
        putIfAbsent(spec, "type", "ClusterIP");
        String type = Tree.text(spec, "type");
        putIfAbsent(spec, "sessionAffinity", "None");
        if (Tree.text(spec, "sessionAffinity").equals("ClientIP")) {
            ObjectNode clientIP = Tree.object(Tree.object(spec, "sessionAffinityConfig"), "clientIP");
            if (!clientIP.hasNonNull("timeoutSeconds")) clientIP.put("timeoutSeconds", 10800);
        }
        for (JsonNode p : Tree.items(spec, "ports")) {
            if (!(p instanceof ObjectNode port)) continue;
            putIfAbsent(port, "protocol", "TCP");
            JsonNode target = port.get("targetPort");
            boolean unset = target == null || target.isNull() || (target.isNumber() && target.asLong() == 0)
                    || (target.isTextual() && target.asText().isEmpty());
            if (unset && port.has("port")) port.set("targetPort", port.get("port"));
        }
        if (type.equals("ExternalName")) return;
        putIfAbsent(spec, "internalTrafficPolicy", "Cluster");
        if ((type.equals("NodePort") || type.equals("LoadBalancer"))) putIfAbsent(spec, "externalTrafficPolicy", "Cluster");
        if (type.equals("LoadBalancer") && !spec.hasNonNull("allocateLoadBalancerNodePorts")) {
            spec.put("allocateLoadBalancerNodePorts", true);
        }
        String clusterIP = Tree.text(spec, "clusterIP");
        if (!clusterIP.isEmpty() && !spec.hasNonNull("clusterIPs")) spec.putArray("clusterIPs").add(clusterIP);
        putIfAbsent(spec, "ipFamilyPolicy", "SingleStack");
        if (!spec.hasNonNull("ipFamilies")) {
            boolean v6 = Addresses.ip(clusterIP).map(ip -> !ip.isV4()).orElse(false);
            spec.putArray("ipFamilies").add(v6 ? "IPv6" : "IPv4");
        }
    }

    // ---- the rest -----------------------------------------------------------------------------------------

    /**
     * The seed's Network names only its tenant: it gets one subnet, {@value #DEFAULT_SUBNET_CIDR}, which every tenant
     * may have at once because Networks are isolated from each other. A subnet without a gateway gets its first
     * address. A Network on a provider network ({@code spec.providerNetworkID}) brings its own subnets.
     */
    private static void network(ObjectNode net) {
        ObjectNode spec = Tree.object(net, "spec");
        if (Tree.entries(spec, "subnets").isEmpty() && !Tree.has(spec, "providerNetworkID")) {
            Tree.object(Tree.object(spec, "subnets"), DEFAULT_SUBNET).put("cidr", DEFAULT_SUBNET_CIDR);
        }
        for (var e : Tree.entries(spec, "subnets")) {
            if (!(e.getValue() instanceof ObjectNode subnet) || subnet.hasNonNull("gateway")) continue;
            Addresses.cidr(Tree.text(subnet, "cidr"))
                    .filter(c -> c.hostBitsZero() && c.prefix() < c.address().bits() - 1)
                    .ifPresent(c -> subnet.put("gateway", new Addresses.Ip(c.network().value().add(java.math.BigInteger.ONE), c.address().bits()).toString()));
        }
    }

    private static void namespace(ObjectNode ns) {
        String name = Tree.text(Tree.node(ns, "metadata"), "name");
        // Lets namespace selectors pick a namespace by name, as Kubernetes guarantees since 1.21.
        if (!name.isEmpty()) Tree.object(Tree.object(ns, "metadata"), "labels").put(NAMESPACE_NAME_LABEL, name);
    }

    /** stringData is write-only convenience: fold it into data, as Kubernetes' conversion does. */
    private static void secret(ObjectNode secret) {
        putIfAbsent(secret, "type", "Opaque");
        if (secret.get("stringData") instanceof ObjectNode stringData) {
            ObjectNode data = Tree.object(secret, "data");
            for (var e : stringData.properties()) {
                data.put(e.getKey(), Base64.getEncoder().encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
            }
            secret.remove("stringData");
        }
    }

    private static void node(ObjectNode node) {
        // A node that reports only capacity offers all of it.
        if (node.get("status") instanceof ObjectNode status && status.get("capacity") instanceof ObjectNode capacity
                && !status.hasNonNull("allocatable")) {
            status.set("allocatable", capacity.deepCopy());
        }
    }

    private static void endpoints(ObjectNode ep) {
        for (JsonNode ss : Tree.items(ep, "subsets")) {
            for (JsonNode p : Tree.items(ss, "ports")) {
                if (p instanceof ObjectNode port) putIfAbsent(port, "protocol", "TCP");
            }
        }
    }

    private static void putIfAbsent(ObjectNode obj, String field, String value) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty() && !value.isEmpty())) obj.put(field, value);
    }
}
