package io.hypernetes.api.validation;

import static io.hypernetes.api.validation.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class DefaultsTest {

    static ObjectNode defaulted(ResourceType type, String yaml) {
        ObjectNode obj = yaml(yaml);
        Defaults.apply(type, obj);
        return obj;
    }

    @Test
    void pod() {
        ObjectNode pod = defaulted(ResourceTypes.PODS, """
                metadata: {name: p, namespace: ns1}
                spec:
                  containers:
                  - name: c
                    image: nginx
                    ports: [{containerPort: 80}]
                    livenessProbe: {httpGet: {port: 80}}
                    resources: {limits: {cpu: 500m}}
                    env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
                  volumes: [{name: s, secret: {secretName: s}}, {name: h, hostPath: {path: /tmp}}]
                """);
        JsonNode spec = pod.get("spec");
        assertThat(spec.get("restartPolicy").asText()).isEqualTo("Always");
        assertThat(spec.get("dnsPolicy").asText()).isEqualTo("ClusterFirst");
        assertThat(spec.get("terminationGracePeriodSeconds").asInt()).isEqualTo(30);
        assertThat(spec.get("schedulerName").asText()).isEqualTo("default-scheduler");
        assertThat(spec.get("securityContext").isObject()).isTrue();
        assertThat(spec.get("enableServiceLinks").asBoolean()).isTrue();
        assertThat(spec.has("tolerations")).isFalse();
        JsonNode c = spec.get("containers").get(0);
        assertThat(c.get("terminationMessagePath").asText()).isEqualTo("/dev/termination-log");
        assertThat(c.get("terminationMessagePolicy").asText()).isEqualTo("File");
        assertThat(c.get("imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(c.at("/ports/0/protocol").asText()).isEqualTo("TCP");
        assertThat(c.at("/livenessProbe/timeoutSeconds").asInt()).isEqualTo(1);
        assertThat(c.at("/livenessProbe/periodSeconds").asInt()).isEqualTo(10);
        assertThat(c.at("/livenessProbe/successThreshold").asInt()).isEqualTo(1);
        assertThat(c.at("/livenessProbe/failureThreshold").asInt()).isEqualTo(3);
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/");
        assertThat(c.at("/livenessProbe/httpGet/scheme").asText()).isEqualTo("HTTP");
        assertThat(c.at("/resources/requests/cpu").asText()).isEqualTo("500m");
        assertThat(c.at("/env/0/valueFrom/fieldRef/apiVersion").asText()).isEqualTo("v1");
        assertThat(spec.at("/volumes/0/secret/defaultMode").asInt()).isEqualTo(0644);
        assertThat(spec.at("/volumes/1/hostPath/type").asText()).isEmpty();
        assertThat(pod.has("status")).isFalse();
        assertThat(Validation.validateCreate(ResourceTypes.PODS, pod)).isEmpty();
    }

    @Test
    void userValuesWin() {
        ObjectNode pod = defaulted(ResourceTypes.PODS, """
                metadata: {name: p, namespace: ns1}
                spec:
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 0
                  containers: [{name: c, image: nginx, imagePullPolicy: Never}]
                """);
        assertThat(pod.at("/spec/restartPolicy").asText()).isEqualTo("Never");
        assertThat(pod.at("/spec/terminationGracePeriodSeconds").asInt()).isZero();
        assertThat(pod.at("/spec/containers/0/imagePullPolicy").asText()).isEqualTo("Never");
    }

    @ParameterizedTest
    @CsvSource({
        "nginx, Always",
        "nginx:latest, Always",
        "nginx:1.27, IfNotPresent",
        "registry:5000/nginx, Always",
        "registry:5000/nginx:1.0, IfNotPresent",
        "nginx@sha256:0123456789abcdef, IfNotPresent"
    })
    void imagePullPolicy(String image, String policy) {
        assertThat(Defaults.pullPolicy(image)).isEqualTo(policy);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[{name: a, image: x}]|BestEffort",
        "[{name: a, image: x, resources: {limits: {cpu: '1', memory: 1Gi}}}]|Guaranteed",
        "[{name: a, image: x, resources: {requests: {cpu: '1', memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}}]|Guaranteed",
        "[{name: a, image: x, resources: {requests: {cpu: 500m}, limits: {cpu: '1', memory: 1Gi}}}]|Burstable",
        "[{name: a, image: x, resources: {requests: {memory: 1Gi}}}]|Burstable",
        "[{name: a, image: x, resources: {limits: {cpu: '1', memory: 1Gi}}}, {name: b, image: y}]|Burstable"
    })
    void qosClass(String containers, String qos) {
        ObjectNode pod = defaulted(ResourceTypes.PODS, "metadata: {name: p}\nspec: {containers: " + containers + "}");
        Defaults.applyOnCreate(ResourceTypes.PODS, pod);
        assertThat(pod.at("/status/qosClass").asText()).isEqualTo(qos);
        assertThat(pod.at("/status/phase").asText()).isEqualTo("Pending");
    }

    @Test
    void service() {
        ObjectNode svc = defaulted(ResourceTypes.SERVICES, """
                metadata: {name: web, namespace: ns1}
                spec: {ports: [{port: 80}, {port: 443, targetPort: https, name: b}], selector: {app: web}}
                """);
        JsonNode spec = svc.get("spec");
        assertThat(spec.get("type").asText()).isEqualTo("ClusterIP");
        assertThat(spec.get("sessionAffinity").asText()).isEqualTo("None");
        assertThat(spec.at("/ports/0/protocol").asText()).isEqualTo("TCP");
        assertThat(spec.at("/ports/0/targetPort").asInt()).isEqualTo(80);
        assertThat(spec.at("/ports/1/targetPort").asText()).isEqualTo("https");
        assertThat(spec.get("internalTrafficPolicy").asText()).isEqualTo("Cluster");
        assertThat(spec.get("ipFamilyPolicy").asText()).isEqualTo("SingleStack");
        assertThat(spec.get("ipFamilies").toString()).isEqualTo("[\"IPv4\"]");
        assertThat(spec.has("externalTrafficPolicy")).isFalse();
    }

    @Test
    void externalNameServiceHasNoIpFields() {
        ObjectNode svc = defaulted(ResourceTypes.SERVICES, "metadata: {name: db}\nspec: {type: ExternalName, externalName: db.example.com}");
        assertThat(svc.get("spec").has("ipFamilies")).isFalse();
        assertThat(svc.get("spec").has("internalTrafficPolicy")).isFalse();
    }

    @Test
    void namespaceOnCreate() {
        ObjectNode ns = defaulted(ResourceTypes.NAMESPACES, "metadata: {name: ns1}\nspec: {network: net1}");
        Defaults.applyOnCreate(ResourceTypes.NAMESPACES, ns);
        assertThat(ns.at("/spec/finalizers").toString()).isEqualTo("[\"kubernetes\"]");
        assertThat(ns.at("/status/phase").asText()).isEqualTo("Active");
        assertThat(ns.at("/metadata/labels/kubernetes.io~1metadata.name").asText()).isEqualTo("ns1");
    }

    @Test
    void networkOnCreate() {
        ObjectNode net = defaulted(ResourceTypes.NETWORKS, "metadata: {name: net1}\nspec: {tenantID: 065f210a2ca9442aad898ab129426350}");
        Defaults.applyOnCreate(ResourceTypes.NETWORKS, net);
        assertThat(net.at("/status/phase").asText()).isEqualTo("Initializing");
    }

    @Test
    void networkWithoutSubnetsGetsTheDefaultOneAndSubnetsTheirFirstAddressAsGateway() {
        ObjectNode seed = defaulted(ResourceTypes.NETWORKS, "metadata: {name: net1}\nspec: {tenantID: 065f210a2ca9442aad898ab129426350}");
        assertThat(seed.at("/spec/subnets/default/cidr").asText()).isEqualTo("10.0.0.0/24");
        assertThat(seed.at("/spec/subnets/default/gateway").asText()).isEqualTo("10.0.0.1");

        ObjectNode own = defaulted(ResourceTypes.NETWORKS, "metadata: {name: net2}\nspec: {tenantID: 065f210a2ca9442aad898ab129426350,"
                + " subnets: {a: {cidr: 192.168.8.0/22}, b: {cidr: 172.16.0.0/16, gateway: 172.16.255.254}, bad: {cidr: 10.0.0.1/24}}}");
        assertThat(own.at("/spec/subnets/a/gateway").asText()).isEqualTo("192.168.8.1");
        assertThat(own.at("/spec/subnets/b/gateway").asText()).isEqualTo("172.16.255.254");
        assertThat(own.at("/spec/subnets/bad/gateway").isMissingNode()).as("left for validation to refuse").isTrue();
        assertThat(own.at("/spec/subnets/default").isMissingNode()).isTrue();

        ObjectNode provider = defaulted(ResourceTypes.NETWORKS, "metadata: {name: net3}\nspec: {tenantID: 065f210a2ca9442aad898ab129426350, providerNetworkID: ext-1}");
        assertThat(provider.at("/spec/subnets").isMissingNode()).isTrue();
    }

    @Test
    void secret() {
        ObjectNode s = defaulted(ResourceTypes.SECRETS, "metadata: {name: s, namespace: n}\nstringData: {user: admin}\ndata: {user: eA==}");
        assertThat(s.get("type").asText()).isEqualTo("Opaque");
        assertThat(s.at("/data/user").asText()).isEqualTo("YWRtaW4=");
        assertThat(s.has("stringData")).isFalse();
    }

    @Test
    void nodeAndEndpoints() {
        ObjectNode node = defaulted(ResourceTypes.NODES, "metadata: {name: n}\nstatus: {capacity: {cpu: '2'}}");
        assertThat(node.at("/status/allocatable/cpu").asText()).isEqualTo("2");
        ObjectNode ep = defaulted(ResourceTypes.ENDPOINTS, "metadata: {name: e}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]");
        assertThat(ep.at("/subsets/0/ports/0/protocol").asText()).isEqualTo("TCP");
    }

    static Stream<Arguments> everything() {
        return Stream.of(
                Arguments.of(ResourceTypes.PODS, CreateValidationTest.POD),
                Arguments.of(ResourceTypes.SERVICES, CreateValidationTest.SERVICE),
                Arguments.of(ResourceTypes.NAMESPACES, CreateValidationTest.NAMESPACE),
                Arguments.of(ResourceTypes.NETWORKS, CreateValidationTest.NETWORK),
                Arguments.of(ResourceTypes.NODES, CreateValidationTest.NODE),
                Arguments.of(ResourceTypes.EVENTS, CreateValidationTest.EVENT),
                Arguments.of(ResourceTypes.CONFIGMAPS, CreateValidationTest.CONFIG_MAP),
                Arguments.of(ResourceTypes.SECRETS, Fixtures.with(CreateValidationTest.SECRET, "stringData.x", "y")),
                Arguments.of(ResourceTypes.ENDPOINTS, CreateValidationTest.ENDPOINTS));
    }

    @ParameterizedTest
    @MethodSource("everything")
    void idempotentAndStillValid(ResourceType type, ObjectNode base) {
        ObjectNode once = base.deepCopy();
        Defaults.apply(type, once);
        Defaults.applyOnCreate(type, once);
        ObjectNode twice = once.deepCopy();
        Defaults.apply(type, twice);
        Defaults.applyOnCreate(type, twice);
        assertThat(twice).isEqualTo(once);
        assertThat(Validation.validateCreate(type, once)).isEmpty();
    }
}
