package io.hypernetes.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.api.json.Json;
import io.hypernetes.api.quantity.Quantity;
import org.junit.jupiter.api.Test;

class TenantQuotaTest {
    @Test
    void limitsParseAsKubernetesQuantities() {
        var limits = TenantQuota.parse("namespaces=3, pods=10,cpu=1500m,memory=2Gi");
        assertThat(limits).containsOnlyKeys("namespaces", "pods", "cpu", "memory");
        assertThat(limits.get("cpu")).isEqualTo(Quantity.parse("1.5"));
        assertThat(limits.get("memory").value()).isEqualTo(2L << 30);
        assertThat(TenantQuota.parse("")).isEmpty();
    }

    @Test
    void badLimitsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> TenantQuota.parse("gpus=1")).hasMessageContaining("gpus=1");
        assertThatThrownBy(() -> TenantQuota.parse("pods")).hasMessageContaining("resource=quantity");
        assertThatThrownBy(() -> TenantQuota.parse("cpu=lots")).hasMessageStartingWith("cpu:");
        assertThatThrownBy(() -> TenantQuota.parse("memory=-1Gi")).hasMessageContaining("negative");
    }

    @Test
    void aPodCountsItsLimitsElseRequestsElseTheDefaultVm() throws Exception {
        var sized = Json.MAPPER.readTree("""
                {"spec":{"containers":[
                  {"name":"a","resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m"}}},
                  {"name":"b","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}}]}}""");
        var usage = TenantQuota.podUsage(sized);
        assertThat(usage.get("pods")).isEqualTo(Quantity.parse("1"));
        assertThat(usage.get("cpu")).isEqualTo(Quantity.parse("750m"));
        assertThat(usage.get("memory")).isEqualTo(Quantity.parse("320Mi"));

        var bare = TenantQuota.podUsage(Json.MAPPER.readTree("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}"));
        assertThat(bare.get("cpu")).isEqualTo(Quantity.parse(io.hypernetes.api.resource.PodSize.DEFAULT_CPU));
        assertThat(bare.get("memory")).isEqualTo(Quantity.parse(io.hypernetes.api.resource.PodSize.DEFAULT_MEMORY));
    }
}
