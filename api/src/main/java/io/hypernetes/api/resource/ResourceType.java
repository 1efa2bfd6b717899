package io.hypernetes.api.resource;

import java.util.List;
import java.util.Set;

/**
 * One kind of object the API serves, as discovery describes it.
 *
 * @param group API group ("" for the core group)
 * @param version API version, e.g. "v1"
 * @param kind e.g. "Pod"
 * @param plural the resource name in URLs, e.g. "pods"
 * @param namespaced whether objects live in a namespace
 * @param shortNames e.g. "po"
 * @param categories e.g. "all"
 * @param subresources e.g. "status", "binding"
 * @param schema the name of the object's definition in the schema (and in OpenAPI)
 * @param fieldSelectors field paths usable in {@code fieldSelector} besides metadata.name and metadata.namespace
 */
public record ResourceType(
        String group,
        String version,
        String kind,
        String plural,
        boolean namespaced,
        List<String> shortNames,
        List<String> categories,
        Set<String> subresources,
        String schema,
        Set<String> fieldSelectors) {

    public static final List<String> VERBS =
            List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    public String singular() {
        return kind.toLowerCase(java.util.Locale.ROOT);
    }

    /** The kind of the list object, e.g. "PodList". */
    public String listKind() {
        return kind + "List";
    }
}
