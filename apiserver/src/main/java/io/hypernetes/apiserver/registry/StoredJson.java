package io.hypernetes.apiserver.registry;

import java.nio.charset.StandardCharsets;

/**
 * Stored objects are compact JSON without {@code metadata.resourceVersion} (the store's revision is the truth);
 * this puts it back into the bytes without decoding them, so an unfiltered JSON list is a copy, not a parse and a
 * serialization per object. The scan knows only what the encoder writes: compact JSON whose top-level
 * {@code metadata} is an object.
 */
final class StoredJson {
    private static final byte[] METADATA = "\"metadata\"".getBytes(StandardCharsets.US_ASCII);

    private StoredJson() {}

    /** The object's JSON with {@code "resourceVersion":"<revision>"} first in its metadata. */
    static byte[] withResourceVersion(byte[] json, long revision) {
        int open = metadataOpenBrace(json);
        if (open < 0) throw new IllegalArgumentException("stored object has no metadata object");
        byte[] field = ("\"resourceVersion\":\"" + revision + "\"" + (json[open + 1] == '}' ? "" : ","))
                .getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[json.length + field.length];
        System.arraycopy(json, 0, out, 0, open + 1);
        System.arraycopy(field, 0, out, open + 1, field.length);
        System.arraycopy(json, open + 1, out, open + 1 + field.length, json.length - open - 1);
        return out;
    }

    /** Index of the '{' that opens the top-level metadata object, or -1. */
    static int metadataOpenBrace(byte[] json) {
        int depth = 0;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (b == '"') {
                int end = stringEnd(json, i);
                if (depth == 1 && end - i + 1 == METADATA.length && regionEquals(json, i, METADATA)
                        && end + 2 < json.length && json[end + 1] == ':' && json[end + 2] == '{') {
                    return end + 2;
                }
                i = end;
            } else if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                depth--;
            }
        }
        return -1;
    }

    /** Index of the quote that closes the string opening at {@code start}. */
    private static int stringEnd(byte[] json, int start) {
        for (int i = start + 1; i < json.length; i++) {
            if (json[i] == '\\') i++;
            else if (json[i] == '"') return i;
        }
        throw new IllegalArgumentException("unterminated string in stored object");
    }

    private static boolean regionEquals(byte[] json, int at, byte[] what) {
        for (int k = 0; k < what.length; k++) if (json[at + k] != what[k]) return false;
        return true;
    }
}
