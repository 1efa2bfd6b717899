package io.hypernetes.api.schema;

/** A kind in an API group version, as {@code x-kubernetes-group-version-kind} names it. */
public record GroupVersionKind(String group, String version, String kind) {

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }
}
