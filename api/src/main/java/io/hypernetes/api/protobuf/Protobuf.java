package io.hypernetes.api.protobuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.schema.Definition;
import io.hypernetes.api.schema.SchemaRegistry;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
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
    private static final String WATCH_EVENT = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
    /** A buffer starts at the size of a recent body, but no larger than this, so one huge list does not stick. */
    private static final int MAX_INITIAL_BUFFER = 64 << 10;

    private static final class Holder {
        static final Protobuf CORE = new Protobuf(SchemaRegistry.core());
    }

    private final SchemaRegistry registry;
    private final Map<String, MessagePlan> messages = new ConcurrentHashMap<>();
    /** The size of the last body encoded: racy on purpose, it is only a hint that saves growing the buffer. */
    private int sizeHint = 1024;

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
     * The string fields of one message inside an envelope's object, for kinds outside the served schema whose
     * few string fields a handler needs (a SelfSubjectAccessReview's resource attributes). {@code path} names
     * the nested message by field numbers from the object down, e.g. {@code 2, 1} for spec.resourceAttributes;
     * the result maps field numbers to values (empty when the message is absent).
     *
     * @throws ProtobufException if the bytes are malformed
     */
    public static Map<Integer, String> strings(byte[] envelope, int... path) {
        try {
            if (!isEnvelope(envelope)) throw new Malformed("missing the Kubernetes prefix \"k8s\\0\"");
            byte[] message = lengthDelimited(envelope, MAGIC.length, 2); // runtime.Unknown's raw
            for (int number : path) {
                if (message == null) return Map.of();
                message = lengthDelimited(message, 0, number);
            }
            Map<Integer, String> out = new java.util.LinkedHashMap<>();
            if (message == null) return out;
            WireReader r = new WireReader(message, 0, message.length);
            while (!r.done()) {
                int tag = r.readTag();
                if ((tag & 7) == WireReader.LEN) out.put(tag >>> 3, r.readString());
                else r.skip(tag & 7);
            }
            return out;
        } catch (Malformed e) {
            throw e.toException("protobuf body");
        }
    }

    /** The last length-delimited field {@code number} of the message at {@code from}, or null. */
    private static byte[] lengthDelimited(byte[] buf, int from, int number) {
        WireReader r = new WireReader(buf, from, buf.length);
        byte[] found = null;
        while (!r.done()) {
            int tag = r.readTag();
            if ((tag >>> 3) == number && (tag & 7) == WireReader.LEN) found = r.readBytes();
            else r.skip(tag & 7);
        }
        return found;
    }

    /**
     * Encodes an object (with apiVersion and kind set) as an envelope, as the Kubernetes API server would answer.
     *
     * @throws ProtobufException if the kind is not served or a value does not fit its field
     */
    public byte[] encode(JsonNode object) {
        Encoder e = encoder();
        writeEnvelope(e, object);
        return finish(e);
    }

    /**
     * One event of a protobuf watch stream: a {@code metav1.WatchEvent} message with type (1) and object (2, a
     * RawExtension whose raw is the object's envelope). The stream frames each such message with its length as
     * four big-endian bytes; see {@link #frame}.
     */
    public byte[] encodeWatchEvent(String type, JsonNode object) {
        Encoder e = encoder();
        e.w.stringField(1, type);
        int ext = e.w.begin(2);
        // The envelope goes straight into the event rather than through a byte array of its own.
        int raw = e.w.begin(1);
        writeEnvelope(e, object);
        e.w.end(raw);
        e.w.end(ext);
        return finish(e);
    }

    /** Reads a message written by {@link #encodeWatchEvent}, as the JSON watch stream would show it. */
    public ObjectNode decodeWatchEvent(byte[] message) {
        try {
            ObjectNode out = Json.object();
            readStruct(new WireReader(message, 0, message.length), type(WATCH_EVENT), out, 1);
            return out;
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

    private Encoder encoder() {
        return new Encoder(this, Math.min(sizeHint + (sizeHint >> 3), MAX_INITIAL_BUFFER));
    }

    private byte[] finish(Encoder e) {
        sizeHint = e.w.size();
        return e.w.toByteArray();
    }

    // ---- envelope

    private ObjectNode decodeEnvelope(byte[] body, int depth) {
        if (!isEnvelope(body)) {
            throw new Malformed("missing the Kubernetes prefix \"k8s\\0\" (is the body really protobuf?)");
        }
        WireReader r = new WireReader(body, MAGIC.length, body.length);
        String apiVersion = "";
        String kind = "";
        int rawStart = -1;
        int rawEnd = -1;
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
                    int outer = r.enter();
                    while (!r.done()) {
                        int t = r.readTag();
                        if ((t >>> 3) == 1 && (t & 7) == WireReader.LEN) apiVersion = r.readString();
                        else if ((t >>> 3) == 2 && (t & 7) == WireReader.LEN) kind = r.readString();
                        else if ((t >>> 3) <= 2) throw new Malformed("runtime.TypeMeta field " + (t >>> 3) + " has wire type " + (t & 7));
                        else r.skip(t & 7);
                    }
                    r.leave(outer);
                }
                case 2 -> {
                    // Read in place once the kind is known (typeMeta may come after raw); a later raw replaces it.
                    int outer = r.enter();
                    rawStart = r.position();
                    r.leave(outer);
                    rawEnd = r.position();
                }
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
        if (rawStart >= 0) {
            try {
                readStruct(new WireReader(body, rawStart, rawEnd, rawStart), type(def.name()), out, depth + 1);
            } catch (Malformed e) {
                // Flattened so that an envelope nested in a RawExtension reads "Pod field spec...: ..." within its parent's path.
                throw new Malformed(e.toException(kind).getMessage());
            }
        }
        return out;
    }

    private void writeEnvelope(Encoder e, JsonNode object) {
        if (!(object instanceof ObjectNode obj)) throw new ProtobufException("only objects can be encoded, got " + object.getNodeType());
        String apiVersion = obj.path("apiVersion").asText("");
        String kind = obj.path("kind").asText("");
        Definition def = registry.forKind(apiVersion, kind)
                .orElseThrow(() -> new ProtobufException("kind " + kind + " of " + apiVersion + " is not served"));
        WireWriter w = e.w;
        w.raw(MAGIC);
        int tm = w.begin(1);
        w.stringField(1, apiVersion);
        w.stringField(2, kind);
        w.end(tm);
        int raw = w.begin(2);
        try {
            e.writeStruct(type(def.name()), obj, 1);
        } catch (Malformed ex) {
            throw ex.toException("cannot encode " + kind + " as protobuf");
        }
        w.end(raw);
        // Go writes the empty contentEncoding and contentType too; doing the same keeps bytes identical.
        w.stringField(3, "");
        w.stringField(4, "");
    }

    private MessagePlan type(String definition) {
        MessagePlan t = messages.get(definition);
        if (t != null) return t;
        Definition d = registry.definition(definition)
                .orElseThrow(() -> new IllegalStateException("schema has no definition " + definition));
        return messages.computeIfAbsent(definition, n -> MessagePlan.of(MessageType.compile(registry, d)));
    }

    /** The plan of a message-valued field, linked on first use. */
    MessagePlan plan(FieldPlan f) {
        MessagePlan m = f.message;
        if (m == null) f.message = m = type(f.definition);
        return m;
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

    private void readStruct(WireReader r, MessagePlan plan, ObjectNode out, int depth) {
        if (depth > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
        while (!r.done()) {
            int tag = r.readTag();
            int number = tag >>> 3;
            int wireType = tag & 7;
            FieldPlan f = plan.field(number);
            if (f == null) {
                r.skip(wireType);
            } else if (f.layout != FieldPlan.Layout.CARRIER) {
                try {
                    readField(r, wireType, f, out, depth);
                } catch (Malformed e) {
                    throw e.at(f.json);
                }
            } else {
                expect(wireType, WireReader.LEN, number);
                // The carrier's fields land in the same JSON object: Go inlines the struct there.
                int outer = r.enter();
                if (depth + 1 > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
                while (!r.done()) {
                    int t = r.readTag();
                    FieldPlan g = f.carriedByNumber.get(t >>> 3);
                    if (g == null) {
                        r.skip(t & 7);
                        continue;
                    }
                    try {
                        readField(r, t & 7, g, out, depth + 1);
                    } catch (Malformed e) {
                        throw e.at(g.json);
                    }
                }
                r.leave(outer);
            }
        }
    }

    private void readField(WireReader r, int wireType, FieldPlan f, ObjectNode out, int depth) {
        switch (f.layout) {
            case SINGLE -> {
                if (f.kind == FieldPlan.Kind.MESSAGE) {
                    expect(wireType, WireReader.LEN, f.number);
                    ObjectNode into = out.get(f.json) instanceof ObjectNode o ? o : out.putObject(f.json);
                    int outer = r.enter();
                    readStruct(r, plan(f), into, depth + 1);
                    r.leave(outer);
                    return;
                }
                JsonNode v = readSingle(r, wireType, f, f.number, depth);
                if (v == null || (!f.keepZero && isZero(v, f.kind))) out.remove(f.json);
                else out.set(f.json, v);
            }
            case LIST -> readItem(r, wireType, f, listOf(out, f), depth);
            case WRAPPED_LIST -> {
                ArrayNode list = listOf(out, f);
                expect(wireType, WireReader.LEN, f.number);
                int outer = r.enter();
                while (!r.done()) {
                    int t = r.readTag();
                    if ((t >>> 3) != 1) {
                        r.skip(t & 7);
                        continue;
                    }
                    readItem(r, t & 7, f, list, depth + 1);
                }
                r.leave(outer);
            }
            case MAP -> {
                expect(wireType, WireReader.LEN, f.number);
                ObjectNode map = out.get(f.json) instanceof ObjectNode o ? o : out.putObject(f.json);
                int outer = r.enter();
                readEntry(r, f, map, depth + 1);
                r.leave(outer);
            }
            case CARRIER -> throw new IllegalStateException("carrier " + f.number + " read as a field");
        }
    }

    private static ArrayNode listOf(ObjectNode out, FieldPlan f) {
        return out.get(f.json) instanceof ArrayNode a ? a : out.putArray(f.json);
    }

    /** One item of a repeated field, or a packed run of varint items. */
    private void readItem(WireReader r, int wireType, FieldPlan f, ArrayNode list, int depth) {
        if (f.kind.varint() && wireType == WireReader.LEN) {
            // Packed: Go's gogo writes these unpacked, but proto decoders accept both forms.
            int outer = r.enter();
            while (!r.done()) list.add(readSingle(r, WireReader.VARINT, f, 0, depth));
            r.leave(outer);
            return;
        }
        if (f.kind == FieldPlan.Kind.MESSAGE) {
            expect(wireType, WireReader.LEN, 0);
            ObjectNode o = list.addObject();
            int outer = r.enter();
            readStruct(r, plan(f), o, depth + 1);
            r.leave(outer);
            return;
        }
        JsonNode v = readSingle(r, wireType, f, 0, depth);
        list.add(v == null ? zeroOf(f.kind) : v);
    }

    private void readEntry(WireReader r, FieldPlan f, ObjectNode map, int depth) {
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
                    if (f.kind == FieldPlan.Kind.MESSAGE) {
                        expect(t & 7, WireReader.LEN, 2);
                        ObjectNode o = v instanceof ObjectNode existing ? existing : Json.object();
                        int outer = r.enter();
                        readStruct(r, plan(f), o, depth + 1);
                        r.leave(outer);
                        v = o;
                    } else {
                        v = readSingle(r, t & 7, f, 2, depth);
                    }
                }
                default -> r.skip(t & 7);
            }
        }
        if (v == null) v = f.kind == FieldPlan.Kind.MESSAGE ? Json.object() : zeroOf(f.kind);
        map.set(key, v);
    }

    /** One value of the field's kind other than a message; null for a special type that Go decodes to its zero (empty Time). */
    private JsonNode readSingle(WireReader r, int wireType, FieldPlan f, int number, int depth) {
        switch (f.kind) {
            case TEXT -> {
                expect(wireType, WireReader.LEN, number);
                return Json.NODES.textNode(r.readString());
            }
            case BYTES -> {
                expect(wireType, WireReader.LEN, number);
                return Json.NODES.textNode(Base64.getEncoder().encodeToString(r.readBytes()));
            }
            case INT32 -> {
                expect(wireType, WireReader.VARINT, number);
                return IntNode.valueOf((int) r.readVarint());
            }
            case INT64 -> {
                expect(wireType, WireReader.VARINT, number);
                return number(r.readVarint());
            }
            case BOOL -> {
                expect(wireType, WireReader.VARINT, number);
                return Json.NODES.booleanNode(r.readVarint() != 0);
            }
            case QUANTITY, INT_OR_STRING, TIME, MICRO_TIME, RAW_JSON -> {
                expect(wireType, WireReader.LEN, number);
                int outer = r.enter();
                JsonNode v = readSpecial(r, f.kind, depth + 1);
                r.leave(outer);
                return v;
            }
            default -> throw new IllegalStateException("not a single value: " + f.kind);
        }
    }

    private JsonNode readSpecial(WireReader r, FieldPlan.Kind kind, int depth) {
        if (depth > MAX_DEPTH) throw new Malformed("messages nest deeper than " + MAX_DEPTH + " levels");
        boolean empty = r.done();
        long seconds = 0;
        int intVal = 0;
        long discriminator = 0;
        String text = "";
        byte[] raw = null;
        while (!r.done()) {
            int t = r.readTag();
            int n = t >>> 3;
            int wt = t & 7;
            switch (kind) {
                case QUANTITY -> {
                    if (n == 1) { expect(wt, WireReader.LEN, 1); text = r.readString(); } else r.skip(wt);
                }
                case INT_OR_STRING -> {
                    switch (n) {
                        case 1 -> { expect(wt, WireReader.VARINT, 1); discriminator = r.readVarint(); }
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
                default -> throw new IllegalStateException("not a special type: " + kind);
            }
        }
        return switch (kind) {
            // Go parses the string; an empty one is the zero quantity.
            case QUANTITY -> text.isEmpty() ? ZERO_QUANTITY : Json.NODES.textNode(text);
            case INT_OR_STRING -> discriminator == 1 ? Json.NODES.textNode(text) : IntNode.valueOf(intVal);
            // Go writes a zero Time as an empty message and reads one back as zero (JSON null): leave it out.
            case TIME -> empty ? null : Json.NODES.textNode(formatTime(seconds, 0, false));
            case MICRO_TIME -> empty ? null : Json.NODES.textNode(formatTime(seconds, intVal, true));
            case RAW_JSON -> raw == null || raw.length == 0 ? null : rawJson(raw, depth);
            default -> throw new IllegalStateException("not a special type: " + kind);
        };
    }

    private static final TextNode ZERO_QUANTITY = TextNode.valueOf("0");

    private JsonNode rawJson(byte[] raw, int depth) {
        // A protobuf watch event embeds the object as a nested envelope rather than JSON.
        if (isEnvelope(raw)) return decodeEnvelope(raw, depth);
        try {
            return Json.parse(raw);
        } catch (IOException ex) {
            throw new Malformed("embedded raw object is neither JSON nor a protobuf envelope");
        }
    }

    private static String formatTime(long seconds, int nanos, boolean micro) {
        if (nanos < 0 || nanos > 999_999_999) throw new Malformed("timestamp nanos " + nanos + " out of range");
        if (seconds < Rfc3339.MIN_SECONDS || seconds > Rfc3339.MAX_SECONDS) {
            throw new Malformed("timestamp seconds " + seconds + " out of range");
        }
        // Go truncates MicroTime to microseconds on the way in.
        return micro ? Rfc3339.formatMicro(seconds, nanos / 1000) : Rfc3339.format(seconds);
    }

    private static boolean isZero(JsonNode v, FieldPlan.Kind kind) {
        return switch (kind) {
            case TEXT, BYTES -> v.asText().isEmpty();
            case INT32, INT64 -> v.asLong() == 0;
            case BOOL -> !v.asBoolean();
            // A non-pointer IntOrString or Quantity that was never set arrives as its zero.
            case INT_OR_STRING -> v.isInt() && v.asInt() == 0;
            case QUANTITY -> v.asText().equals("0");
            default -> false;
        };
    }

    private static JsonNode zeroOf(FieldPlan.Kind kind) {
        return switch (kind) {
            case INT32, INT64, INT_OR_STRING -> Json.NODES.numberNode(0);
            case BOOL -> Json.NODES.booleanNode(false);
            case QUANTITY -> ZERO_QUANTITY;
            case TIME, MICRO_TIME, RAW_JSON -> Json.NODES.nullNode();
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
}
