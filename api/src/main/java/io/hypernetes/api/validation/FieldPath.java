package io.hypernetes.api.validation;

/** A field path written the way Kubernetes prints it: {@code spec.containers[0].ports[1].name}, {@code data[key]}. */
record FieldPath(String text) {
    static FieldPath of(String first) {
        return new FieldPath(first);
    }

    FieldPath child(String name) {
        return new FieldPath(text.isEmpty() ? name : text + "." + name);
    }

    FieldPath index(int i) {
        return new FieldPath(text + "[" + i + "]");
    }

    FieldPath key(String key) {
        return new FieldPath(text + "[" + key + "]");
    }

    @Override
    public String toString() {
        return text;
    }
}
