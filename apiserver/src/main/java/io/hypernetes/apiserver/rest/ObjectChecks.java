package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.patch.PatchMeta;
import io.hypernetes.api.schema.FieldValidation;
import io.hypernetes.api.resource.ResourceType;
import java.util.function.Predicate;

/**
 * What the REST layer needs from the schema and the selector grammar, behind one seam so handlers stay small.
 */
public interface ObjectChecks {
    /** What the schema of {@code type} says about {@code obj}: unknown fields and values of the wrong type. */
    FieldValidation.Report fields(ResourceType type, JsonNode obj);

    PatchMeta patchMeta(ResourceType type);

    /** A predicate for {@code labelSelector} and {@code fieldSelector}; null when both are empty. */
    Predicate<JsonNode> selector(ResourceType type, String labelSelector, String fieldSelector);
}
