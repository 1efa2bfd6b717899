package io.hypernetes.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.patch.PatchMeta;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.schema.FieldValidation;
import io.hypernetes.api.schema.OpenApi;
import io.hypernetes.api.schema.SchemaRegistry;
import io.hypernetes.api.selector.FieldSelector;
import io.hypernetes.api.selector.LabelSelector;
import io.hypernetes.api.selector.SelectorException;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.rest.ObjectChecks;
import io.hypernetes.apiserver.rest.OpenApiDocuments;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** The REST layer's checks, from the schema in {@code io.hypernetes.api.schema} and the selector grammar. */
final class SchemaObjectChecks implements ObjectChecks {
    private final SchemaRegistry schema = SchemaRegistry.core();

    @Override
    public FieldValidation.Report fields(ResourceType type, JsonNode obj) {
        return FieldValidation.check(schema, type.schema(), obj);
    }

    @Override
    public PatchMeta patchMeta(ResourceType type) {
        return schema.patchMeta(type.schema());
    }

    @Override
    public Predicate<JsonNode> selector(ResourceType type, String labelSelector, String fieldSelector) {
        LabelSelector labels;
        FieldSelector fields;
        try {
            labels = LabelSelector.parse(labelSelector);
            fields = FieldSelector.parse(fieldSelector);
        } catch (SelectorException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        Set<String> supported = new HashSet<>(type.fieldSelectors());
        supported.add("metadata.name");
        supported.add("metadata.namespace");
        for (String f : fields.fields()) {
            if (!supported.contains(f)) throw ApiException.badRequest("field label not supported: " + f);
        }
        if (labels.isEmpty() && fields.isEmpty()) return null;
        return obj -> labels.matches(obj.path("metadata").path("labels")) && fields.matches(obj);
    }

    /** {@code /openapi/v2} (protobuf when asked, as client-go asks) and the {@code /openapi/v3} documents. */
    static OpenApiDocuments openApi() {
        OpenApi docs = OpenApi.core();
        return (path, accept) -> {
            if (path.equals("/openapi/v2")) {
                boolean protobuf = accept != null && accept.contains("protobuf");
                OpenApi.Document d = protobuf ? docs.v2Protobuf() : docs.v2Json();
                return Optional.of(new OpenApiDocuments.Document(
                        protobuf ? "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" : "application/json", d.body(), d.etag()));
            }
            if (path.equals("/openapi/v3")) {
                OpenApi.Document d = docs.v3Discovery();
                return Optional.of(new OpenApiDocuments.Document("application/json", d.body(), d.etag()));
            }
            return docs.v3Document(path.substring("/openapi/v3/".length()))
                    .map(d -> new OpenApiDocuments.Document("application/json", d.body(), d.etag()));
        };
    }
}
