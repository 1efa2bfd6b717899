package io.hypernetes.apiserver.rest;

import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.apiserver.ApiException;
import java.util.List;
import java.util.Optional;

/**
 * What a {@code /api/v1/...} or {@code /apis/{group}/{version}/...} path names: a resource type, maybe a namespace,
 * maybe one object and a subresource.
 *
 * @param namespace null for cluster-scoped resources and for lists across all namespaces
 * @param name null for collections
 * @param subresource null for the object itself
 * @param legacyWatch the path began with {@code /api/v1/watch/} (or {@code /apis/{group}/{version}/watch/})
 */
record Target(ResourceType type, String namespace, String name, String subresource, boolean legacyWatch) {

    boolean collection() {
        return name == null;
    }

    /** Parses the segments after {@code /api/v1/}; empty when no resource matches. */
    static Optional<Target> parse(List<String> segments) {
        return parse("", "v1", segments);
    }

    /**
     * Parses the segments after the group version's root ({@code /api/v1/}, or {@code /apis/{group}/{version}/} for
     * a named group); empty when no resource of that group version matches.
     */
    static Optional<Target> parse(String group, String version, List<String> segments) {
        boolean watch = !segments.isEmpty() && segments.getFirst().equals("watch");
        List<String> s = watch ? segments.subList(1, segments.size()) : segments;
        if (s.isEmpty()) return Optional.empty();
        for (String seg : s) {
            if (seg.isEmpty()) return Optional.empty();
        }
        // namespaces/{ns}/{resource}[/{name}[/{sub}]] unless {resource} is a namespace subresource
        if (s.size() >= 3 && s.getFirst().equals("namespaces") && !(group.isEmpty() && ResourceTypes.NAMESPACES.subresources().contains(s.get(2)))) {
            ResourceType type = type(group, version, s.get(2));
            if (type == null || !type.namespaced()) return Optional.empty();
            if (s.size() > 5) return Optional.empty();
            return Optional.of(new Target(type, s.get(1), s.size() > 3 ? s.get(3) : null, s.size() > 4 ? s.get(4) : null, watch))
                    .filter(Target::subresourceKnown);
        }
        ResourceType type = type(group, version, s.getFirst());
        if (type == null || s.size() > 3) return Optional.empty();
        if (type.namespaced() && s.size() > 1) return Optional.empty();
        return Optional.of(new Target(type, null, s.size() > 1 ? s.get(1) : null, s.size() > 2 ? s.get(2) : null, watch))
                .filter(Target::subresourceKnown);
    }

    private boolean subresourceKnown() {
        return subresource == null || type.subresources().contains(subresource);
    }

    private static ResourceType type(String group, String version, String plural) {
        return ResourceTypes.byPlural(group, version, plural).orElse(null);
    }

    /** A namespace name in the path must at least look like one, so no key can escape its prefix. */
    void checkNames() {
        for (String n : new String[] {namespace, name}) {
            if (n != null && (n.contains("/") || n.equals(".") || n.equals("..") || n.contains("\0") || n.length() > 253)) {
                throw ApiException.badRequest("invalid name in the request path: " + n);
            }
        }
    }
}
