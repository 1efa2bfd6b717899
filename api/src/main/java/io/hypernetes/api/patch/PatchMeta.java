package io.hypernetes.api.patch;

import java.util.Set;

/**
 * What a strategic merge patch needs to know about one position in an object: Kubernetes'
 * {@code patchStrategy} and {@code patchMergeKey} struct tags (in OpenAPI:
 * {@code x-kubernetes-patch-strategy} and {@code x-kubernetes-patch-merge-key}).
 *
 * <p>A {@code PatchMeta} describes an object type; {@link #field} descends to the type of a field
 * (for a list field: the type of its items). Unknown positions return {@link #NONE}: maps merge
 * key by key and lists are replaced whole, as for JSON merge patch.
 */
public interface PatchMeta {
    /** The meta of a field of this object, or of the items when the field is a list; never null. */
    PatchMeta field(String name);

    /** Strategies declared on the field that led here: any of "merge", "replace", "retainKeys". */
    Set<String> strategies();

    /** The merge key of the list field that led here, or null. */
    String mergeKey();

    PatchMeta NONE = new PatchMeta() {
        @Override
        public PatchMeta field(String name) {
            return NONE;
        }

        @Override
        public Set<String> strategies() {
            return Set.of();
        }

        @Override
        public String mergeKey() {
            return null;
        }
    };
}
