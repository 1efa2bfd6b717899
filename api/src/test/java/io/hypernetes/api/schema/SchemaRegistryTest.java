package io.hypernetes.api.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaRegistryTest {
    private final SchemaRegistry schema = SchemaRegistry.core();

    @Test
    void loadsEveryDefinitionWithADescription() {
        assertThat(schema.definitions()).hasSizeGreaterThan(150);
        List<String> undocumented = new ArrayList<>();
        for (Definition d : schema.definitions()) {
            if (d.description().isBlank()) undocumented.add(d.name());
            if (schema.resolve(d.schema()) instanceof Schema.Struct s) {
                s.properties().values().stream().filter(p -> p.description().isBlank())
                        .forEach(p -> undocumented.add(d.name() + "." + p.name()));
            }
        }
        assertThat(undocumented).isEmpty();
    }

    @Test
    void everyRefResolves() {
        List<String> dangling = new ArrayList<>();
        for (Definition d : schema.definitions()) refs(d.name(), d.schema(), dangling);
        assertThat(dangling).isEmpty();
    }

    private void refs(String where, Schema s, List<String> dangling) {
        switch (s) {
            case Schema.Ref r -> {
                if (schema.definition(r.name()).isEmpty()) dangling.add(where + " -> " + r.name());
            }
            case Schema.Struct st -> st.properties().values().forEach(p -> refs(where + "." + p.name(), p.schema(), dangling));
            case Schema.MapOf m -> refs(where, m.values(), dangling);
            case Schema.ListOf l -> refs(where, l.items(), dangling);
            default -> {}
        }
    }

    @Test
    void everyServedResourceHasItsKindAndListKind() {
        for (ResourceType t : ResourceTypes.ALL) {
            Definition d = schema.definition(t.schema()).orElseThrow(() -> new AssertionError("no definition " + t.schema()));
            assertThat(d.kinds()).containsExactly(new GroupVersionKind(t.group(), t.version(), t.kind()));
            assertThat(schema.forKind(t.apiVersion(), t.kind())).contains(d);
            Definition list = schema.forKind(t.apiVersion(), t.listKind()).orElseThrow(() -> new AssertionError("no " + t.listKind()));
            assertThat(list.name()).isEqualTo(t.schema() + "List");
            assertThat(schema.resolve(list.schema())).isInstanceOfSatisfying(Schema.Struct.class,
                    s -> assertThat(s.property("items").orElseThrow().schema()).isEqualTo(new Schema.ListOf(new Schema.Ref(t.schema()))));
        }
        assertThat(schema.forKind("v1", "Binding")).isPresent();
        assertThat(schema.forKind("v1", "Status")).isPresent();
        assertThat(schema.forKind("v1", "DeleteOptions")).isPresent();
    }

    @Test
    void hypernetesAdditionsAreThere() {
        Schema.Struct spec = struct("io.k8s.api.core.v1.NetworkSpec");
        assertThat(spec.properties()).containsOnlyKeys("tenantID", "subnets", "providerNetworkID");
        assertThat(spec.property("subnets").orElseThrow().schema()).isEqualTo(new Schema.MapOf(new Schema.Ref("io.k8s.api.core.v1.Subnet")));
        assertThat(struct("io.k8s.api.core.v1.Subnet").properties()).containsOnlyKeys("cidr", "gateway");
        assertThat(((Schema.Scalar) struct("io.k8s.api.core.v1.NetworkStatus").property("phase").orElseThrow().schema()).enumValues())
                .containsExactlyInAnyOrder("Initializing", "Active", "Pending", "Failed", "Terminating");
        assertThat(struct("io.k8s.api.core.v1.NamespaceSpec").properties()).containsKey("network");
        assertThat(struct("io.k8s.api.core.v1.CinderVolumeSource").properties()).containsKeys("volumeID", "fsType", "readOnly");
        assertThat(struct("io.k8s.api.core.v1.Volume").properties()).containsKeys("cinder", "emptyDir", "hostPath", "configMap", "secret",
                "persistentVolumeClaim", "projected", "downwardAPI", "nfs", "ephemeral", "csi", "image");
    }

    @Test
    void coversTheKubernetes133PodSurface() {
        assertThat(struct("io.k8s.api.core.v1.Container").properties()).containsKeys("name", "image", "command", "args", "workingDir",
                "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe",
                "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
                "securityContext", "stdin", "stdinOnce", "tty");
        assertThat(struct("io.k8s.api.core.v1.PodSpec").properties()).containsKeys("schedulingGates", "resourceClaims", "resources",
                "hostUsers", "os", "overhead", "readinessGates", "topologySpreadConstraints", "ephemeralContainers");
        assertThat(struct("io.k8s.api.core.v1.PodStatus").properties()).containsKeys("hostIPs", "podIPs", "qosClass",
                "resourceClaimStatuses", "observedGeneration");
        assertThat(struct("io.k8s.api.core.v1.Lifecycle").properties()).containsKeys("postStart", "preStop", "stopSignal");
        assertThat(struct("io.k8s.api.core.v1.Probe").properties()).containsKeys("exec", "httpGet", "tcpSocket", "grpc");
    }

    @Test
    void rejectsASchemaWithADanglingRef() {
        String yaml = "definitions:\n  a:\n    type: object\n    properties:\n      b: {$ref: '#/definitions/missing'}\n";
        assertThatThrownBy(() -> SchemaRegistry.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("missing");
    }

    private Schema.Struct struct(String name) {
        return (Schema.Struct) schema.resolve(new Schema.Ref(name));
    }
}
