package io.hypernetes.client.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InformerQueryTest {
    @Test
    void encodesSelectorsAndTokens() {
        Map<String, String> q = new LinkedHashMap<>();
        assertThat(Informer.query(q)).isEmpty();
        q.put("limit", "500");
        q.put("labelSelector", "app in (a, b),tier!=db");
        q.put("fieldSelector", "spec.nodeName=node-1");
        q.put("continue", "eyJ2IjoxfQ==");
        assertThat(Informer.query(q)).isEqualTo("?limit=500&labelSelector=app%20in%20%28a%2C%20b%29%2Ctier%21%3Ddb"
                + "&fieldSelector=spec.nodeName%3Dnode-1&continue=eyJ2IjoxfQ%3D%3D");
    }

    @Test
    void optionsAreChecked() {
        assertThat(Informer.Options.DEFAULT.pageSize()).isEqualTo(500);
        assertThat(Informer.Options.DEFAULT.withWatchTimeout(Duration.ofSeconds(2)).watchTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> Informer.Options.DEFAULT.withWatchTimeout(Duration.ofMillis(10))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Informer.Options.DEFAULT.withPageSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Informer(null, "/api/v1/pods?watch=true", null, null, Informer.Options.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
