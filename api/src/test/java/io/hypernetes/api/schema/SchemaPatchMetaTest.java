package io.hypernetes.api.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.api.patch.PatchMeta;
import org.junit.jupiter.api.Test;

class SchemaPatchMetaTest {
    private final PatchMeta pod = SchemaRegistry.core().patchMeta("io.k8s.api.core.v1.Pod");

    @Test
    void containersMergeByName() {
        PatchMeta containers = pod.field("spec").field("containers");
        assertThat(containers.strategies()).containsExactly("merge");
        assertThat(containers.mergeKey()).isEqualTo("name");
    }

    @Test
    void listFieldsDescendIntoTheirItems() {
        PatchMeta ports = pod.field("spec").field("containers").field("ports");
        assertThat(ports.strategies()).containsExactly("merge");
        assertThat(ports.mergeKey()).isEqualTo("containerPort");
        PatchMeta env = pod.field("spec").field("initContainers").field("env");
        assertThat(env.mergeKey()).isEqualTo("name");
        assertThat(pod.field("spec").field("containers").field("volumeMounts").mergeKey()).isEqualTo("mountPath");
    }

    @Test
    void volumesMergeAndRetainKeys() {
        PatchMeta volumes = pod.field("spec").field("volumes");
        assertThat(volumes.strategies()).containsExactlyInAnyOrder("merge", "retainKeys");
        assertThat(volumes.mergeKey()).isEqualTo("name");
        assertThat(volumes.field("cinder").field("volumeID").strategies()).isEmpty();
    }

    @Test
    void finalizersMergeAsASet() {
        PatchMeta finalizers = pod.field("metadata").field("finalizers");
        assertThat(finalizers.strategies()).containsExactly("merge");
        assertThat(finalizers.mergeKey()).isNull();
        assertThat(pod.field("metadata").field("ownerReferences").mergeKey()).isEqualTo("uid");
    }

    @Test
    void atomicListsAndUnknownFieldsHaveNoStrategy() {
        assertThat(pod.field("spec").field("tolerations").strategies()).isEmpty();
        assertThat(pod.field("spec").field("containers").field("command").strategies()).isEmpty();
        assertThat(pod.field("spec").field("nosuch")).isSameAs(PatchMeta.NONE);
        assertThat(SchemaRegistry.core().patchMeta("no.such.Type")).isSameAs(PatchMeta.NONE);
    }

    @Test
    void mapsLeadToTheirValueType() {
        PatchMeta network = SchemaRegistry.core().patchMeta("io.k8s.api.core.v1.Network");
        assertThat(network.field("spec").field("subnets").field("s1").field("cidr").strategies()).isEmpty();
        PatchMeta node = SchemaRegistry.core().patchMeta("io.k8s.api.core.v1.Node");
        assertThat(node.field("status").field("conditions").mergeKey()).isEqualTo("type");
        assertThat(node.field("status").field("addresses").mergeKey()).isEqualTo("type");
    }
}
