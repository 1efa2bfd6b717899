package io.hypernetes.api.protobuf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A definition's message compiled for the codec's inner loops, once: decoding finds a field by number in an
 * array, encoding finds it by JSON key in a hash map and writes the fields in number order. {@link MessageType}
 * keeps checking the schema; this only rearranges what it found.
 *
 * @param ordered fields and inline carriers in ascending number order, as the encoder writes them
 * @param byNumber the same for decoding: a field, or the carrier of inlined fields, by number
 * @param byJson every field (carried ones included) by JSON key
 * @param slots how many fields there are; each has its own {@link FieldPlan#slot} below this
 */
record MessagePlan(String name, FieldPlan[] ordered, FieldPlan.NumberTable byNumber, NameTable byJson, int slots) {

    static MessagePlan of(MessageType type) {
        List<FieldPlan> ordered = new ArrayList<>();
        Map<String, FieldPlan> byJson = new HashMap<>();
        int slot = 0;
        for (int number : type.ordered()) {
            Shape.Field f = type.outer().get(number);
            if (f != null) {
                FieldPlan p = FieldPlan.of(f, slot++);
                ordered.add(p);
                byJson.put(p.json, p);
                continue;
            }
            List<FieldPlan> carried = new ArrayList<>();
            for (Shape.Field g : type.inlined().get(number).values()) {
                FieldPlan p = FieldPlan.of(g, slot++);
                carried.add(p);
                byJson.put(p.json, p);
            }
            ordered.add(FieldPlan.carrier(number, carried.toArray(FieldPlan[]::new)));
        }
        FieldPlan[] array = ordered.toArray(FieldPlan[]::new);
        return new MessagePlan(type.name(), array, FieldPlan.NumberTable.of(array), NameTable.of(byJson), slot);
    }

    FieldPlan field(int number) {
        return byNumber.get(number);
    }

    FieldPlan field(String json) {
        return byJson.get(json);
    }

    /**
     * Fields by JSON key, open-addressed with the keys' hashes kept alongside. Keys in a parsed tree are usually
     * the very strings the schema holds (Jackson interns field names), so most probes end on an identity check
     * without calling equals; this lookup runs once per key of every object encoded.
     */
    record NameTable(String[] keys, int[] hashes, FieldPlan[] fields) {
        static NameTable of(Map<String, FieldPlan> byJson) {
            int size = Integer.highestOneBit(Math.max(byJson.size(), 1) * 3) << 1;
            String[] keys = new String[size];
            int[] hashes = new int[size];
            FieldPlan[] fields = new FieldPlan[size];
            for (var e : byJson.entrySet()) {
                int h = e.getKey().hashCode();
                int i = spread(h) & (size - 1);
                while (keys[i] != null) i = (i + 1) & (size - 1);
                keys[i] = e.getKey();
                hashes[i] = h;
                fields[i] = e.getValue();
            }
            return new NameTable(keys, hashes, fields);
        }

        FieldPlan get(String key) {
            int h = key.hashCode();
            int mask = keys.length - 1;
            for (int i = spread(h) & mask; ; i = (i + 1) & mask) {
                String k = keys[i];
                if (k == null) return null;
                if (k == key || (hashes[i] == h && k.equals(key))) return fields[i];
            }
        }

        private static int spread(int h) {
            return h ^ (h >>> 16);
        }
    }
}
