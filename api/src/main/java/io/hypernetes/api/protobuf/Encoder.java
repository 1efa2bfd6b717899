package io.hypernetes.api.protobuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.hypernetes.api.json.Json;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * One encoding: walks a JSON tree along the compiled plans and writes protobuf into one buffer. Per call, so its
 * scratch space needs no synchronisation; requests run on virtual threads, which rules out thread-local reuse.
 */
final class Encoder {
    final WireWriter w;
    private final Protobuf codec;
    /**
     * Each message being written parks its JSON values here, one slot per field of its plan, so that a single
     * pass over the object (which must happen anyway to reject unknown fields) finds every value; the fields
     * are then written in number order without looking anything up again. Nested messages stack above.
     */
    private JsonNode[] slots = new JsonNode[128];
    private int top;

    Encoder(Protobuf codec, int capacity) {
        this.codec = codec;
        this.w = new WireWriter(capacity);
    }

    void writeStruct(MessagePlan plan, ObjectNode obj, int depth) {
        if (depth > Protobuf.MAX_DEPTH) throw new Malformed("objects nest deeper than " + Protobuf.MAX_DEPTH + " levels");
        int base = top;
        int n = plan.slots();
        if (base + n > slots.length) slots = Arrays.copyOf(slots, Math.max(slots.length * 2, base + n));
        top = base + n;
        JsonNode[] parked = slots;
        for (Map.Entry<String, JsonNode> e : obj.properties()) {
            FieldPlan f = plan.field(e.getKey());
            if (f != null) {
                parked[base + f.slot] = e.getValue();
            } else if (!e.getKey().equals("apiVersion") && !e.getKey().equals("kind")) {
                throw new Malformed("field has no protobuf number in " + plan.name()).at(e.getKey());
            }
        }
        for (FieldPlan f : plan.ordered()) {
            if (f.layout == FieldPlan.Layout.CARRIER) {
                // Go always writes an inlined struct, even when none of its fields is set.
                int start = w.begin(f.number);
                for (FieldPlan g : f.carried) writeParked(g, base, depth + 1);
                w.end(start);
            } else {
                writeParked(f, base, depth);
            }
        }
        top = base;
    }

    /** Writes and clears a parked value; re-reads the array each time because a nested message may grow it. */
    private void writeParked(FieldPlan f, int base, int depth) {
        JsonNode v = slots[base + f.slot];
        if (v == null) return;
        slots[base + f.slot] = null;
        if (v instanceof NullNode) return;
        try {
            switch (f.layout) {
                case SINGLE -> writeValue(f, v, depth);
                case LIST, WRAPPED_LIST -> writeList(f, v, depth);
                case MAP -> writeMap(f, v, depth);
                case CARRIER -> throw new IllegalStateException("carrier " + f.number + " parked as a field");
            }
        } catch (Malformed e) {
            throw e.at(f.json);
        }
    }

    private void writeList(FieldPlan f, JsonNode v, int depth) {
        if (!(v instanceof ArrayNode list)) throw new Malformed("expected a list, got " + v.getNodeType());
        boolean wrapped = f.layout == FieldPlan.Layout.WRAPPED_LIST;
        int start = wrapped ? w.begin(f.number) : -1;
        for (int i = 0, n = list.size(); i < n; i++) {
            JsonNode item = list.get(i);
            try {
                if (item instanceof NullNode) throw new Malformed("null list item");
                writeValue(f, item, depth);
            } catch (Malformed e) {
                throw e.at("[" + i + "]");
            }
        }
        if (wrapped) w.end(start);
    }

    private void writeMap(FieldPlan f, JsonNode v, int depth) {
        if (!(v instanceof ObjectNode map)) throw new Malformed("expected a map, got " + v.getNodeType());
        // Go sorts map keys, so equal maps give equal bytes; most maps arrive sorted already and need no copy.
        String previous = null;
        boolean sorted = true;
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (previous != null && previous.compareTo(e.getKey()) > 0) {
                sorted = false;
                break;
            }
            previous = e.getKey();
        }
        if (sorted) {
            for (Map.Entry<String, JsonNode> e : map.properties()) writeEntry(f, e.getKey(), e.getValue(), depth);
            return;
        }
        @SuppressWarnings("unchecked")
        Map.Entry<String, JsonNode>[] entries = map.properties().toArray(Map.Entry[]::new);
        Arrays.sort(entries, Map.Entry.comparingByKey());
        for (Map.Entry<String, JsonNode> e : entries) writeEntry(f, e.getKey(), e.getValue(), depth);
    }

    private void writeEntry(FieldPlan f, String key, JsonNode value, int depth) {
        if (value instanceof NullNode) return;
        int start = w.begin(f.number);
        w.tag(1 << 3 | WireReader.LEN);
        w.string(key);
        try {
            writeValue(f, value, depth + 1);
        } catch (Malformed ex) {
            throw ex.at("[" + key + "]");
        }
        w.end(start);
    }

    /**
     * One value of the field's kind under its {@link FieldPlan#valueTag}. Each kind has its own small method so
     * the common ones inline here and the rare ones stay out of the way.
     */
    private void writeValue(FieldPlan f, JsonNode v, int depth) {
        switch (f.kind) {
            case TEXT -> writeText(f, v);
            case INT32, INT64 -> writeInteger(f, v);
            case BOOL -> writeBool(f, v);
            case MESSAGE -> writeMessage(f, v, depth);
            case BYTES -> writeBytes(f, v);
            case QUANTITY -> writeQuantity(f, v);
            case INT_OR_STRING -> writeIntOrString(f, v);
            case TIME, MICRO_TIME -> writeTime(f, v);
            case RAW_JSON -> writeRawJson(f, v);
        }
    }

    private void writeText(FieldPlan f, JsonNode v) {
        if (!(v instanceof TextNode t)) throw new Malformed("expected a string, got " + v.getNodeType());
        w.tag(f.valueTag);
        w.string(t.textValue());
    }

    private void writeInteger(FieldPlan f, JsonNode v) {
        long value;
        if (v instanceof IntNode i) {
            value = i.intValue();
        } else if (!v.isIntegralNumber() || !v.canConvertToLong() || (f.kind == FieldPlan.Kind.INT32 && !v.canConvertToInt())) {
            throw new Malformed("expected an " + (f.kind == FieldPlan.Kind.INT32 ? "int32" : "int64") + ", got " + v);
        } else {
            value = v.asLong();
        }
        // int32 is sign-extended to 64 bits, as Go writes negative int32 values.
        w.tag(f.valueTag);
        w.varint(value);
    }

    private void writeBool(FieldPlan f, JsonNode v) {
        if (!(v instanceof BooleanNode b)) throw new Malformed("expected a boolean, got " + v.getNodeType());
        w.tag(f.valueTag);
        w.varint(b.booleanValue() ? 1 : 0);
    }

    private void writeMessage(FieldPlan f, JsonNode v, int depth) {
        if (!(v instanceof ObjectNode o)) throw new Malformed("expected an object, got " + v.getNodeType());
        int start = w.begin(f.valueNumber);
        writeStruct(codec.plan(f), o, depth + 1);
        w.end(start);
    }

    private void writeBytes(FieldPlan f, JsonNode v) {
        if (!(v instanceof TextNode t)) throw new Malformed("expected base64 text, got " + v.getNodeType());
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(t.textValue());
        } catch (IllegalArgumentException e) {
            throw new Malformed("not valid base64: " + e.getMessage());
        }
        w.tag(f.valueTag);
        w.varint(bytes.length);
        w.raw(bytes);
    }

    private void writeQuantity(FieldPlan f, JsonNode v) {
        if (!v.isTextual() && !v.isNumber()) throw new Malformed("expected a quantity, got " + v.getNodeType());
        int start = w.begin(f.valueNumber);
        w.stringField(1, v instanceof TextNode t ? t.textValue() : v.decimalValue().toPlainString());
        w.end(start);
    }

    private void writeIntOrString(FieldPlan f, JsonNode v) {
        int start = w.begin(f.valueNumber);
        // Go writes all three fields whatever the type.
        if (v instanceof TextNode t) {
            w.varintField(1, 1);
            w.varintField(2, 0);
            w.stringField(3, t.textValue());
        } else if (v.isIntegralNumber() && v.canConvertToInt()) {
            w.varintField(1, 0);
            w.varintField(2, v.asInt());
            w.stringField(3, "");
        } else {
            throw new Malformed("expected an int32 or a string, got " + v);
        }
        w.end(start);
    }

    private void writeTime(FieldPlan f, JsonNode v) {
        if (!(v instanceof TextNode t)) throw new Malformed("expected an RFC 3339 time, got " + v.getNodeType());
        String text = t.textValue();
        long seconds = Rfc3339.utcSeconds(text);
        int nanos;
        if (seconds != Rfc3339.NOT_UTC) {
            nanos = f.kind == FieldPlan.Kind.TIME ? 0 : Rfc3339.utcNanos(text);
        } else {
            Instant time = Rfc3339.parse(text);
            if (time == null) throw new Malformed("not an RFC 3339 time: " + text);
            seconds = time.getEpochSecond();
            nanos = time.getNano();
        }
        int start = w.begin(f.valueNumber);
        w.varintField(1, seconds);
        // Time keeps whole seconds only; MicroTime keeps microseconds.
        w.varintField(2, f.kind == FieldPlan.Kind.TIME ? 0 : nanos - nanos % 1000);
        w.end(start);
    }

    private void writeRawJson(FieldPlan f, JsonNode v) {
        int start = w.begin(f.valueNumber);
        w.bytesField(1, Json.bytes(v));
        w.end(start);
    }
}
