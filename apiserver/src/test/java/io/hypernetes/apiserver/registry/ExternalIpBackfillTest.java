package io.hypernetes.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.apiserver.authz.Projects;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services stored without external IP claims (before the rule existed) get them when the registry starts, oldest
 * first, over a real embedded store; the registry's bootstrap runs it, and a second start takes nothing more.
 */
class ExternalIpBackfillTest {
    private static void service(Store store, String ns, String name, String tenant, String created, String spec) {
        String labels = tenant == null ? "" : ", \"labels\": {\"hypernetes.io/tenant\": \"" + tenant + "\"}";
        store.create("/registry/services/" + ns + "/" + name, ("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" + name
                + "\",\"namespace\":\"" + ns + "\",\"creationTimestamp\":\"" + created + "\"" + labels + "},\"spec\":" + spec + "}")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> claims(Store store) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        String prefix = ExternalIps.CLAIM_PREFIX;
        for (KeyValue kv : store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()) {
            JsonNode h = Json.parse(kv.value());
            out.put(kv.key().substring(prefix.length()), h.path("tenant").asText() + " " + h.path("services"));
        }
        return out;
    }

    @Test
    void storedServicesClaimTheirAddressesOldestFirst(@TempDir Path dir) throws IOException {
        try (Store store = EmbeddedStore.open(dir)) {
            // beta's Service is younger than alpha's, though stored first; it loses the shared address
            service(store, "b", "late", "beta", "2026-01-02T00:00:00Z", "{\"externalIPs\":[\"203.0.113.1\",\"203.0.113.2\"]}");
            service(store, "a", "early", "alpha", "2026-01-01T00:00:00Z", "{\"externalIPs\":[\"203.0.113.1\"]}");
            service(store, "a", "also", "alpha", "2026-01-03T00:00:00Z", "{\"externalIPs\":[\"203.0.113.1\",\"2001:db8::1\"]}");
            service(store, "kube-system", "lb", null, "2026-01-04T00:00:00Z",
                    "{\"type\":\"LoadBalancer\",\"loadBalancerIP\":\"198.51.100.1\"}");
            service(store, "a", "plain", "alpha", "2026-01-05T00:00:00Z", "{\"ports\":[{\"port\":80}]}");

            new Registry(store, GenerateNameTest.NO_RULES, Clock.systemUTC(), Projects.UNCHECKED).bootstrap();
            assertThat(claims(store)).containsExactly(
                    Map.entry("198.51.100.1", " [\"kube-system/lb\"]"),
                    Map.entry("203.0.113.1", "alpha [\"a/early\",\"a/also\"]"),
                    Map.entry("203.0.113.2", "beta [\"b/late\"]"));

            long before = store.revision();
            assertThat(ExternalIps.backfill(store)).isZero();
            assertThat(store.revision()).isEqualTo(before);
        }
    }
}
