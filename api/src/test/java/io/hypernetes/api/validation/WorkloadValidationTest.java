package io.hypernetes.api.validation;

import static io.hypernetes.api.validation.Fixtures.with;
import static io.hypernetes.api.validation.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** apps/v1 Deployments and ReplicaSets, coordination.k8s.io/v1 Leases: defaults, and validation worded as Kubernetes. */
class WorkloadValidationTest {

    /** What {@code kubectl create deployment web --image=nginx --replicas=3} sends. */
    static final ObjectNode DEPLOYMENT = yaml("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: ns1, labels: {app: web}}
            spec:
              replicas: 3
              selector: {matchLabels: {app: web}}
              template:
                metadata: {creationTimestamp: null, labels: {app: web}}
                spec:
                  containers: [{name: nginx, image: nginx, resources: {}}]
              strategy: {}
            status: {}
            """);

    static final ObjectNode REPLICA_SET = yaml("""
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {name: web-1, namespace: ns1}
            spec:
              selector: {matchExpressions: [{key: app, operator: In, values: [web]}]}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: nginx, image: nginx}]
            """);

    static final ObjectNode LEASE = yaml("""
            apiVersion: coordination.k8s.io/v1
            kind: Lease
            metadata: {name: node-1, namespace: kube-node-lease}
            spec: {holderIdentity: node-1, leaseDurationSeconds: 40, renewTime: "2024-01-02T15:04:05.000000Z"}
            """);

    private static ObjectNode defaulted(ResourceType type, ObjectNode obj) {
        ObjectNode copy = obj.deepCopy();
        Defaults.apply(type, copy);
        return copy;
    }

    private static List<String> create(ResourceType type, ObjectNode obj) {
        return Validation.validateCreate(type, defaulted(type, obj)).stream().map(FieldError::message).toList();
    }

    @Test
    void deploymentDefaultsAsKubernetes() {
        ObjectNode d = defaulted(ResourceTypes.DEPLOYMENTS, with(DEPLOYMENT, "spec.replicas", "~"));
        assertThat(d.at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(d.at("/spec/strategy/type").asText()).isEqualTo("RollingUpdate");
        assertThat(d.at("/spec/strategy/rollingUpdate/maxSurge").asText()).isEqualTo("25%");
        assertThat(d.at("/spec/strategy/rollingUpdate/maxUnavailable").asText()).isEqualTo("25%");
        assertThat(d.at("/spec/revisionHistoryLimit").asInt()).isEqualTo(10);
        assertThat(d.at("/spec/progressDeadlineSeconds").asInt()).isEqualTo(600);
        // the pod template gets a pod spec's defaults, but not what only a Pod gets
        assertThat(d.at("/spec/template/spec/restartPolicy").asText()).isEqualTo("Always");
        assertThat(d.at("/spec/template/spec/dnsPolicy").asText()).isEqualTo("ClusterFirst");
        assertThat(d.at("/spec/template/spec/schedulerName").asText()).isEqualTo("default-scheduler");
        assertThat(d.at("/spec/template/spec/terminationGracePeriodSeconds").asInt()).isEqualTo(30);
        assertThat(d.at("/spec/template/spec/containers/0/imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(d.at("/spec/template/spec/containers/0/terminationMessagePath").asText()).isEqualTo("/dev/termination-log");
        assertThat(d.at("/spec/template/spec").has("enableServiceLinks")).isFalse();
        // defaulting twice changes nothing
        assertThat(defaulted(ResourceTypes.DEPLOYMENTS, d)).isEqualTo(d);
    }

    @Test
    void givenValuesAreKeptAndRecreateGetsNoRollingUpdate() {
        ObjectNode d = defaulted(ResourceTypes.DEPLOYMENTS, with(with(with(DEPLOYMENT, "spec.strategy", "{type: Recreate}"),
                "spec.replicas", "0"), "spec.revisionHistoryLimit", "2"));
        assertThat(d.at("/spec/replicas").asInt()).isZero();
        assertThat(d.at("/spec/revisionHistoryLimit").asInt()).isEqualTo(2);
        assertThat(d.at("/spec/strategy").has("rollingUpdate")).isFalse();
        ObjectNode partial = defaulted(ResourceTypes.DEPLOYMENTS, with(DEPLOYMENT, "spec.strategy", "{rollingUpdate: {maxSurge: 1}}"));
        assertThat(partial.at("/spec/strategy/rollingUpdate/maxSurge").asInt()).isEqualTo(1);
        assertThat(partial.at("/spec/strategy/rollingUpdate/maxUnavailable").asText()).isEqualTo("25%");
    }

    @Test
    void replicaSetDefaults() {
        ObjectNode rs = defaulted(ResourceTypes.REPLICASETS, REPLICA_SET);
        assertThat(rs.at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(rs.at("/spec/template/spec/restartPolicy").asText()).isEqualTo("Always");
        assertThat(rs.at("/spec").has("strategy")).isFalse();
    }

    @Test
    void validObjectsPass() {
        assertThat(create(ResourceTypes.DEPLOYMENTS, DEPLOYMENT)).isEmpty();
        assertThat(create(ResourceTypes.REPLICASETS, REPLICA_SET)).isEmpty();
        assertThat(create(ResourceTypes.LEASES, LEASE)).isEmpty();
        assertThat(create(ResourceTypes.LEASES, with(LEASE, "spec", "{}"))).isEmpty();
    }

    static Stream<Arguments> deploymentErrors() {
        return Stream.of(
                Arguments.of("spec.replicas", "-1", List.of("spec.replicas: Invalid value: \"-1\": must be greater than or equal to 0")),
                Arguments.of("spec.selector", "~", List.of("spec.selector: Required value")),
                Arguments.of("spec.selector", "{}", List.of("spec.selector: Invalid value: \"\": empty selector is invalid for deployment")),
                Arguments.of("spec.selector.matchLabels.app", "other", List.of(
                        "spec.template.metadata.labels: Invalid value: \"map[string]string{\"app\":\"web\"}\": `selector` does not match template `labels`")),
                Arguments.of("spec.template.metadata.labels", "~", List.of(
                        "spec.template.metadata.labels: Invalid value: \"map[string]string(nil)\": `selector` does not match template `labels`")),
                Arguments.of("spec.template.spec.containers[0].image", "~", List.of("spec.template.spec.containers[0].image: Required value")),
                Arguments.of("spec.template.spec.containers[0].name", "Bad_Name", List.of(
                        "spec.template.spec.containers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case "
                                + "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                                + "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")),
                Arguments.of("spec.template.spec.restartPolicy", "Never", List.of(
                        "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"")),
                Arguments.of("spec.template.spec.activeDeadlineSeconds", "10", List.of(
                        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported")),
                Arguments.of("spec.strategy", "{type: Blue}", List.of(
                        "spec.strategy.type: Unsupported value: \"Blue\": supported values: \"Recreate\", \"RollingUpdate\"")),
                Arguments.of("spec.strategy", "{type: Recreate, rollingUpdate: {maxSurge: 1}}", List.of(
                        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'")),
                Arguments.of("spec.strategy", "{rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}}", List.of(
                        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when `maxSurge` is 0")),
                Arguments.of("spec.strategy", "{rollingUpdate: {maxSurge: -1}}", List.of(
                        "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"-1\": must be greater than or equal to 0")),
                Arguments.of("spec.strategy", "{rollingUpdate: {maxSurge: 20Percent}}", List.of(
                        "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"20Percent\": a valid percent string must be a numeric string "
                                + "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")),
                Arguments.of("spec.strategy", "{rollingUpdate: {maxUnavailable: 110%}}", List.of(
                        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"110%\": must not be greater than 100%")),
                Arguments.of("spec.revisionHistoryLimit", "-1", List.of(
                        "spec.revisionHistoryLimit: Invalid value: \"-1\": must be greater than or equal to 0")),
                Arguments.of("spec.minReadySeconds", "600", List.of(
                        "spec.progressDeadlineSeconds: Invalid value: \"600\": must be greater than minReadySeconds")),
                Arguments.of("metadata.name", "Web", List.of(
                        "metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                                + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                                + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("deploymentErrors")
    void deploymentRules(String path, String value, List<String> expected) {
        assertThat(create(ResourceTypes.DEPLOYMENTS, with(DEPLOYMENT, path, value))).containsExactlyElementsOf(expected);
    }

    @Test
    void replicaSetRules() {
        assertThat(create(ResourceTypes.REPLICASETS, with(REPLICA_SET, "spec.minReadySeconds", "-1")))
                .containsExactly("spec.minReadySeconds: Invalid value: \"-1\": must be greater than or equal to 0");
        assertThat(create(ResourceTypes.REPLICASETS, with(REPLICA_SET, "spec.selector.matchExpressions[0].values[0]", "api")))
                .containsExactly("spec.template.metadata.labels: Invalid value: \"map[string]string{\"app\":\"web\"}\": `selector` does not match template `labels`");
        assertThat(create(ResourceTypes.REPLICASETS, with(REPLICA_SET, "spec.selector.matchExpressions[0].operator", "Near")))
                .containsExactly("spec.selector.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator");
        // a ReplicaSet has no strategy, so none is checked
        assertThat(create(ResourceTypes.REPLICASETS, with(REPLICA_SET, "spec.strategy", "{type: Blue}"))).isEmpty();
    }

    @Test
    void selectorIsImmutable() {
        ObjectNode old = defaulted(ResourceTypes.DEPLOYMENTS, DEPLOYMENT);
        ObjectNode changed = with(with(old, "spec.selector.matchLabels.tier", "front"), "spec.template.metadata.labels.tier", "front");
        assertThat(Validation.validateUpdate(ResourceTypes.DEPLOYMENTS, changed, old).stream().map(FieldError::message))
                .containsExactly("spec.selector: Invalid value: \"{\"matchLabels\":{\"app\":\"web\",\"tier\":\"front\"}}\": field is immutable");
        ObjectNode scaled = with(old, "spec.replicas", "7");
        assertThat(Validation.validateUpdate(ResourceTypes.DEPLOYMENTS, scaled, old)).isEmpty();
        ObjectNode oldRs = defaulted(ResourceTypes.REPLICASETS, REPLICA_SET);
        assertThat(Validation.validateUpdate(ResourceTypes.REPLICASETS, with(oldRs, "spec.selector", "{matchLabels: {app: web}}"), oldRs))
                .extracting(FieldError::field).containsExactly("spec.selector");
    }

    @Test
    void statusCountsMayNotBeNegative() {
        assertThat(create(ResourceTypes.DEPLOYMENTS, with(DEPLOYMENT, "status.availableReplicas", "-2")))
                .containsExactly("status.availableReplicas: Invalid value: \"-2\": must be greater than or equal to 0");
    }

    @Test
    void leaseRules() {
        assertThat(create(ResourceTypes.LEASES, with(LEASE, "spec.leaseDurationSeconds", "0")))
                .containsExactly("spec.leaseDurationSeconds: Invalid value: \"0\": must be greater than 0");
        assertThat(create(ResourceTypes.LEASES, with(LEASE, "spec.leaseTransitions", "-1")))
                .containsExactly("spec.leaseTransitions: Invalid value: \"-1\": must be greater than or equal to 0");
        assertThat(create(ResourceTypes.LEASES, with(LEASE, "spec.preferredHolder", "node-2")))
                .containsExactly("spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined");
        assertThat(create(ResourceTypes.LEASES, with(with(LEASE, "spec.preferredHolder", "node-2"), "spec.strategy", "OldestEmulationVersion")))
                .isEmpty();
        assertThat(create(ResourceTypes.LEASES, with(LEASE, "spec.strategy", "Newest")))
                .containsExactly("spec.strategy: Unsupported value: \"Newest\": supported values: \"OldestEmulationVersion\"");
        assertThat(create(ResourceTypes.LEASES, with(LEASE, "metadata.namespace", "~")))
                .containsExactly("metadata.namespace: Required value");
    }
}
