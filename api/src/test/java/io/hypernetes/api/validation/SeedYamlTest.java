package io.hypernetes.api.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.SeedYaml;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The YAML from DESIGN.md ("works as written") must default and validate cleanly. */
class SeedYamlTest {

    @Test
    void seedObjectsValidate() throws Exception {
        List<ObjectNode> docs = Json.YAML.readValues(Json.YAML.createParser(SeedYaml.TEXT), ObjectNode.class).readAll();
        assertThat(docs).hasSize(3);
        for (ObjectNode doc : docs) {
            var type = ResourceTypes.byKind(doc.get("apiVersion").asText(), doc.get("kind").asText()).orElseThrow();
            // kubectl sends the pod to the namespace in its context; the apiserver fills metadata.namespace.
            if (type.namespaced()) ((ObjectNode) doc.get("metadata")).put("namespace", "ns1");
            assertThat(Validation.validateCreate(type, doc)).as("raw " + type.kind()).isEmpty();
            Defaults.apply(type, doc);
            Defaults.applyOnCreate(type, doc);
            assertThat(Validation.validateCreate(type, doc)).as("defaulted " + type.kind()).isEmpty();
            assertThat(Validation.validateUpdate(type, doc.deepCopy(), doc)).as("no-op update " + type.kind()).isEmpty();
        }
    }
}
