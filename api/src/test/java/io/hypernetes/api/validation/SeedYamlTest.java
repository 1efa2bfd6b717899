package io.hypernetes.api.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The YAML from DESIGN.md ("works as written") must default and validate cleanly. */
class SeedYamlTest {
    static final String SEED = """
            apiVersion: v1
            kind: Network
            metadata:
              name: net1
            spec:
              tenantID: 065f210a2ca9442aad898ab129426350
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: ns1
            spec:
              network: net1
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: nginx
              labels: {app: nginx}
            spec:
              containers:
              - name: nginx
                image: nginx
                ports: [{containerPort: 80}]
                volumeMounts: [{name: nginx-persistent-storage, mountPath: /var/lib/nginx}]
              volumes:
              - name: nginx-persistent-storage
                cinder: {volumeID: 651b2a7b-683e-47e1-bdd6-e3c62e8f91c0, fsType: ext4}
            """;

    @Test
    void seedObjectsValidate() throws Exception {
        List<ObjectNode> docs = Json.YAML.readValues(Json.YAML.createParser(SEED), ObjectNode.class).readAll();
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
