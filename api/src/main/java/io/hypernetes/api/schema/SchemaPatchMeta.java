package io.hypernetes.api.schema;

import io.hypernetes.api.patch.PatchMeta;
import java.util.Set;

/**
 * {@link PatchMeta} read from the schema's {@code x-kubernetes-patch-*} extensions. Obtain one with
 * {@link SchemaRegistry#patchMeta}.
 */
record SchemaPatchMeta(SchemaRegistry registry, Schema type, Set<String> strategies, String mergeKey) implements PatchMeta {

    @Override
    public PatchMeta field(String name) {
        return switch (registry.resolve(type)) {
            case Schema.Struct s -> s.property(name)
                    .<PatchMeta>map(p -> new SchemaPatchMeta(registry, elementType(p.schema()), p.patchStrategies(), p.mergeKey()))
                    .orElse(PatchMeta.NONE);
            // A map's keys are data, not fields: every key leads to the value type, which carries no strategy.
            case Schema.MapOf m -> new SchemaPatchMeta(registry, elementType(m.values()), Set.of(), null);
            case Schema.ListOf l -> new SchemaPatchMeta(registry, l.items(), Set.of(), null).field(name);
            default -> PatchMeta.NONE;
        };
    }

    /** Patches address list items by their fields, so a list field hands on the type of its items. */
    private Schema elementType(Schema s) {
        return registry.resolve(s) instanceof Schema.ListOf(Schema items) ? items : s;
    }
}
