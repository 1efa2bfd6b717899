package io.hypernetes.apiserver.authz;

import static org.assertj.core.api.Assertions.assertThat;

import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceTypes;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TenancyMarkerTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theMarkerIsWhatJacksonWritesForTheLabelAndTheNetworkTenant() throws Exception {
        String project = "0123456789abcdef0123456789abcdef";
        var pod = Json.object();
        pod.putObject("metadata").put("name", "p").putObject("labels").put("app", "x").put(Tenancy.LABEL, project);
        assertThat(Tenancy.contains(Json.bytes(pod), Tenancy.storedMarker(ResourceTypes.PODS, project))).isTrue();
        var network = Json.object();
        network.putObject("spec").put("tenantID", project);
        assertThat(Tenancy.contains(Json.bytes(network), Tenancy.storedMarker(ResourceTypes.NETWORKS, project))).isTrue();
        // another tenant's object, and one that merely mentions the id elsewhere, do not match / are checked decoded
        pod.with("metadata").with("labels").put(Tenancy.LABEL, "fedcba9876543210fedcba9876543210");
        assertThat(Tenancy.contains(Json.bytes(pod), Tenancy.storedMarker(ResourceTypes.PODS, project))).isFalse();
        var access = new Access.Tenant(project, true);
        pod.with("metadata").with("annotations").put("note", "\"" + Tenancy.LABEL + "\":\"" + project + "\"");
        assertThat(access.sees(ResourceTypes.PODS, Json.MAPPER.readTree(Json.bytes(pod)))).isFalse();
    }

    @Test
    void containsFindsNeedlesAtEveryPosition() {
        assertThat(Tenancy.contains(bytes("abc"), bytes("abc"))).isTrue();
        assertThat(Tenancy.contains(bytes("xxabc"), bytes("abc"))).isTrue();
        assertThat(Tenancy.contains(bytes("abcxx"), bytes("abc"))).isTrue();
        assertThat(Tenancy.contains(bytes("ababd"), bytes("abd"))).isTrue();
        assertThat(Tenancy.contains(bytes("ab"), bytes("abc"))).isFalse();
        assertThat(Tenancy.contains(bytes(""), bytes("a"))).isFalse();
        assertThat(Tenancy.contains(bytes("abxc"), bytes("abc"))).isFalse();
    }
}
