package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** For kinds without rules of their own: metadata is checked, the rest is taken as it is. */
final class GenericValidator implements KindValidator {
    static final GenericValidator INSTANCE = new GenericValidator();

    @Override
    public void validate(JsonNode obj, List<FieldError> errs) {}
}
