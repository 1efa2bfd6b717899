package io.hypernetes.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as plain maps over jackson-core's streaming parser and generator, for the credential plugin's path: kubectl
 * starts it for each command, and jackson-databind's (and the YAML mapper's) class loading would double its start-up.
 * Objects are {@code Map<String, Object>}, arrays {@code List<Object>}, scalars String, Boolean, Number or null.
 */
final class LightJson {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(50).build())
            .build();

    private LightJson() {}

    /** A JSON object; IOException when the text is not JSON or not an object. */
    static Map<String, Object> parseObject(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("not a JSON object");
            Map<String, Object> value = object(p);
            if (p.nextToken() != null) throw new IOException("trailing data after the JSON object");
            return value;
        }
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            map.put(name, value(p));
        }
        return map;
    }

    private static Object value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) list.add(value(p));
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
            default -> throw new IOException("unexpected " + p.currentToken());
        };
    }

    /** A string field, or null when absent or not a string. */
    static String string(Map<String, Object> object, String field) {
        return object.get(field) instanceof String s ? s : null;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> object, String field) {
        return object.get(field) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Compact JSON of maps, lists, strings, booleans, numbers and nulls. */
    static String write(Map<String, ?> object) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        switch (value) {
            case null -> g.writeNull();
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName((String) e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object o : l) write(g, o);
                g.writeEndArray();
            }
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Number n -> g.writeNumber(n.toString());
            default -> throw new IllegalArgumentException("not JSON: " + value.getClass());
        }
    }
}
