package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.List;
import java.util.TreeSet;

/**
 * The discovery documents kubectl reads to map kinds to URLs: {@code /api}, {@code /api/v1}, {@code /apis} (the
 * named groups: apps, coordination.k8s.io), {@code /apis/{group}}, {@code /apis/{group}/{version}} and
 * {@code /version}. Aggregated discovery is not served, and clients fall back to these documents.
 */
final class Discovery {
    /** The Kubernetes API level Hypernetes implements; kubectl's version dispatcher picks its client from it. */
    static final String KUBERNETES_MAJOR = "1";
    static final String KUBERNETES_MINOR = "33";
    static final String VERSION = "v1.33.0-hypernetes.0.1.0";

    private Discovery() {}

    static ObjectNode apiVersions(String serverAddress) {
        ObjectNode o = Json.object().put("kind", "APIVersions");
        o.putArray("versions").add("v1");
        o.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0").put("serverAddress", serverAddress);
        return o;
    }

    static ObjectNode apiGroupList() {
        ObjectNode o = Json.object().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = o.putArray("groups");
        for (String g : ResourceTypes.GROUPS) groups.add(groupBody(g));
        return o;
    }

    /** {@code /apis/{group}}: the group's versions; empty when the group is not served. */
    static java.util.Optional<ObjectNode> apiGroup(String group) {
        if (!ResourceTypes.GROUPS.contains(group)) return java.util.Optional.empty();
        return java.util.Optional.of(groupBody(group).put("kind", "APIGroup").put("apiVersion", "v1"));
    }

    private static ObjectNode groupBody(String group) {
        ObjectNode g = Json.object().put("name", group);
        ArrayNode versions = g.putArray("versions");
        // every served group has one version, v1, which is also the preferred one
        ObjectNode v1 = Json.object().put("groupVersion", group + "/v1").put("version", "v1");
        versions.add(v1);
        g.set("preferredVersion", v1.deepCopy());
        return g;
    }

    static ObjectNode coreResources() {
        return resources("", "v1").orElseThrow();
    }

    /** {@code /api/v1} or {@code /apis/{group}/{version}}: the resources of a group version; empty when not served. */
    static java.util.Optional<ObjectNode> resources(String group, String version) {
        List<ResourceType> types = ResourceTypes.of(group, version);
        if (types.isEmpty()) return java.util.Optional.empty();
        String groupVersion = group.isEmpty() ? version : group + "/" + version;
        ObjectNode o = Json.object().put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", groupVersion);
        ArrayNode resources = o.putArray("resources");
        for (ResourceType t : types) {
            ObjectNode r = resources.addObject().put("name", t.plural()).put("singularName", t.singular())
                    .put("namespaced", t.namespaced()).put("kind", t.kind());
            strings(r.putArray("verbs"), ResourceType.VERBS);
            if (!t.shortNames().isEmpty()) strings(r.putArray("shortNames"), t.shortNames());
            if (!t.categories().isEmpty()) strings(r.putArray("categories"), t.categories());
            TreeSet<String> subresources = new TreeSet<>(t.subresources());
            if (t == ResourceTypes.PODS) subresources.addAll(NodeProxy.SUBRESOURCES);
            for (String sub : subresources) {
                ObjectNode s = resources.addObject().put("name", t.plural() + "/" + sub).put("singularName", "")
                        .put("namespaced", t.namespaced());
                switch (sub) {
                    // served by the pod's node agent through the API server (NodeProxy), as Kubernetes lists them
                    case "attach" -> strings(s.put("kind", "PodAttachOptions").putArray("verbs"), List.of("create", "get"));
                    case "exec" -> strings(s.put("kind", "PodExecOptions").putArray("verbs"), List.of("create", "get"));
                    case "log" -> strings(s.put("kind", "Pod").putArray("verbs"), List.of("get"));
                    case "binding" -> strings(s.put("kind", "Binding").putArray("verbs"), List.of("create"));
                    case "finalize" -> strings(s.put("kind", t.kind()).putArray("verbs"), List.of("update"));
                    // the scale of any kind is an autoscaling/v1 Scale, as discovery says with group and version
                    case "scale" -> strings(s.put("group", "autoscaling").put("version", "v1").put("kind", "Scale")
                            .putArray("verbs"), List.of("get", "patch", "update"));
                    default -> strings(s.put("kind", t.kind()).putArray("verbs"), List.of("get", "patch", "update"));
                }
            }
        }
        return java.util.Optional.of(o);
    }

    static ObjectNode version() {
        return Json.object().put("major", KUBERNETES_MAJOR).put("minor", KUBERNETES_MINOR).put("gitVersion", VERSION)
                .put("gitCommit", "").put("gitTreeState", "clean").put("buildDate", "1970-01-01T00:00:00Z")
                .put("goVersion", "java" + Runtime.version().feature()).put("compiler", "javac")
                .put("platform", System.getProperty("os.name").toLowerCase() + "/" + arch());
    }

    private static String arch() {
        String a = System.getProperty("os.arch");
        return a.equals("x86_64") || a.equals("amd64") ? "amd64" : a;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }
}
