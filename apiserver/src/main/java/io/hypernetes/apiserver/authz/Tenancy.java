package io.hypernetes.apiserver.authz;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;

/**
 * Which tenant (Keystone project id) an object belongs to.
 *
 * <p>A Namespace records its tenant in the label {@value #LABEL}, set on creation from the creator's project and
 * immutable after. Every object in a namespace carries the same label, stamped by the registry from its
 * namespace when the object is created: each object names its own tenant, so visibility is a check on the
 * object alone — also for history (a watch from an old resourceVersion, a list at an exact one) where the
 * namespace may since have been deleted and its name taken by another tenant. A Network's tenant is its
 * {@code spec.tenantID}. Nodes and namespaces without the label belong to no tenant: only administrators see them.
 */
public final class Tenancy {
    public static final String LABEL = "hypernetes.io/tenant";

    private Tenancy() {}

    /** The owning project id, or null for objects that belong to no tenant. */
    public static String tenantOf(ResourceType type, JsonNode obj) {
        if (type == ResourceTypes.NETWORKS) return text(obj.path("spec").path("tenantID"));
        if (type == ResourceTypes.NODES) return null;
        return text(obj.path("metadata").path("labels").path(LABEL));
    }

    /**
     * How the tenant appears in an object's stored JSON (compact, written by Jackson, which escapes neither
     * the label's "/" nor a project id's hex): {@code "hypernetes.io/tenant":"<id>"}, or {@code "tenantID":"<id>"}
     * for a Network. An object whose bytes lack it cannot be the tenant's; one that has it is checked decoded.
     */
    public static byte[] storedMarker(ResourceType type, String project) {
        String field = type == ResourceTypes.NETWORKS ? "tenantID" : LABEL;
        return ("\"" + field + "\":\"" + project + "\"").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Whether {@code needle} occurs in {@code haystack}. */
    public static boolean contains(byte[] haystack, byte[] needle) {
        byte first = needle[0];
        outer:
        for (int i = 0, last = haystack.length - needle.length; i <= last; i++) {
            if (haystack[i] != first) continue;
            for (int j = 1; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return true;
        }
        return false;
    }

    private static String text(JsonNode n) {
        return n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
    }
}
