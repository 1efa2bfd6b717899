package io.hypernetes.api.patch;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Hand-built {@link PatchMeta} for tests; fields resolve lazily so types may nest recursively. */
final class TestMeta implements PatchMeta {
    private final Set<String> strategies;
    private final String mergeKey;
    private final Map<String, Supplier<PatchMeta>> fields = new HashMap<>();

    private TestMeta(Set<String> strategies, String mergeKey) {
        this.strategies = strategies;
        this.mergeKey = mergeKey;
    }

    /** A plain object field (or the root). */
    static TestMeta object() {
        return new TestMeta(Set.of(), null);
    }

    /** A list or map field with the given comma-separated strategies and optional merge key. */
    static TestMeta of(String strategies, String mergeKey) {
        return new TestMeta(strategies.isEmpty() ? Set.of() : Set.of(strategies.split(",")), mergeKey);
    }

    TestMeta with(String field, PatchMeta meta) {
        fields.put(field, () -> meta);
        return this;
    }

    TestMeta with(String field, Supplier<PatchMeta> meta) {
        fields.put(field, meta);
        return this;
    }

    @Override
    public PatchMeta field(String name) {
        Supplier<PatchMeta> s = fields.get(name);
        return s == null ? NONE : s.get();
    }

    @Override
    public Set<String> strategies() {
        return strategies;
    }

    @Override
    public String mergeKey() {
        return mergeKey;
    }

    /** The slice of core/v1 and apps/v1 the fixtures touch, with Kubernetes' real tags. */
    static PatchMeta workloads() {
        TestMeta container = of("merge", "name")
                .with("ports", of("merge", "containerPort"))
                .with("env", of("merge", "name"))
                .with("volumeMounts", of("merge", "mountPath"));
        TestMeta podSpec = object()
                .with("containers", container)
                .with("initContainers", container)
                .with("volumes", of("merge,retainKeys", "name"))
                .with("imagePullSecrets", of("merge", "name"))
                .with("tolerations", of("", null));
        TestMeta metadata = object()
                .with("finalizers", of("merge", null))
                .with("ownerReferences", of("merge", "uid"));
        TestMeta spec = object()
                .with("containers", container)
                .with("initContainers", container)
                .with("volumes", of("merge,retainKeys", "name"))
                .with("tolerations", of("", null))
                .with("strategy", of("retainKeys", null))
                .with("selector", of("replace", null))
                .with("template", object().with("metadata", metadata).with("spec", podSpec));
        return object().with("metadata", metadata).with("spec", spec);
    }
}
