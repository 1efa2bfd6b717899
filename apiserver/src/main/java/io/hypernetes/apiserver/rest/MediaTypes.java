package io.hypernetes.apiserver.rest;

import io.hypernetes.apiserver.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Content negotiation as the Kubernetes API server does it, for the media types Hypernetes speaks. */
final class MediaTypes {
    static final String JSON = "application/json";
    static final String YAML = "application/yaml";
    static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
    static final String JSON_PATCH = "application/json-patch+json";
    static final String MERGE_PATCH = "application/merge-patch+json";
    static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
    static final String APPLY_PATCH = "application/apply-patch+yaml";

    private MediaTypes() {}

    /** One entry of an Accept header: the type and its parameters (as=Table;v=v1;g=meta.k8s.io). */
    record MediaType(String type, Map<String, String> params) {
        String param(String name) {
            return params.getOrDefault(name, "");
        }
    }

    /** What the client will read: plain objects, a Table, or metadata only; as JSON or YAML. */
    enum Shape { OBJECT, TABLE, METADATA }

    record Output(String contentType, Shape shape) {
        boolean yaml() {
            return contentType.equals(YAML);
        }

        boolean protobuf() {
            return contentType.equals(PROTOBUF);
        }
    }

    static List<MediaType> parse(String header) {
        List<MediaType> out = new ArrayList<>();
        if (header == null || header.isBlank()) return out;
        for (String part : header.split(",")) {
            String[] bits = part.trim().split(";");
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 1; i < bits.length; i++) {
                int eq = bits[i].indexOf('=');
                if (eq > 0) params.put(bits[i].substring(0, eq).trim().toLowerCase(Locale.ROOT), bits[i].substring(eq + 1).trim());
            }
            out.add(new MediaType(bits[0].trim().toLowerCase(Locale.ROOT), params));
        }
        return out;
    }

    /**
     * Picks the first acceptable representation of API objects in the client's order, as Kubernetes does: JSON,
     * YAML or Kubernetes protobuf for plain objects and lists; JSON or YAML for Tables and metadata-only views.
     */
    static Output negotiate(String accept, boolean tableAllowed) {
        return negotiate(accept, tableAllowed, true);
    }

    /** The same for documents that exist only as JSON or YAML: discovery. */
    static Output negotiateDocument(String accept) {
        return negotiate(accept, false, false);
    }

    private static Output negotiate(String accept, boolean tableAllowed, boolean protobufAllowed) {
        List<MediaType> types = parse(accept);
        if (types.isEmpty()) return new Output(JSON, Shape.OBJECT);
        for (MediaType m : types) {
            boolean json = m.type().equals(JSON) || m.type().equals("*/*") || m.type().equals("application/*");
            boolean yaml = m.type().equals(YAML);
            boolean protobuf = m.type().equals(PROTOBUF) && protobufAllowed;
            if (!json && !yaml && !protobuf) continue;
            String as = m.param("as");
            if (as.isEmpty()) return new Output(yaml ? YAML : protobuf ? PROTOBUF : JSON, Shape.OBJECT);
            if (protobuf) continue;
            String ct = yaml ? YAML : JSON;
            boolean metaGroup = m.param("g").equals("meta.k8s.io") && (m.param("v").equals("v1") || m.param("v").equals("v1beta1"));
            if (!metaGroup) continue;
            if (as.equals("Table") && tableAllowed) return new Output(ct, Shape.TABLE);
            if (as.equals("PartialObjectMetadata") || as.equals("PartialObjectMetadataList")) return new Output(ct, Shape.METADATA);
        }
        throw ApiException.notAcceptable();
    }

    /** The media type of a request body, without parameters; JSON when absent. */
    static String contentType(String header) {
        if (header == null || header.isBlank()) return JSON;
        int semi = header.indexOf(';');
        return (semi < 0 ? header : header.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }
}
