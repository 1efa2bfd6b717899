package io.hypernetes.api.protobuf;

/** How one value travels on the wire, compiled from the schema once per definition. */
sealed interface Shape {
    /** A UTF-8 string (protobuf string). */
    record Text() implements Shape {}

    /** Bytes that JSON shows as base64 (Go []byte). */
    record Bytes() implements Shape {}

    /** A varint; {@code int32} values are truncated to 32 bits on the way in, as Go does. */
    record Integer(boolean int32) implements Shape {}

    record Bool() implements Shape {}

    /** A nested message of a definition with properties. */
    record Message(String definition) implements Shape {}

    /** A type whose Go codec is written by hand (Quantity, IntOrString, Time, MicroTime, FieldsV1, RawExtension). */
    record Special(Encoding encoding) implements Shape {}

    record Repeated(Shape item, boolean wrapped) implements Shape {}

    /** Repeated entry messages with the key as field 1 and the value as field 2. */
    record Entries(Shape value) implements Shape {}

    enum Encoding {
        QUANTITY, INT_OR_STRING, TIME, MICRO_TIME, RAW_JSON;

        static Encoding of(String name) {
            return switch (name) {
                case "quantity" -> QUANTITY;
                case "intOrString" -> INT_OR_STRING;
                case "time" -> TIME;
                case "microTime" -> MICRO_TIME;
                case "rawJson" -> RAW_JSON;
                default -> throw new IllegalStateException("unknown x-protobuf encoding " + name);
            };
        }
    }

    /** One property of a message: its JSON name and where protobuf puts it. */
    record Field(String json, int number, int inline, boolean keepZero, Shape shape) {}
}
