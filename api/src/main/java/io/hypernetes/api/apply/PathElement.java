package io.hypernetes.api.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of a {@link FieldPath}: a field of an object or key of a map, an item of an associative list named by its
 * keys, an item of a set named by its value, or (only where nothing better names an item) a list position. Each has
 * the {@code FieldsV1} spelling ({@code f:}, {@code k:}, {@code v:}, {@code i:}) and the spelling Kubernetes uses in
 * conflict messages ({@code .name}, {@code [name="nginx"]}, {@code [="a"]}, {@code [0]}).
 */
public sealed interface PathElement extends Comparable<PathElement> {

    /** The key of this element in a {@code FieldsV1} object. */
    String fieldsV1();

    /** The element as Kubernetes prints it in a field path. */
    @Override
    String toString();

    /** Position in the FieldsV1 order: fields, then keys, then values, then indexes. */
    int rank();

    @Override
    default int compareTo(PathElement o) {
        if (rank() != o.rank()) return Integer.compare(rank(), o.rank());
        if (this instanceof Index(int a) && o instanceof Index(int b)) return Integer.compare(a, b);
        // same kind, same prefix: comparing names orders as the spellings do, without building them
        if (this instanceof Field(String a) && o instanceof Field(String b)) return a.compareTo(b);
        return fieldsV1().compareTo(o.fieldsV1());
    }

    record Field(String name) implements PathElement {
        public String fieldsV1() {
            return "f:" + name;
        }

        public String toString() {
            return "." + name;
        }

        public int rank() {
            return 0;
        }
    }

    /**
     * An associative-list item by its key fields, spelled as FieldsV1 spells it ({@code k:} and the keys as JSON
     * sorted by name). Equal by spelling, so 80 read from YAML and 80 read from JSON name the same item whatever
     * their node types; the spelling is computed once, as sets compare these often.
     */
    record Key(String fieldsV1, String display) implements PathElement {
        static Key of(ObjectNode keys) {
            List<String> names = new ArrayList<>();
            keys.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            ObjectNode sorted = Json.object();
            List<String> parts = new ArrayList<>();
            for (String n : names) {
                sorted.set(n, keys.get(n));
                parts.add(n + "=" + Json.string(keys.get(n)));
            }
            return new Key("k:" + Json.string(sorted), "[" + String.join(",", parts) + "]");
        }

        @Override
        public String toString() {
            return display;
        }

        public int rank() {
            return 1;
        }
    }

    /** A set item by its value; equal by spelling, as {@link Key}. */
    record Value(String fieldsV1, String display) implements PathElement {
        static Value of(JsonNode value) {
            String json = Json.string(value);
            return new Value("v:" + json, "[=" + json + "]");
        }

        @Override
        public String toString() {
            return display;
        }

        public int rank() {
            return 2;
        }
    }

    record Index(int index) implements PathElement {
        public String fieldsV1() {
            return "i:" + index;
        }

        public String toString() {
            return "[" + index + "]";
        }

        public int rank() {
            return 3;
        }
    }

    /** Reads a FieldsV1 key; a key that is none of the four forms is an {@link IllegalArgumentException}. */
    static PathElement parse(String key) {
        if (key.length() < 2 || key.charAt(1) != ':') throw new IllegalArgumentException("unknown FieldsV1 key " + quote(key));
        String rest = key.substring(2);
        try {
            return switch (key.charAt(0)) {
                case 'f' -> new Field(rest);
                case 'k' -> {
                    if (!(Json.parse(rest.getBytes(java.nio.charset.StandardCharsets.UTF_8)) instanceof ObjectNode o)) {
                        throw new IllegalArgumentException("FieldsV1 key " + quote(key) + " must hold a JSON object");
                    }
                    yield Key.of(o);
                }
                case 'v' -> Value.of(Json.parse(rest.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                case 'i' -> new Index(Integer.parseInt(rest));
                default -> throw new IllegalArgumentException("unknown FieldsV1 key " + quote(key));
            };
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("FieldsV1 key " + quote(key) + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalArgumentException("FieldsV1 key " + quote(key) + " is malformed");
        }
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
