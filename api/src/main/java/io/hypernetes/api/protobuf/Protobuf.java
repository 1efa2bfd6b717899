package io.hypernetes.api.protobuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.schema.Definition;
import io.hypernetes.api.schema.SchemaRegistry;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kubernetes' protobuf wire format ({@code application/vnd.kubernetes.protobuf}) for every type of the schema,
 * driven by the {@code x-protobuf} numbers in {@code core-v1.yaml}: no code is generated per type.
 *
 * <p>A body is an envelope: the four bytes {@code k8s\0}, then a {@code runtime.Unknown} message whose typeMeta
 * (1) holds apiVersion (1) and kind (2), whose raw (2) is the object's own message, and whose contentEncoding (3)
 * and contentType (4) are empty. The object message leaves apiVersion and kind out; decoding puts them back from
 * the envelope, so the result looks like the JSON a client would have sent.
 *
 * <p>Decoding follows Go: unknown field numbers are skipped, a repeated non-message field may arrive packed or
 * not, a field seen twice keeps the last scalar and merges messages. Go writes every non-pointer field, zero or
 * not, so a zero scalar means "unset" and decodes to an absent field unless the schema marks it keepZero (a Go
 * pointer or a field JSON always shows); nested messages always appear, as {@code {}} when empty, because Go's
 * JSON never omits a struct. Anything malformed fails with a {@link ProtobufException} naming the field path.
 */
public final class Protobuf {
    /** The prefix of every Kubernetes protobuf body. */
    private static final byte[] MAGIC = {'k', '8', 's', 0};
    /** Deeper than any served type nests; a body past this is hostile or broken, and recursion must stay bounded. */
    static final int MAX_DEPTH = 100;
    /** Go's {@code time.RFC3339} as MicroTime writes it: always six fraction digits. */
    private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSXXX");
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");
    private static final String WATCH_EVENT = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";

    private static final class Holder {
        static final Protobuf CORE = new Protobuf(SchemaRegistry.core());
    }

    private final SchemaRegistry registry;
    private final Map<String, MessageType> messages = new ConcurrentHashMap<>();

    public Protobuf(SchemaRegistry registry) {
        this.registry = registry;
    }

    /** The codec for everything Hypernetes serves. */
    public static Protobuf core() {
        return Holder.CORE;
    }

    /** True when the bytes start with the Kubernetes protobuf prefix. */
    public static boolean isEnvelope(byte[] body) {
        return body.length >= MAGIC.length && Arrays.equals(body, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /**
     * Decodes a request body: magic, runtime.Unknown, then the object of the kind its typeMeta names.
     *
     * @throws ProtobufException if the bytes are malformed or the kind is not served
     */
    public ObjectNode decode(byte[] envelope) {
        try {
            return decodeEnvelope(envelope, 0);
        } catch (Malformed e) {
            throw e.toException("protobuf body");
        }
    }

    /**
     * Encodes an object (with apiVersion and kind set) as an envelope, as the Kubernetes API server would answer.
     *
     * @throws ProtobufException if the kind is not served or a value does not fit its field
     */
    public byte[] encode(JsonNode object) {
        WireWriter w = new WireWriter();
        w.raw(MAGIC);
        writeUnknown(w, object);
        return w.toByteArray();
    }

    /**
     * One event of a protobuf watch stream: a {@code metav1.WatchEvent} message with type (1) and object (2, a
     * RawExtension whose raw is the object's envelope). The stream frames each such message with its length as
     * four big-endian bytes; see {@link #frame}.
     */
    public byte[] encodeWatchEvent(String type, JsonNode object) {
        WireWriter w = new WireWriter();
        w.stringField(1, type);
        int ext = w.begin(2);
        w.bytesField(1, encode(object));
        w.end(ext);
        return w.toByteArray();
    }

    /** Reads a message written by {@link #encodeWatchEvent}, as the JSON watch stream would show it. */
    public ObjectNode decodeWatchEvent(byte[] message) {
        try {
            return (ObjectNode) decodeMessage(message, WATCH_EVENT, 0);
        } catch (Malformed e) {
            throw e.toException("protobuf watch event");
        }
    }

    /** Prefixes a watch event with its length, as Kubernetes' length-delimited framer does. */
    public static byte[] frame(byte[] message) {
        byte[] out = new byte[message.length + 4];
        int n = message.length;
        out[0] = (byte) (n >>> 24);
        out[1] = (byte) (n >>> 16);
        out[2] = (byte) (n >>> 8);
        out[3] = (byte) n;
        System.arraycopy(message, 0, out, 4, n);
        return out;
    }

    // ---- envelope

    private ObjectNode decodeEnvelope(byte[] body, int depth) {
        if (!isEnvelope(body)) {
            throw new Malformed("missing the Kubernetes prefix \"k8s\\0\" (is the body really protobuf?)");
        }
        WireReader r = new WireReader(body, MAGIC.length, body.length);
        String apiVersion = "";
        String kind = "";
        byte[] raw = null;
        String contentEncoding = "";
        String contentType = "";
        while (!r.done()) {
            int tag = r.readTag();
            int number = tag >>> 3;
            if (number <= 4 && (tag & 7) != WireReader.LEN) {
                throw new Malformed("runtime.Unknown field " + number + " must be length-delimited, got wire type " + (tag & 7));
            }
            switch (number) {
                case 1 -> {
                    WireReader tm = r.readDelimited();
                    while (!tm.done()) {
                        int t = tm.readTag();
                        if ((t >>> 3) == 1 && (t & 7) == WireReader.LEN) apiVersion = tm.readString();
                        else if ((t >>> 3) == 2 && (t & 7) == WireReader.LEN) kind = tm.readString();
                        else if ((t >>> 3) <= 2) throw new Malformed("runtime.TypeMeta field " + (t >>> 3) + " has wire type " + (t & 7));
                        else tm.skip(t & 7);
                    }
                }
                case 2 -> raw = r.readBytes();
                case 3 -> contentEncoding = r.readString();
                case 4 -> contentType = r.readString();
                default -> r.skip(tag & 7);
            }
        }
        if (!contentEncoding.isEmpty()) {
            throw new Malformed("protobuf content encoding \"" + contentEncoding + "\" is not supported");
        }
        if (!contentType.isEmpty() && !contentType.equals("application/vnd.kubernetes.protobuf")) {
            throw new Malformed("embedded content type \"" + contentType + "\" is not supported");
        }
        if (kind.isEmpty()) throw new Malformed("no kind in the envelope's typeMeta");
        if (apiVersion.isEmpty()) throw new Malformed("no apiVersion in the envelope's typeMeta");
        String k = kind;
        String v = apiVersion;
        Definition def = registry.forKind(apiVersion, kind)
                .orElseThrow(() -> new Malformed("kind " + k + " of " + v + " is not served"));
        ObjectNode out = Json.object();
        out.put("apiVersion", apiVersion);
        out.put("kind", kind);
        if (raw != null) {
            try {
                readStruct(new WireReader(raw, 0, raw.length), type(def.name()), out, depth + 1);
            } catch (Malformed e) {
                // Flattened so that an envelope nested in a RawExtension reads "Pod field spec...: ..." within its parent's path.
                throw new Malformed(e.toException(kind).getMessage());
            }
        }
        return out;
    }

    private void writeUnknown(WireWriter w, JsonNode object) {
        if (!(object instanceof ObjectNode obj)) throw new ProtobufException("only objects can be encoded, got " + object.getNodeType());
        String apiVersion = obj.path("apiVersion").asText("");
        String kind = obj.path("kind").asText("");
        Definition def = registry.forKind(apiVersion, kind)
                .orElseThrow(() -> new ProtobufException("kind " + kind + " of " + apiVersion + " is not served"));
        int tm = w.begin(1);
        w.stringField(1, apiVersion);
        w.stringField(2, kind);
        w.end(tm);
        int raw = w.begin(2);
        try {
            writeStruct(w, type(def.name()), obj, 1);
        } catch (Malformed e) {
            throw e.toException("cannot encode " + kind + " as protobuf");
        }
        w.end(raw);
        // Go writes the empty contentEncoding and contentType too; doing the same keeps bytes identical.
        w.stringField(3, "");
        w.stringField(4, "");
    }

    private MessageType type(String definition) {
        MessageType t = messages.get(definition);
        if (t != null) return t;
        Definition d = registry.definition(definition)
                .orElseThrow(() -> new IllegalStateException("schema has no definition " + definition));
        return messages.computeIfAbsent(definition, n -> MessageType.compile(registry, d));
    }

    /** Compiles every message the schema declares, so a schema mistake fails a test instead of a request. */
    public void checkSchema() {
        for (Definition d : registry.definitions()) {
            if (d.protobufEncoding() == null && d.schema() instanceof io.hypernetes.api.schema.Schema.Struct s
                    && s.properties().values().stream().anyMatch(p -> p.protobuf() != null)) {
                type(d.name());
            }
        }
    }

    // ---- decoding

    private JsonNode decodeMessage(byte[] message, String definition, int depth) {
        ObjectNode out = Json.object();
        readStruct(new WireReader(message, 0, message.length), type(definition), out, depth + 1);
        return out;
    }

    private void readStruct(WireReader r, MessageType type, ObjectNode out, int depth) {
        if (depth > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
        while (!r.done()) {
            int tag = r.readTag();
            int number = tag >>> 3;
            int wireType = tag & 7;
            Shape.Field f = type.outer().get(number);
            if (f != null) {
                try {
                    readField(r, wireType, f, out, depth);
                } catch (Malformed e) {
                    throw e.at(f.json());
                }
                continue;
            }
            Map<Integer, Shape.Field> carried = type.inlined().get(number);
            if (carried != null) {
                expect(wireType, WireReader.LEN, number);
                // The carrier's fields land in the same JSON object: Go inlines the struct there.
                WireReader inner = r.readDelimited();
                if (depth + 1 > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
                while (!inner.done()) {
                    int t = inner.readTag();
                    Shape.Field g = carried.get(t >>> 3);
                    if (g == null) {
                        inner.skip(t & 7);
                        continue;
                    }
                    try {
                        readField(inner, t & 7, g, out, depth + 1);
                    } catch (Malformed e) {
                        throw e.at(g.json());
                    }
                }
                continue;
            }
            r.skip(wireType);
        }
    }

    private void readField(WireReader r, int wireType, Shape.Field f, ObjectNode out, int depth) {
        switch (f.shape()) {
            case Shape.Repeated(Shape item, boolean wrapped) -> {
                ArrayNode list = out.get(f.json()) instanceof ArrayNode a ? a : out.putArray(f.json());
                if (wrapped) {
                    expect(wireType, WireReader.LEN, f.number());
                    WireReader inner = r.readDelimited();
                    while (!inner.done()) {
                        int t = inner.readTag();
                        if ((t >>> 3) != 1) {
                            inner.skip(t & 7);
                            continue;
                        }
                        readRepeated(inner, t & 7, item, list, depth + 1);
                    }
                } else {
                    readRepeated(r, wireType, item, list, depth);
                }
            }
            case Shape.Entries(Shape value) -> {
                expect(wireType, WireReader.LEN, f.number());
                ObjectNode map = out.get(f.json()) instanceof ObjectNode o ? o : out.putObject(f.json());
                readEntry(r.readDelimited(), value, map, depth + 1);
            }
            case Shape.Message(String def) -> {
                expect(wireType, WireReader.LEN, f.number());
                ObjectNode into = out.get(f.json()) instanceof ObjectNode o ? o : out.putObject(f.json());
                readStruct(r.readDelimited(), type(def), into, depth + 1);
            }
            default -> {
                JsonNode v = readSingle(r, wireType, f.shape(), f.number(), depth);
                if (v == null || (!f.keepZero() && isZero(v, f.shape()))) out.remove(f.json());
                else out.set(f.json(), v);
            }
        }
    }

    private void readRepeated(WireReader r, int wireType, Shape item, ArrayNode list, int depth) {
        boolean numeric = item instanceof Shape.Integer || item instanceof Shape.Bool;
        if (numeric && wireType == WireReader.LEN) {
            // Packed: Go's gogo writes these unpacked, but proto decoders accept both forms.
            WireReader packed = r.readDelimited();
            while (!packed.done()) list.add(readSingle(packed, WireReader.VARINT, item, 0, depth));
            return;
        }
        switch (item) {
            case Shape.Message(String def) -> {
                expect(wireType, WireReader.LEN, 0);
                ObjectNode o = list.addObject();
                readStruct(r.readDelimited(), type(def), o, depth + 1);
            }
            default -> {
                JsonNode v = readSingle(r, wireType, item, 0, depth);
                if (v == null) v = zeroOf(item);
                list.add(v);
            }
        }
    }

    private void readEntry(WireReader r, Shape value, ObjectNode map, int depth) {
        if (depth > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
        String key = "";
        JsonNode v = null;
        while (!r.done()) {
            int t = r.readTag();
            switch (t >>> 3) {
                case 1 -> {
                    expect(t & 7, WireReader.LEN, 1);
                    key = r.readString();
                }
                case 2 -> {
                    if (value instanceof Shape.Message(String def)) {
                        expect(t & 7, WireReader.LEN, 2);
                        ObjectNode o = v instanceof ObjectNode existing ? existing : Json.object();
                        readStruct(r.readDelimited(), type(def), o, depth + 1);
                        v = o;
                    } else {
                        v = readSingle(r, t & 7, value, 2, depth);
                    }
                }
                default -> r.skip(t & 7);
            }
        }
        if (v == null) v = value instanceof Shape.Message ? Json.object() : zeroOf(value);
        map.set(key, v);
    }

    /** One non-repeated value; null for a special type that Go decodes to its zero (empty Time). */
    private JsonNode readSingle(WireReader r, int wireType, Shape shape, int number, int depth) {
        return switch (shape) {
            case Shape.Text t -> {
                expect(wireType, WireReader.LEN, number);
                yield Json.NODES.textNode(r.readString());
            }
            case Shape.Bytes b -> {
                expect(wireType, WireReader.LEN, number);
                yield Json.NODES.textNode(Base64.getEncoder().encodeToString(r.readBytes()));
            }
            case Shape.Integer(boolean int32) -> {
                expect(wireType, WireReader.VARINT, number);
                long v = r.readVarint();
                yield int32 ? Json.NODES.numberNode((int) v) : number(v);
            }
            case Shape.Bool b -> {
                expect(wireType, WireReader.VARINT, number);
                yield Json.NODES.booleanNode(r.readVarint() != 0);
            }
            case Shape.Special(Shape.Encoding e) -> {
                expect(wireType, WireReader.LEN, number);
                yield readSpecial(r.readDelimited(), e, depth + 1);
            }
            default -> throw new IllegalStateException("not a single value: " + shape);
        };
    }

    private JsonNode readSpecial(WireReader r, Shape.Encoding e, int depth) {
        if (depth > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
        boolean empty = r.done();
        long seconds = 0;
        long intVal = 0;
        long kind = 0;
        String text = "";
        byte[] raw = null;
        while (!r.done()) {
            int t = r.readTag();
            int n = t >>> 3;
            int wt = t & 7;
            switch (e) {
                case QUANTITY -> {
                    if (n == 1) { expect(wt, WireReader.LEN, 1); text = r.readString(); } else r.skip(wt);
                }
                case INT_OR_STRING -> {
                    switch (n) {
                        case 1 -> { expect(wt, WireReader.VARINT, 1); kind = r.readVarint(); }
                        case 2 -> { expect(wt, WireReader.VARINT, 2); intVal = (int) r.readVarint(); }
                        case 3 -> { expect(wt, WireReader.LEN, 3); text = r.readString(); }
                        default -> r.skip(wt);
                    }
                }
                case TIME, MICRO_TIME -> {
                    switch (n) {
                        case 1 -> { expect(wt, WireReader.VARINT, 1); seconds = r.readVarint(); }
                        case 2 -> { expect(wt, WireReader.VARINT, 2); intVal = (int) r.readVarint(); }
                        default -> r.skip(wt);
                    }
                }
                case RAW_JSON -> {
                    if (n == 1) { expect(wt, WireReader.LEN, 1); raw = r.readBytes(); } else r.skip(wt);
                }
            }
        }
        return switch (e) {
            // Go parses the string; an empty one is the zero quantity.
            case QUANTITY -> Json.NODES.textNode(text.isEmpty() ? "0" : text);
            case INT_OR_STRING -> kind == 1 ? Json.NODES.textNode(text) : Json.NODES.numberNode((int) intVal);
            // Go writes a zero Time as an empty message and reads one back as zero (JSON null): leave it out.
            case TIME -> empty ? null : Json.NODES.textNode(formatTime(seconds, 0, SECONDS));
            case MICRO_TIME -> empty ? null : Json.NODES.textNode(formatTime(seconds, (int) intVal, MICRO));
            case RAW_JSON -> raw == null || raw.length == 0 ? null : rawJson(raw, depth);
        };
    }

    private JsonNode rawJson(byte[] raw, int depth) {
        // A protobuf watch event embeds the object as a nested envelope rather than JSON.
        if (isEnvelope(raw)) return decodeEnvelope(raw, depth);
        try {
            return Json.parse(raw);
        } catch (IOException ex) {
            throw new Malformed("embedded raw object is neither JSON nor a protobuf envelope");
        }
    }

    private static String formatTime(long seconds, int nanos, DateTimeFormatter format) {
        if (nanos < 0 || nanos > 999_999_999) throw new Malformed("timestamp nanos " + nanos + " out of range");
        Instant instant;
        try {
            // Go truncates MicroTime to microseconds on the way in.
            instant = Instant.ofEpochSecond(seconds, nanos - nanos % 1000);
        } catch (java.time.DateTimeException ex) {
            throw new Malformed("timestamp seconds " + seconds + " out of range");
        }
        if (instant.isBefore(Instant.parse("0001-01-01T00:00:00Z")) || instant.isAfter(Instant.parse("9999-12-31T23:59:59.999999999Z"))) {
            throw new Malformed("timestamp seconds " + seconds + " out of range");
        }
        return format.format(instant.atOffset(ZoneOffset.UTC)).replace("+00:00", "Z");
    }

    private static boolean isZero(JsonNode v, Shape shape) {
        return switch (shape) {
            case Shape.Text t -> v.asText().isEmpty();
            case Shape.Bytes b -> v.asText().isEmpty();
            case Shape.Integer i -> v.asLong() == 0;
            case Shape.Bool b -> !v.asBoolean();
            case Shape.Special(Shape.Encoding e) -> switch (e) {
                // A non-pointer IntOrString or Quantity that was never set arrives as its zero.
                case INT_OR_STRING -> v.isInt() && v.asInt() == 0;
                case QUANTITY -> v.asText().equals("0");
                default -> false;
            };
            default -> false;
        };
    }

    private static JsonNode zeroOf(Shape shape) {
        return switch (shape) {
            case Shape.Integer i -> Json.NODES.numberNode(0);
            case Shape.Bool b -> Json.NODES.booleanNode(false);
            case Shape.Special(Shape.Encoding e) when e == Shape.Encoding.QUANTITY -> Json.NODES.textNode("0");
            case Shape.Special(Shape.Encoding e) when e == Shape.Encoding.INT_OR_STRING -> Json.NODES.numberNode(0);
            case Shape.Special s -> Json.NODES.nullNode();
            default -> Json.NODES.textNode("");
        };
    }

    /** As Jackson parses JSON numbers: int when it fits, so decoded trees equal parsed ones. */
    private static JsonNode number(long v) {
        return v == (int) v ? Json.NODES.numberNode((int) v) : Json.NODES.numberNode(v);
    }

    private static void expect(int wireType, int want, int number) {
        if (wireType != want) {
            throw new Malformed((number > 0 ? "field " + number : "value") + " has wire type " + wireType + ", expected " + want);
        }
    }

    // ---- encoding

    private void writeStruct(WireWriter w, MessageType type, ObjectNode obj, int depth) {
        if (depth > MAX_DEPTH) throw new Malformed("objects nest deeper than " + MAX_DEPTH + " levels");
        for (var e : obj.properties()) {
            if (!type.byJson().containsKey(e.getKey()) && !e.getKey().equals("apiVersion") && !e.getKey().equals("kind")) {
                throw new Malformed("field has no protobuf number in " + type.name()).at(e.getKey());
            }
        }
        for (int number : type.ordered()) {
            Shape.Field f = type.outer().get(number);
            if (f != null) {
                writeField(w, f, obj, depth);
                continue;
            }
            // Go always writes an inlined struct, even when none of its fields is set.
            int start = w.begin(number);
            for (Shape.Field g : type.inlined().get(number).values()) writeField(w, g, obj, depth + 1);
            w.end(start);
        }
    }

    private void writeField(WireWriter w, Shape.Field f, ObjectNode obj, int depth) {
        JsonNode v = obj.get(f.json());
        if (v == null || v.isNull()) return;
        try {
            switch (f.shape()) {
                case Shape.Repeated(Shape item, boolean wrapped) -> {
                    if (!v.isArray()) throw new Malformed("expected a list, got " + v.getNodeType());
                    int start = wrapped ? w.begin(f.number()) : -1;
                    int number = wrapped ? 1 : f.number();
                    int i = 0;
                    for (JsonNode item0 : v) {
                        try {
                            if (item0.isNull()) throw new Malformed("null list item");
                            writeValue(w, number, item, item0, depth);
                        } catch (Malformed e) {
                            throw e.at("[" + i + "]");
                        }
                        i++;
                    }
                    if (wrapped) w.end(start);
                }
                case Shape.Entries(Shape value) -> {
                    if (!v.isObject()) throw new Malformed("expected a map, got " + v.getNodeType());
                    // Go sorts map keys, so equal maps give equal bytes.
                    Map<String, JsonNode> sorted = new TreeMap<>();
                    v.properties().forEach(e -> sorted.put(e.getKey(), e.getValue()));
                    for (var e : sorted.entrySet()) {
                        if (e.getValue().isNull()) continue;
                        int start = w.begin(f.number());
                        w.stringField(1, e.getKey());
                        try {
                            writeValue(w, 2, value, e.getValue(), depth + 1);
                        } catch (Malformed ex) {
                            throw ex.at("[" + e.getKey() + "]");
                        }
                        w.end(start);
                    }
                }
                default -> writeValue(w, f.number(), f.shape(), v, depth);
            }
        } catch (Malformed e) {
            throw e.at(f.json());
        }
    }

    private void writeValue(WireWriter w, int number, Shape shape, JsonNode v, int depth) {
        switch (shape) {
            case Shape.Text t -> {
                if (!v.isTextual()) throw new Malformed("expected a string, got " + v.getNodeType());
                w.stringField(number, v.asText());
            }
            case Shape.Bytes b -> {
                if (!v.isTextual()) throw new Malformed("expected base64 text, got " + v.getNodeType());
                try {
                    w.bytesField(number, Base64.getDecoder().decode(v.asText()));
                } catch (IllegalArgumentException e) {
                    throw new Malformed("not valid base64: " + e.getMessage());
                }
            }
            case Shape.Integer(boolean int32) -> {
                if (!v.isIntegralNumber() || !v.canConvertToLong() || (int32 && !v.canConvertToInt())) {
                    throw new Malformed("expected an " + (int32 ? "int32" : "int64") + ", got " + v);
                }
                // int32 is sign-extended to 64 bits, as Go writes negative int32 values.
                w.varintField(number, v.asLong());
            }
            case Shape.Bool b -> {
                if (!v.isBoolean()) throw new Malformed("expected a boolean, got " + v.getNodeType());
                w.varintField(number, v.asBoolean() ? 1 : 0);
            }
            case Shape.Message(String def) -> {
                if (!(v instanceof ObjectNode o)) throw new Malformed("expected an object, got " + v.getNodeType());
                int start = w.begin(number);
                writeStruct(w, type(def), o, depth + 1);
                w.end(start);
            }
            case Shape.Special(Shape.Encoding e) -> {
                int start = w.begin(number);
                writeSpecial(w, e, v);
                w.end(start);
            }
            default -> throw new IllegalStateException("not a single value: " + shape);
        }
    }

    private static void writeSpecial(WireWriter w, Shape.Encoding e, JsonNode v) {
        switch (e) {
            case QUANTITY -> {
                if (!v.isTextual() && !v.isNumber()) throw new Malformed("expected a quantity, got " + v.getNodeType());
                w.stringField(1, v.isTextual() ? v.asText() : v.decimalValue().toPlainString());
            }
            case INT_OR_STRING -> {
                // Go writes all three fields whatever the type.
                if (v.isTextual()) {
                    w.varintField(1, 1);
                    w.varintField(2, 0);
                    w.stringField(3, v.asText());
                } else if (v.isIntegralNumber() && v.canConvertToInt()) {
                    w.varintField(1, 0);
                    w.varintField(2, v.asInt());
                    w.stringField(3, "");
                } else {
                    throw new Malformed("expected an int32 or a string, got " + v);
                }
            }
            case TIME, MICRO_TIME -> {
                if (!v.isTextual()) throw new Malformed("expected an RFC 3339 time, got " + v.getNodeType());
                Instant t;
                try {
                    t = OffsetDateTime.parse(v.asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
                } catch (DateTimeParseException ex) {
                    throw new Malformed("not an RFC 3339 time: " + v.asText());
                }
                w.varintField(1, t.getEpochSecond());
                // Time keeps whole seconds only; MicroTime keeps microseconds.
                w.varintField(2, e == Shape.Encoding.TIME ? 0 : t.getNano() - t.getNano() % 1000);
            }
            case RAW_JSON -> w.bytesField(1, Json.bytes(v));
        }
    }
}
