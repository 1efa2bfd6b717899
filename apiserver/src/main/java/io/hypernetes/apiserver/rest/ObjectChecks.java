package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.patch.PatchMeta;
import io.hypernetes.api.resource.ResourceType;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the REST layer needs from the schema and the selector grammar, behind one seam so handlers stay small.
 */
public interface ObjectChecks {
    /** Fields of {@code obj} the schema of {@code type} does not know, worded as Kubernetes' strict decoder words them. */
    List<String> unknownFields(ResourceType type, JsonNode obj);

    /** Values of the wrong JSON type (always an error, whatever fieldValidation says). */
    List<String> typeErrors(ResourceType type, JsonNode obj);

    PatchMeta patchMeta(ResourceType type);

    /** A predicate for {@code labelSelector} and {@code fieldSelector}; null when both are empty. */
    Predicate<JsonNode> selector(ResourceType type, String labelSelector, String fieldSelector);
}
