package io.hypernetes.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.resource.ResourceType;
import io.hypernetes.api.resource.ResourceTypes;
import io.hypernetes.api.validation.FieldError;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.apiserver.authz.Projects;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RangeResult;
import io.hypernetes.store.Store;
import io.hypernetes.store.embedded.EmbeddedStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated name that is taken is retried with a fresh suffix. Random five-letter suffixes practically never
 * collide, so the collision is forced: a real embedded store behind a wrapper that refuses the first creates as
 * if the key existed.
 */
class GenerateNameTest {
    /** Accepts everything: this test is about names, not about the kind's rules. */
    static final ObjectRules NO_RULES = new ObjectRules() {
        @Override
        public void applyDefaults(ResourceType type, ObjectNode obj) {}

        @Override
        public void applyCreateDefaults(ResourceType type, ObjectNode obj) {}

        @Override
        public List<FieldError> validateCreate(ResourceType type, ObjectNode obj) {
            return List.of();
        }

        @Override
        public List<FieldError> validateUpdate(ResourceType type, ObjectNode obj, ObjectNode old) {
            return List.of();
        }
    };

    /** Refuses the first {@code refusals} creates under /registry/configmaps/ as taken. */
    record Crowded(Store real, AtomicInteger refusals, List<String> tried) implements Store {
        @Override
        public KeyValue create(String key, byte[] value) {
            if (key.startsWith("/registry/configmaps/")) {
                tried.add(key);
                if (refusals.getAndDecrement() > 0) throw new KeyExistsException(key);
            }
            return real.create(key, value);
        }

        @Override public long revision() { return real.revision(); }
        @Override public long compactedRevision() { return real.compactedRevision(); }
        @Override public java.util.Optional<KeyValue> get(String key) { return real.get(key); }
        @Override public RangeResult range(String from, String to, long at, int limit) { return real.range(from, to, at, limit); }
        @Override public KeyValue update(String key, byte[] value, long rev) { return real.update(key, value, rev); }
        @Override public Deleted delete(String key, long rev) { return real.delete(key, rev); }
        @Override public Watch watch(String from, String to, long start) { return real.watch(from, to, start); }
        @Override public void compact(long revision) { real.compact(revision); }
        @Override public void close() { real.close(); }
    }

    static ObjectNode generated() {
        ObjectNode cm = Json.object().put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("generateName", "web-");
        return cm;
    }

    @Test
    void collisionIsRetriedWithANewName(@TempDir Path dir) {
        try (Store real = EmbeddedStore.open(dir)) {
            Crowded store = new Crowded(real, new AtomicInteger(3), new java.util.ArrayList<>());
            Registry registry = new Registry(store, NO_RULES, Clock.systemUTC(), Projects.UNCHECKED);
            registry.bootstrap();
            ObjectNode created = registry.of(ResourceTypes.CONFIGMAPS).create("default", generated(), false, ResourceStore.SERVER_MANAGER);
            assertThat(store.tried()).hasSize(4);
            assertThat(created.path("metadata").path("name").asText()).matches("web-[a-z0-9]{5}");
            assertThat(store.tried().getLast()).endsWith("/" + created.path("metadata").path("name").asText());
            assertThat(registry.of(ResourceTypes.CONFIGMAPS).find("default", created.path("metadata").path("name").asText())).isPresent();
        }
    }

    @Test
    void givesUpAfterAFewAttempts(@TempDir Path dir) {
        try (Store real = EmbeddedStore.open(dir)) {
            Crowded store = new Crowded(real, new AtomicInteger(1000), new java.util.ArrayList<>());
            Registry registry = new Registry(store, NO_RULES, Clock.systemUTC(), Projects.UNCHECKED);
            registry.bootstrap();
            long before = real.revision();
            assertThatThrownBy(() -> registry.of(ResourceTypes.CONFIGMAPS).create("default", generated(), false, ResourceStore.SERVER_MANAGER))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(409));
            assertThat(store.tried().size()).isBetween(2, 20);
            assertThat(real.revision()).isEqualTo(before);
        }
    }
}
