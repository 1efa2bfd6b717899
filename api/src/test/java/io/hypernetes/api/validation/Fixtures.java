package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test objects from YAML, and in-place edits by path ({@code spec.containers[0].image}). */
final class Fixtures {
    private static final Pattern SEGMENT = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)\\]|\\[([^\\]]+)\\]");

    private Fixtures() {}

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode value(String yaml) {
        try {
            return Json.YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deep copy of {@code base} with {@code path} set to the YAML {@code value}; "~" removes the field. */
    static ObjectNode with(ObjectNode base, String path, String value) {
        ObjectNode copy = base.deepCopy();
        set(copy, path, value);
        return copy;
    }

    static void set(ObjectNode root, String path, String value) {
        List<String[]> segs = new ArrayList<>();
        Matcher m = SEGMENT.matcher(path);
        while (m.find()) {
            if (m.group(1) != null) segs.add(new String[] {"f", m.group(1)});
            else if (m.group(2) != null) segs.add(new String[] {"i", m.group(2)});
            else segs.add(new String[] {"f", m.group(3).replaceAll("^'|'$", "")});
        }
        JsonNode node = root;
        for (int i = 0; i < segs.size() - 1; i++) {
            String[] s = segs.get(i);
            String[] next = segs.get(i + 1);
            if (s[0].equals("f")) {
                ObjectNode o = (ObjectNode) node;
                if (!o.has(s[1]) || o.get(s[1]).isNull()) {
                    if (next[0].equals("f")) o.putObject(s[1]);
                    else o.putArray(s[1]);
                }
                node = o.get(s[1]);
            } else {
                ArrayNode a = (ArrayNode) node;
                int idx = Integer.parseInt(s[1]);
                while (a.size() <= idx) a.addObject();
                node = a.get(idx);
            }
        }
        String[] last = segs.getLast();
        JsonNode v = value.equals("~") ? null : value(value);
        if (last[0].equals("f")) {
            if (v == null) ((ObjectNode) node).remove(last[1]);
            else ((ObjectNode) node).set(last[1], v);
        } else {
            ArrayNode a = (ArrayNode) node;
            int idx = Integer.parseInt(last[1]);
            if (v == null) {
                a.remove(idx);
            } else {
                while (a.size() <= idx) a.addNull();
                a.set(idx, v);
            }
        }
    }

    /** Errors as "field TYPE" strings, which make table expectations short and failures readable. */
    static List<String> summary(List<FieldError> errs) {
        return errs.stream().map(e -> e.field() + " " + e.type().name()).toList();
    }
}
