package io.hypernetes.api.apply;

import java.util.ArrayList;
import java.util.List;

/** A path from an object's root to one of its fields, list items or set items. */
public record FieldPath(List<PathElement> elements) {
    public FieldPath {
        elements = List.copyOf(elements);
    }

    /** A path of plain field names: {@code FieldPath.of("metadata", "labels", "app")}. */
    public static FieldPath of(String... fields) {
        List<PathElement> out = new ArrayList<>();
        for (String f : fields) out.add(new PathElement.Field(f));
        return new FieldPath(out);
    }

    public FieldPath append(PathElement e) {
        List<PathElement> out = new ArrayList<>(elements);
        out.add(e);
        return new FieldPath(out);
    }

    public boolean isEmpty() {
        return elements.isEmpty();
    }

    /** As Kubernetes prints it: {@code .spec.containers[name="nginx"].image}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (PathElement e : elements) b.append(e);
        return b.toString();
    }
}
