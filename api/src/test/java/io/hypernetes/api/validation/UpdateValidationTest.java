package io.hypernetes.api.validation;

import static io.hypernetes.api.validation.CreateValidationTest.CONFIG_MAP;
import static io.hypernetes.api.validation.CreateValidationTest.NAMESPACE;
import static io.hypernetes.api.validation.CreateValidationTest.NETWORK;
import static io.hypernetes.api.validation.CreateValidationTest.NODE;
import static io.hypernetes.api.validation.CreateValidationTest.POD;
import static io.hypernetes.api.validation.CreateValidationTest.SECRET;
import static io.hypernetes.api.validation.CreateValidationTest.SERVICE;
import static io.hypernetes.api.validation.Fixtures.summary;
import static io.hypernetes.api.validation.Fixtures.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per transition rule: old object, new object, exactly the errors expected. */
class UpdateValidationTest {

    record Case(String name, ResourceType type, ObjectNode oldObj, ObjectNode newObj, List<String> expected) {
        @Override
        public String toString() {
            return type.kind() + ": " + name;
        }
    }

    static Case c(String name, ResourceType type, ObjectNode old, String path, String value, String... expected) {
        return new Case(name, type, old, with(old, path, value), List.of(expected));
    }

    static Case c(String name, ResourceType type, ObjectNode old, ObjectNode neu, String... expected) {
        return new Case(name, type, old, neu, List.of(expected));
    }

    static final ObjectNode POD_WITH_DEADLINE = with(with(POD, "spec.activeDeadlineSeconds", "600"),
            "spec.tolerations", "[{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 300}]");
    static final ObjectNode IMMUTABLE_CM = with(CONFIG_MAP, "immutable", "true");
    static final ObjectNode SERVICE_WITH_IP = with(SERVICE, "spec.clusterIP", "10.96.0.10");

    static Stream<Case> cases() {
        var P = ResourceTypes.PODS;
        return Stream.of(
                c("labels may change", P, POD, "metadata.labels.app", "other"),
                c("name immutable", P, POD, "metadata.name", "other", "metadata.name INVALID"),
                c("namespace immutable", P, POD, "metadata.namespace", "ns2", "metadata.namespace INVALID"),
                c("uid immutable", P, with(POD, "metadata.uid", "a"), "metadata.uid", "b", "metadata.uid INVALID"),
                c("creationTimestamp immutable", P, with(POD, "metadata.creationTimestamp", "'2024-01-01T00:00:00Z'"),
                        "metadata.creationTimestamp", "'2025-01-01T00:00:00Z'", "metadata.creationTimestamp INVALID"),
                c("no new finalizers while deleting", P, with(POD, "metadata.deletionTimestamp", "'2024-01-01T00:00:00Z'"),
                        "metadata.finalizers", "[example.com/x]", "metadata.finalizers FORBIDDEN"),
                // Pod
                c("image may change", P, POD, "spec.containers[0].image", "nginx:1.27"),
                c("init image may change", P, with(POD, "spec.initContainers", "[{name: i, image: busybox}]"),
                        "spec.initContainers[0].image", "busybox:1.36"),
                c("new image still validated", P, POD, "spec.containers[0].image", "~", "spec.containers[0].image REQUIRED"),
                c("ports may not change", P, POD, "spec.containers[0].ports[0].containerPort", "81", "spec FORBIDDEN"),
                c("restartPolicy may not change", P, POD, "spec.restartPolicy", "Never", "spec FORBIDDEN"),
                c("containers may not be added", P, POD, "spec.containers[1]", "{name: b, image: busybox}", "spec FORBIDDEN"),
                c("deadline may be set", P, POD, "spec.activeDeadlineSeconds", "30"),
                c("deadline may shrink", P, POD_WITH_DEADLINE, "spec.activeDeadlineSeconds", "60"),
                c("deadline may not grow", P, POD_WITH_DEADLINE, "spec.activeDeadlineSeconds", "6000", "spec.activeDeadlineSeconds INVALID"),
                c("deadline may not be unset", P, POD_WITH_DEADLINE, "spec.activeDeadlineSeconds", "~", "spec.activeDeadlineSeconds INVALID"),
                c("toleration may be added", P, POD_WITH_DEADLINE, "spec.tolerations[1]", "{key: other, operator: Exists}"),
                c("toleration seconds may shrink", P, POD_WITH_DEADLINE, "spec.tolerations[0].tolerationSeconds", "10"),
                c("toleration seconds may not grow", P, POD_WITH_DEADLINE, "spec.tolerations[0].tolerationSeconds", "1000",
                        "spec.tolerations FORBIDDEN"),
                c("toleration may not be removed", P, POD_WITH_DEADLINE, "spec.tolerations", "[]", "spec.tolerations FORBIDDEN"),
                c("grace period from negative to 1", P, with(POD, "spec.terminationGracePeriodSeconds", "-1"),
                        "spec.terminationGracePeriodSeconds", "1"),
                c("grace period change", P, with(POD, "spec.terminationGracePeriodSeconds", "30"),
                        "spec.terminationGracePeriodSeconds", "10", "spec FORBIDDEN"),
                // Service
                c("clusterIP immutable", ResourceTypes.SERVICES, SERVICE_WITH_IP, "spec.clusterIP", "10.96.0.11", "spec.clusterIP INVALID"),
                c("clusterIP may be removed by ExternalName", ResourceTypes.SERVICES, SERVICE_WITH_IP,
                        with(with(with(SERVICE_WITH_IP, "spec.clusterIP", "~"), "spec.type", "ExternalName"), "spec.externalName", "example.com")),
                c("clusterIP may be assigned", ResourceTypes.SERVICES, SERVICE, "spec.clusterIP", "10.96.0.12"),
                // Namespace
                c("network immutable", ResourceTypes.NAMESPACES, NAMESPACE, "spec.network", "net2", "spec.network INVALID"),
                c("network may be set once", ResourceTypes.NAMESPACES, with(NAMESPACE, "spec.network", "~"), "spec.network", "net2"),
                // Network
                c("tenant immutable", ResourceTypes.NETWORKS, NETWORK, "spec.tenantID", "165f210a2ca9442aad898ab129426350", "spec.tenantID INVALID"),
                c("subnet may be added", ResourceTypes.NETWORKS, NETWORK, "spec.subnets.b", "{cidr: 10.0.1.0/24}"),
                c("subnet may not change", ResourceTypes.NETWORKS, NETWORK, "spec.subnets.a.gateway", "10.0.0.2", "spec.subnets[a] FORBIDDEN"),
                c("subnet may not be removed", ResourceTypes.NETWORKS, NETWORK, "spec.subnets.a", "~", "spec.subnets[a] FORBIDDEN"),
                c("phase may change", ResourceTypes.NETWORKS, NETWORK, "status.phase", "Active"),
                // Node
                c("podCIDR may not change", ResourceTypes.NODES, NODE, with(with(NODE, "spec.podCIDR", "10.245.0.0/24"), "spec.podCIDRs", "[10.245.0.0/24]"),
                        "spec.podCIDR FORBIDDEN", "spec.podCIDRs FORBIDDEN"),
                c("podCIDR may be assigned", ResourceTypes.NODES, with(with(NODE, "spec.podCIDR", "~"), "spec.podCIDRs", "~"), NODE),
                c("taints may change", ResourceTypes.NODES, NODE, "spec.taints", "[]"),
                // ConfigMap / Secret
                c("mutable data may change", ResourceTypes.CONFIGMAPS, CONFIG_MAP, "data.x", "y"),
                c("immutable data", ResourceTypes.CONFIGMAPS, IMMUTABLE_CM, "data.x", "y", "data FORBIDDEN"),
                c("immutable binaryData", ResourceTypes.CONFIGMAPS, IMMUTABLE_CM, "binaryData.blob", "eQ==", "binaryData FORBIDDEN"),
                c("immutable cannot be unset", ResourceTypes.CONFIGMAPS, IMMUTABLE_CM, "immutable", "false", "immutable FORBIDDEN"),
                c("immutable labels may change", ResourceTypes.CONFIGMAPS, IMMUTABLE_CM, "metadata.labels.a", "b"),
                c("secret type immutable", ResourceTypes.SECRETS, SECRET, "type", "example.com/other", "type INVALID"),
                c("immutable secret", ResourceTypes.SECRETS, with(SECRET, "immutable", "true"), "data.password", "eQ==", "data FORBIDDEN"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void update(Case c) {
        assertThat(summary(Validation.validateUpdate(c.type, c.newObj, c.oldObj))).as(c.name)
                .containsExactlyInAnyOrderElementsOf(c.expected);
    }

    @Test
    void podUpdateMessageReadsLikeKubernetes() {
        var errs = Validation.validateUpdate(ResourceTypes.PODS, with(POD, "spec.restartPolicy", "Never"), POD);
        assertThat(errs).singleElement().satisfies(e -> assertThat(e.message()).startsWith(
                "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                        + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to"
                        + " existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was"
                        + " previously negative)").contains("spec.restartPolicy"));
    }
}
