package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.List;
import java.util.TreeSet;

/**
 * The discovery documents kubectl reads to map kinds to URLs: {@code /api}, {@code /api/v1}, {@code /apis} and
 * {@code /version}. Hypernetes serves only the core group (Network lives there too), so {@code /apis} lists no
 * groups; aggregated discovery is not served, and clients fall back to these documents.
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
        o.putArray("groups");
        return o;
    }

    static ObjectNode coreResources() {
        ObjectNode o = Json.object().put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", "v1");
        ArrayNode resources = o.putArray("resources");
        for (ResourceType t : ResourceTypes.ALL) {
            ObjectNode r = resources.addObject().put("name", t.plural()).put("singularName", t.singular())
                    .put("namespaced", t.namespaced()).put("kind", t.kind());
            strings(r.putArray("verbs"), ResourceType.VERBS);
            if (!t.shortNames().isEmpty()) strings(r.putArray("shortNames"), t.shortNames());
            if (!t.categories().isEmpty()) strings(r.putArray("categories"), t.categories());
            for (String sub : new TreeSet<>(t.subresources())) {
                ObjectNode s = resources.addObject().put("name", t.plural() + "/" + sub).put("singularName", "")
                        .put("namespaced", t.namespaced());
                switch (sub) {
                    case "binding" -> strings(s.put("kind", "Binding").putArray("verbs"), List.of("create"));
                    case "finalize" -> strings(s.put("kind", t.kind()).putArray("verbs"), List.of("update"));
                    default -> strings(s.put("kind", t.kind()).putArray("verbs"), List.of("get", "patch", "update"));
                }
            }
        }
        return o;
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
