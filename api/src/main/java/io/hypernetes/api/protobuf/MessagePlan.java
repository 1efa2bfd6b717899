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
record MessagePlan(String name, FieldPlan[] ordered, FieldPlan.NumberTable byNumber, Map<String, FieldPlan> byJson,
        int slots) {

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
        return new MessagePlan(type.name(), array, FieldPlan.NumberTable.of(array), Map.copyOf(byJson), slot);
    }

    FieldPlan field(int number) {
        return byNumber.get(number);
    }

    FieldPlan field(String json) {
        return byJson.get(json);
    }
}
