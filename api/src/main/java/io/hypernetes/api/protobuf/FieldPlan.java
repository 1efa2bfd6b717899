package io.hypernetes.api.protobuf;

/**
 * One property as the codec walks it, compiled once from its {@link Shape.Field}: the JSON key to put, how the
 * value is laid out and of what kind, and its tags already combined with their wire types. An inline carrier
 * (the nested message Go uses for an inlined struct) is a plan too, with {@link Layout#CARRIER} and its fields.
 */
final class FieldPlan {
    /** How the values of a field sit on the wire. */
    enum Layout {
        SINGLE,
        /** Repeated field, one value per occurrence (or packed, for varints). */
        LIST,
        /** A message whose field 1 repeats the items (metav1.Verbs). */
        WRAPPED_LIST,
        /** Repeated entry messages: key 1, value 2. */
        MAP,
        /** Not a property: the nested message carrying Go-inlined fields. */
        CARRIER
    }

    /** What one value is; for lists and maps, what each item or map value is. */
    enum Kind {
        TEXT, BYTES, INT32, INT64, BOOL, MESSAGE, QUANTITY, INT_OR_STRING, TIME, MICRO_TIME, RAW_JSON;

        boolean varint() {
            return this == INT32 || this == INT64 || this == BOOL;
        }
    }

    final String json;
    final int number;
    final Layout layout;
    final Kind kind;
    final boolean keepZero;
    /** The definition of a {@link Kind#MESSAGE} value, else null. */
    final String definition;
    /** Where the encoder parks this field's JSON value while it puts a message's fields in number order. */
    final int slot;
    /** The tag each value is written with: this field's number (1 in a wrapper, 2 in a map entry) and wire type. */
    final int valueTag;
    /** The number values are written under: {@link #number}, 1 inside a wrapper, 2 inside a map entry. */
    final int valueNumber;
    /** For a carrier: its fields in number order, and the same by number for decoding. */
    final FieldPlan[] carried;
    final NumberTable carriedByNumber;

    /**
     * The compiled plan of a {@link Kind#MESSAGE} value, linked on first use: definitions refer to each other
     * (and could to themselves), so plans are compiled lazily, one definition at a time. A racing second write
     * stores an equal plan, and a plan is immutable once built, so the field needs no lock.
     */
    MessagePlan message;

    FieldPlan(String json, int number, Layout layout, Kind kind, boolean keepZero, String definition, int slot,
            FieldPlan[] carried) {
        this.json = json;
        this.number = number;
        this.layout = layout;
        this.kind = kind;
        this.keepZero = keepZero;
        this.definition = definition;
        this.slot = slot;
        this.valueNumber = switch (layout) {
            case WRAPPED_LIST -> 1;
            case MAP -> 2;
            default -> number;
        };
        this.valueTag = valueNumber << 3 | (kind != null && kind.varint() ? WireReader.VARINT : WireReader.LEN);
        this.carried = carried;
        this.carriedByNumber = carried == null ? null : NumberTable.of(carried);
    }

    static FieldPlan of(Shape.Field f, int slot) {
        return switch (f.shape()) {
            case Shape.Repeated(Shape item, boolean wrapped) ->
                    new FieldPlan(f.json(), f.number(), wrapped ? Layout.WRAPPED_LIST : Layout.LIST, kind(item), f.keepZero(),
                            definition(item), slot, null);
            case Shape.Entries(Shape value) ->
                    new FieldPlan(f.json(), f.number(), Layout.MAP, kind(value), f.keepZero(), definition(value), slot, null);
            default -> new FieldPlan(f.json(), f.number(), Layout.SINGLE, kind(f.shape()), f.keepZero(), definition(f.shape()),
                    slot, null);
        };
    }

    static FieldPlan carrier(int number, FieldPlan[] fields) {
        return new FieldPlan(null, number, Layout.CARRIER, null, false, null, -1, fields);
    }

    private static Kind kind(Shape s) {
        return switch (s) {
            case Shape.Text t -> Kind.TEXT;
            case Shape.Bytes b -> Kind.BYTES;
            case Shape.Integer(boolean int32) -> int32 ? Kind.INT32 : Kind.INT64;
            case Shape.Bool b -> Kind.BOOL;
            case Shape.Message m -> Kind.MESSAGE;
            case Shape.Special(Shape.Encoding e) -> switch (e) {
                case QUANTITY -> Kind.QUANTITY;
                case INT_OR_STRING -> Kind.INT_OR_STRING;
                case TIME -> Kind.TIME;
                case MICRO_TIME -> Kind.MICRO_TIME;
                case RAW_JSON -> Kind.RAW_JSON;
            };
            default -> throw new IllegalStateException("not a single value: " + s);
        };
    }

    private static String definition(Shape s) {
        return s instanceof Shape.Message(String def) ? def : null;
    }

    /**
     * Field plans by number for decoding: a plain array indexed by number, as Kubernetes numbers fields densely
     * from 1; numbers too sparse for that (a schema could use any up to 2^29) are found by binary search.
     */
    record NumberTable(FieldPlan[] direct, int[] sparseNumbers, FieldPlan[] sparse) {
        /** Beyond this a direct table would waste more than it saves. */
        static final int DIRECT_MAX = 1024;

        static NumberTable of(FieldPlan[] byNumberOrder) {
            int max = 0;
            for (FieldPlan f : byNumberOrder) max = Math.max(max, f.number);
            if (max <= DIRECT_MAX) {
                FieldPlan[] direct = new FieldPlan[max + 1];
                for (FieldPlan f : byNumberOrder) direct[f.number] = f;
                return new NumberTable(direct, null, null);
            }
            int[] numbers = new int[byNumberOrder.length];
            for (int i = 0; i < numbers.length; i++) numbers[i] = byNumberOrder[i].number;
            return new NumberTable(null, numbers, byNumberOrder.clone());
        }

        FieldPlan get(int number) {
            if (direct != null) return number < direct.length ? direct[number] : null;
            int i = java.util.Arrays.binarySearch(sparseNumbers, number);
            return i >= 0 ? sparse[i] : null;
        }
    }
}
