package io.hypernetes.api.resource;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.quantity.Quantity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodSizeTest {

    private static JsonNode pod(String specYaml) {
        try {
            return Json.YAML.readTree("spec:\n" + specYaml.indent(2));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static void assertSize(JsonNode pod, String cpu, String memory) {
        PodSize size = PodSize.of(pod);
        assertThat(size.cpu()).as("cpu").isEqualTo(Quantity.parse(cpu));
        assertThat(size.memory()).as("memory").isEqualTo(Quantity.parse(memory));
    }

    @Test
    void noResourcesIsTheDefaultVm() {
        assertSize(pod("containers: [{name: a, image: nginx}]"), "1", "128Mi");
        assertSize(pod("containers: []"), "1", "128Mi");
        assertThat(PodSize.of(Json.object())).isEqualTo(PodSize.DEFAULT);
    }

    @Test
    void containersSum() {
        assertSize(pod("""
                containers:
                - {name: a, resources: {requests: {cpu: 500m, memory: 1Gi}}}
                - {name: b, resources: {requests: {cpu: "1.5", memory: 512Mi}}}
                """), "2", "1536Mi");
    }

    @Test
    void limitWinsOverRequestAsTheVmIsGivenItsLimit() {
        assertSize(pod("""
                containers:
                - {name: a, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: "2", memory: 1Gi}}}
                - {name: b, resources: {limits: {cpu: 250m}, requests: {memory: 256Mi}}}
                """), "2250m", "1280Mi");
    }

    @Test
    void eachResourceDefaultsOnItsOwn() {
        assertSize(pod("containers: [{name: a, resources: {requests: {cpu: 250m}}}]"), "250m", "128Mi");
        assertSize(pod("containers: [{name: a, resources: {limits: {memory: 2Gi}}}]"), "1", "2Gi");
        assertSize(pod("containers: [{name: a, resources: {requests: {cpu: \"0\", memory: \"0\"}}}]"), "1", "128Mi");
    }

    @Test
    void initContainersTakeTheMaxNotTheSum() {
        assertSize(pod("""
                initContainers:
                - {name: i1, resources: {requests: {cpu: "3", memory: 64Mi}}}
                - {name: i2, resources: {requests: {cpu: 100m, memory: 4Gi}}}
                containers:
                - {name: a, resources: {requests: {cpu: "1", memory: 1Gi}}}
                - {name: b, resources: {requests: {cpu: "1", memory: 1Gi}}}
                """), "3", "4Gi");
        assertSize(pod("""
                initContainers: [{name: i, resources: {requests: {cpu: 500m}}}]
                containers: [{name: a, resources: {requests: {cpu: "1"}}}]
                """), "1", "128Mi");
    }

    @Test
    void sidecarsRunBesideLaterInitContainersAndTheApp() {
        assertSize(pod("""
                initContainers:
                - {name: early, resources: {requests: {cpu: "2"}}}
                - {name: proxy, restartPolicy: Always, resources: {requests: {cpu: 500m, memory: 100Mi}}}
                - {name: late, resources: {requests: {cpu: "2", memory: 10Mi}}}
                containers:
                - {name: a, resources: {requests: {cpu: "1", memory: 1Gi}}}
                """), "2500m", "1124Mi");
    }

    @Test
    void overheadIsAddedOnTopEvenOfTheDefault() {
        assertSize(pod("""
                overhead: {cpu: 250m, memory: 120Mi}
                containers: [{name: a}]
                """), "1250m", "248Mi");
        assertSize(pod("""
                overhead: {cpu: 100m}
                containers: [{name: a, resources: {requests: {cpu: "2", memory: 1Gi}}}]
                """), "2100m", "1Gi");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "cpu: bogus | 1",
        "cpu: -1 | 1",
        "cpu: 0.5 | 500m",
        "cpu: 2000m | 2",
        "cpu: 1e-1 | 100m",
    })
    void oddQuantities(String request, String cpu) {
        assertSize(pod("containers: [{name: a, resources: {requests: {" + request + "}}}]"), cpu, "128Mi");
    }

    @Test
    void numbersInJsonAreQuantitiesToo() throws Exception {
        JsonNode pod = Json.MAPPER.readTree("""
                {"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":0.25,"memory":1073741824}}}]}}""");
        assertSize(pod, "250m", "1Gi");
    }
}
