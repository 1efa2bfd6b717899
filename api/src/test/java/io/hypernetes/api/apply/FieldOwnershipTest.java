package io.hypernetes.api.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.schema.SchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Field sets of objects, updates' ownership and apply's merge, over the real core/v1 schema. */
class FieldOwnershipTest {
    static final SchemaRegistry SCHEMA = SchemaRegistry.core();
    static final FieldOwnership PODS = FieldOwnership.of(SCHEMA, "io.k8s.api.core.v1.Pod");
    static final FieldOwnership NODES = FieldOwnership.of(SCHEMA, "io.k8s.api.core.v1.Node");
    static final Instant T1 = Instant.parse("2025-01-01T00:00:00Z");
    static final Instant T2 = Instant.parse("2025-01-01T00:01:00Z");

    static ObjectNode yaml(String s) {
        try {
            return (ObjectNode) Json.YAML.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> paths(FieldSet s) {
        return s.paths().stream().map(FieldPath::toString).toList();
    }

    // ---- set extraction

    static Stream<Arguments> fieldSets() {
        return Stream.of(
                Arguments.of("associative list by merge key; nested keyed list with a defaulted key",
                        PODS, "spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}",
                        List.of(".spec.containers[name=\"web\"]", ".spec.containers[name=\"web\"].image",
                                ".spec.containers[name=\"web\"].name",
                                ".spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"]",
                                ".spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"].containerPort")),
                Arguments.of("map keys with dots are single fields; a map with content is implied, not owned",
                        PODS, "metadata: {labels: {app.kubernetes.io/name: web, tier: front}}",
                        List.of(".metadata.labels.app.kubernetes.io/name", ".metadata.labels.tier")),
                Arguments.of("atomic list and atomic map are owned whole",
                        PODS, "spec: {nodeSelector: {disk: ssd}, containers: [{name: c, command: [sh, -c]}]}",
                        List.of(".spec.containers[name=\"c\"]", ".spec.containers[name=\"c\"].command",
                                ".spec.containers[name=\"c\"].name", ".spec.nodeSelector")),
                Arguments.of("sets by value",
                        NODES, "spec: {podCIDRs: [10.0.0.0/24, 'fd00::/64']}",
                        List.of(".spec.podCIDRs[=\"10.0.0.0/24\"]", ".spec.podCIDRs[=\"fd00::/64\"]")),
                Arguments.of("empty and null objects are owned themselves",
                        PODS, "spec: {securityContext: {}, affinity: null}",
                        List.of(".spec.affinity", ".spec.securityContext")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fieldSets")
    void fieldSetOfAnObject(String why, FieldOwnership kind, String obj, List<String> expected) {
        assertThat(paths(kind.fieldSet(yaml(obj)))).containsExactlyElementsOf(expected);
    }

    @Test
    void keyedItemsMustHaveTheirKeysOnce() {
        assertThatThrownBy(() -> PODS.fieldSet(yaml("spec: {containers: [{image: x}]}")))
                .hasMessageContaining("omits key field \"name\"");
        assertThatThrownBy(() -> PODS.fieldSet(yaml("spec: {containers: [{name: a}, {name: a}]}")))
                .hasMessageContaining("duplicate entries for key [name=\"a\"]");
    }

    // ---- updates

    static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: ns, uid: u1, labels: {app: web}}
            spec:
              containers: [{name: web, image: nginx}]
            """;

    static List<String> managers(JsonNode obj) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : obj.path("metadata").path("managedFields")) {
            out.add(e.path("manager").asText() + "/" + e.path("operation").asText()
                    + (e.has("subresource") ? "/" + e.path("subresource").asText() : ""));
        }
        return out;
    }

    static List<String> owned(JsonNode obj, String manager) {
        for (JsonNode e : obj.path("metadata").path("managedFields")) {
            if (e.path("manager").asText().equals(manager)) return paths(FieldSet.fromFieldsV1(e.get("fieldsV1")));
        }
        return List.of();
    }

    @Test
    void createOwnsWhatTheObjectSetsButNotServerFields() {
        ObjectNode created = PODS.update(null, yaml(POD), "kubectl-create", "", T1);
        assertThat(managers(created)).containsExactly("kubectl-create/Update");
        assertThat(owned(created, "kubectl-create")).containsExactly(".metadata.labels", ".metadata.labels.app",
                ".spec.containers", ".spec.containers[name=\"web\"]", ".spec.containers[name=\"web\"].image",
                ".spec.containers[name=\"web\"].name");
        JsonNode entry = created.path("metadata").path("managedFields").get(0);
        assertThat(entry.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(entry.path("fieldsType").asText()).isEqualTo("FieldsV1");
        assertThat(entry.path("time").asText()).isEqualTo("2025-01-01T00:00:00Z");
        assertThat(entry.path("fieldsV1").path("f:metadata").has(".")).isFalse();
    }

    @Test
    void updateTakesChangedFieldsFromOthersAndDropsEmptyOwners() {
        ObjectNode created = PODS.update(null, yaml(POD), "creator", "", T1);
        ObjectNode relabeled = created.deepCopy();
        relabeled.with("metadata").with("labels").put("app", "api").put("tier", "front");
        ObjectNode after = PODS.update(created, relabeled, "kubectl-label", "", T2);
        assertThat(owned(after, "kubectl-label")).containsExactly(".metadata.labels.app", ".metadata.labels.tier");
        assertThat(owned(after, "creator")).doesNotContain(".metadata.labels.app").contains(".metadata.labels");

        // removing the labels map removes it from every owner; an owner left with nothing is dropped
        ObjectNode unlabeled = after.deepCopy();
        unlabeled.with("metadata").remove("labels");
        ObjectNode last = PODS.update(after, unlabeled, "someone", "", T2);
        assertThat(managers(last)).containsExactly("creator/Update");
        assertThat(owned(last, "creator")).noneMatch(p -> p.startsWith(".metadata"));
    }

    @Test
    void updatesOfOneManagerShareAnEntryAndNoChangeIsNoEntry() {
        ObjectNode created = PODS.update(null, yaml(POD), "m", "", T1);
        ObjectNode same = PODS.update(created, created.deepCopy(), "other", "", T2);
        assertThat(managers(same)).containsExactly("m/Update");
        ObjectNode changed = created.deepCopy();
        changed.with("metadata").with("labels").put("x", "1");
        ObjectNode again = PODS.update(created, changed, "m", "", T2);
        assertThat(managers(again)).containsExactly("m/Update");
        assertThat(owned(again, "m")).contains(".metadata.labels.x", ".spec.containers[name=\"web\"].image");
        assertThat(again.path("metadata").path("managedFields").get(0).path("time").asText()).isEqualTo("2025-01-01T00:01:00Z");
    }

    @Test
    void subresourceWritesAreTheirOwnEntries() {
        ObjectNode created = PODS.update(null, yaml(POD), "m", "", T1);
        ObjectNode status = created.deepCopy();
        status.putObject("status").put("phase", "Running");
        ObjectNode after = PODS.update(created, status, "kubelet", "status", T2);
        assertThat(managers(after)).containsExactly("m/Update", "kubelet/Update/status");
        assertThat(owned(after, "kubelet")).containsExactly(".status.phase");
    }

    @Test
    void clientSentManagedFieldsAreUsedResetOrIgnoredWhenBroken() {
        ObjectNode created = PODS.update(null, yaml(POD), "m", "", T1);
        ObjectNode reset = created.deepCopy();
        reset.with("metadata").putArray("managedFields").addObject();
        assertThat(PODS.update(created, reset, "x", "", T2).path("metadata").has("managedFields")).isFalse();

        ObjectNode broken = created.deepCopy();
        broken.with("metadata").putArray("managedFields").addObject().put("operation", "Delete");
        assertThat(managers(PODS.update(created, broken, "x", "", T2))).containsExactly("m/Update");

        ObjectNode rewritten = created.deepCopy();
        ((ObjectNode) rewritten.path("metadata").path("managedFields").get(0)).put("manager", "renamed");
        assertThat(managers(PODS.update(created, rewritten, "x", "", T2))).containsExactly("renamed/Update");
    }

    // ---- apply

    static ObjectNode applied(ObjectNode live, String config, String manager, boolean force) {
        ObjectNode c = yaml(config);
        c.put("apiVersion", "v1").put("kind", "Pod");
        c.with("metadata").put("name", "p");
        return PODS.apply(live, c, manager, force, T2);
    }

    @Test
    void applyCreatesAndOwnsExactlyTheConfig() {
        ObjectNode obj = applied(null, "metadata: {name: p, labels: {a: '1'}}\nspec: {containers: [{name: c, image: i}]}", "ssa", false);
        assertThat(managers(obj)).containsExactly("ssa/Apply");
        assertThat(owned(obj, "ssa")).containsExactly(".metadata.labels.a", ".spec.containers[name=\"c\"]",
                ".spec.containers[name=\"c\"].image", ".spec.containers[name=\"c\"].name");
        assertThat(obj.path("metadata").path("managedFields").get(0).has("subresource")).isFalse();
    }

    @Test
    void applyAddsChangesAndRemovesWhatItNoLongerApplies() {
        ObjectNode v1 = applied(null, "metadata: {name: p, labels: {a: '1', b: '2'}}\nspec: {containers: [{name: c, image: i}, {name: d, image: j}]}", "ssa", false);
        ObjectNode v2 = applied(v1, "metadata: {name: p, labels: {a: '9', z: '3'}}\nspec: {containers: [{name: c, image: i2}]}", "ssa", false);
        assertThat(v2.path("metadata").path("labels")).isEqualTo(yaml("{a: '9', z: '3'}"));
        assertThat(v2.path("spec").path("containers")).isEqualTo(yaml("{x: [{name: c, image: i2}]}").get("x"));
        assertThat(owned(v2, "ssa")).doesNotContain(".metadata.labels.b", ".spec.containers[name=\"d\"]");
    }

    @Test
    void applyKeepsFieldsOthersOwnAndSharesEqualValues() {
        ObjectNode mine = applied(null, "metadata: {name: p, labels: {a: '1', b: '2'}}", "one", false);
        // another applier sets b to the value it has: no conflict, both own it
        ObjectNode shared = applied(mine, "metadata: {name: p, labels: {b: '2'}}", "two", false);
        assertThat(owned(shared, "one")).contains(".metadata.labels.b");
        assertThat(owned(shared, "two")).containsExactly(".metadata.labels.b");
        // the first stops applying b: b stays (two owns it), one merely lets go
        ObjectNode released = applied(shared, "metadata: {name: p, labels: {a: '1'}}", "one", false);
        assertThat(released.path("metadata").path("labels").path("b").asText()).isEqualTo("2");
        assertThat(owned(released, "one")).containsExactly(".metadata.labels.a");
    }

    @Test
    void applyConflictsOnChangedFieldsOfOthersUnlessForced() {
        ObjectNode created = PODS.update(null, yaml(POD), "kubectl-create", "", T1);
        ApplyConflictException e = org.junit.jupiter.api.Assertions.assertThrows(ApplyConflictException.class,
                () -> applied(created, "metadata: {name: p, labels: {app: other}}\nspec: {containers: [{name: web, image: nginx:2}]}", "ssa", false));
        assertThat(e.conflicts()).extracting(c -> c.manager() + " " + c.path()).containsExactly(
                "\"kubectl-create\" using v1 .metadata.labels.app",
                "\"kubectl-create\" using v1 .spec.containers[name=\"web\"].image");
        assertThat(e.getMessage()).startsWith("Apply failed with 2 conflicts: conflicts with \"kubectl-create\" using v1:\n- .metadata.labels.app\n- ");

        ObjectNode forced = applied(created, "metadata: {name: p, labels: {app: other}}", "ssa", true);
        assertThat(forced.path("metadata").path("labels").path("app").asText()).isEqualTo("other");
        assertThat(owned(forced, "ssa")).containsExactly(".metadata.labels.app");
        assertThat(owned(forced, "kubectl-create")).doesNotContain(".metadata.labels.app").contains(".metadata.labels");

        ApplyConflictException one = org.junit.jupiter.api.Assertions.assertThrows(ApplyConflictException.class,
                () -> applied(forced, "metadata: {name: p, labels: {app: again}}", "third", false));
        assertThat(one.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with \"ssa\": .metadata.labels.app");
    }

    @Test
    void kubectlTakesOverWhatClientSideApplySetUnchanged() {
        String config = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\"}}}";
        ObjectNode live = yaml(POD);
        live.with("metadata").putObject("annotations").put(FieldOwnership.LAST_APPLIED, config);
        live = PODS.update(null, live, "kubectl-client-side-apply", "", T1);
        ObjectNode labeled = live.deepCopy();
        labeled.with("metadata").with("labels").put("tier", "web");
        labeled = PODS.update(live, labeled, "kubectl-label", "", T1);

        ObjectNode fromLabel = labeled;
        ApplyConflictException e = org.junit.jupiter.api.Assertions.assertThrows(ApplyConflictException.class,
                () -> applied(fromLabel, "metadata: {name: p, labels: {app: web2, tier: db}}", "kubectl", false));
        // app was set by client-side apply and still has that value: only tier is contested
        assertThat(e.conflicts()).extracting(c -> c.path().toString()).containsExactly(".metadata.labels.tier");

        ObjectNode upgraded = applied(labeled, "metadata: {name: p, labels: {app: web2, tier: web}}", "kubectl", false);
        assertThat(upgraded.path("metadata").path("labels").path("app").asText()).isEqualTo("web2");
        assertThat(upgraded.path("metadata").path("annotations").path(FieldOwnership.LAST_APPLIED).asText()).contains("web2");
        // another manager name gets no such leniency
        assertThatThrownBy(() -> applied(fromLabel, "metadata: {name: p, labels: {app: web2}}", "other", false))
                .isInstanceOf(ApplyConflictException.class);
    }

    @Test
    void applyMergesBySchema() {
        ObjectNode live = PODS.update(null, yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  nodeSelector: {disk: ssd, zone: a}
                  containers: [{name: a, image: x, command: [one, two]}, {name: b, image: y}]
                """), "creator", "", T1);
        ObjectNode out = applied(live, "spec: {nodeSelector: {disk: hdd}, containers: [{name: c, image: z}, {name: a, command: [three]}]}", "ssa", true);
        // atomic map and atomic list are replaced; the keyed list merges by name, live order first
        assertThat(out.path("spec").path("nodeSelector")).isEqualTo(yaml("{disk: hdd}"));
        assertThat(out.path("spec").path("containers")).isEqualTo(yaml("""
                x: [{name: a, image: x, command: [three]}, {name: b, image: y}, {name: c, image: z}]""").get("x"));
    }

    @Test
    void applyRefusesManagedFieldsInTheConfig() {
        assertThatThrownBy(() -> applied(null, "metadata: {name: p, managedFields: [{manager: x}]}", "m", false))
                .hasMessage("metadata.managedFields must be nil");
    }
}
