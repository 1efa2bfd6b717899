package io.hypernetes.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * RFC 6902 JSON Patch ({@code application/json-patch+json}) as the Kubernetes apiserver applies it.
 *
 * <p>Where the RFC and Kubernetes disagree, clients were written against Kubernetes, so its behaviour wins:
 * <ul>
 *   <li>"replace" of an absent member of an existing object adds it (scripts rely on replacing labels that
 *       may not be there yet);</li>
 *   <li>array indices may be negative, counting from the end ({@code /-1} is the last item; for "add",
 *       {@code -1} appends);</li>
 *   <li>"add" and "remove" at the document root ({@code ""}) fail; "replace" and "test" there work;</li>
 *   <li>"test" of an absent member passes when the expected value is null; an absent "value" means null;</li>
 *   <li>at most {@value #MAX_OPERATIONS} operations (413), and "copy" may duplicate at most
 *       {@value #MAX_COPY_BYTES} bytes in total (422).</li>
 * </ul>
 * Where Kubernetes only has a bug, the RFC wins: copy from a missing location fails, pointers must start
 * with "/", and "~" must be followed by 0 or 1. Numbers compare by value in "test".
 *
 * <p>Status codes follow Kubernetes: a body that is not a JSON array of objects is 400; every failure of an
 * individual operation (unknown op, bad pointer, missing path, failed test) is 422, because Kubernetes only
 * decodes the array shape up front and reports everything else while applying.
 */
public final class JsonPatch {
    /** Kubernetes' limit on operations in one JSON patch. */
    public static final int MAX_OPERATIONS = 10_000;
    /** Kubernetes' default {@code --json-patch-max-copy-bytes}: total serialized size "copy" may add. */
    public static final long MAX_COPY_BYTES = 3L * 1024 * 1024;

    private JsonPatch() {}

    /** Parses {@code patch} as JSON and applies it; see {@link #apply(JsonNode, JsonNode)}. */
    public static JsonNode apply(JsonNode original, byte[] patch) {
        return apply(original, Trees.parse(patch));
    }

    /**
     * Applies every operation in order to a copy of {@code original}; either all apply or a
     * {@link PatchException} is thrown and nothing is changed. Neither argument is modified and the result
     * shares no nodes with them.
     */
    public static JsonNode apply(JsonNode original, JsonNode patch) {
        Objects.requireNonNull(original, "original");
        if (patch == null || !patch.isArray()) {
            throw PatchException.badRequest("", "a JSON patch must be a JSON array of operations, not "
                    + Trees.kind(patch));
        }
        for (int i = 0; i < patch.size(); i++) {
            JsonNode op = patch.get(i);
            if (!op.isObject() && !op.isNull()) {
                throw PatchException.badRequest("[" + i + "]", "a JSON patch operation must be an object, not "
                        + Trees.kind(op));
            }
        }
        if (patch.size() > MAX_OPERATIONS) {
            throw new PatchException(PatchException.Status.REQUEST_ENTITY_TOO_LARGE, "",
                    "The allowed maximum operations in a JSON patch is " + MAX_OPERATIONS + ", got " + patch.size());
        }
        Document doc = new Document(original.deepCopy());
        for (int i = 0; i < patch.size(); i++) {
            Operation.parse(i, patch.get(i)).applyTo(doc);
        }
        return doc.root;
    }

    /** The document being patched: a private copy, so operations may edit it in place. */
    private static final class Document {
        JsonNode root;
        long copiedBytes;

        Document(JsonNode root) {
            this.root = root;
        }
    }

    /** An RFC 6901 pointer, already unescaped into reference tokens. */
    record Pointer(String text, List<String> tokens) {
        static Pointer parse(String text, String where) {
            List<String> tokens = new ArrayList<>();
            if (text.isEmpty()) return new Pointer(text, List.of());
            if (text.charAt(0) != '/') {
                throw PatchException.invalid(text, where + ": a JSON pointer must be empty or start with \"/\"");
            }
            StringBuilder token = new StringBuilder();
            for (int i = 1; i <= text.length(); i++) {
                char c = i < text.length() ? text.charAt(i) : '/';
                if (c == '/') {
                    tokens.add(token.toString());
                    token.setLength(0);
                } else if (c == '~') {
                    char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
                    if (next != '0' && next != '1') {
                        throw PatchException.invalid(text, where + ": \"~\" must be followed by 0 or 1 in a JSON pointer");
                    }
                    token.append(next == '0' ? '~' : '/');
                    i++;
                } else {
                    token.append(c);
                }
            }
            return new Pointer(text, List.copyOf(tokens));
        }

        boolean isRoot() {
            return tokens.isEmpty();
        }

        String last() {
            return tokens.getLast();
        }

        List<String> parentTokens() {
            return tokens.subList(0, tokens.size() - 1);
        }
    }

    /** The six RFC 6902 operations; each names the failure with its index and pointer. */
    private sealed interface Operation {
        int index();

        String name();

        void applyTo(Document doc);

        default String where() {
            return "operation " + index() + " (" + name() + ")";
        }

        static Operation parse(int index, JsonNode node) {
            JsonNode opNode = node.isObject() ? node.get("op") : null;
            String op = opNode != null && opNode.isTextual() ? opNode.asText() : null;
            String where = "operation " + index + " (" + (op == null ? "?" : op) + ")";
            if (op == null) {
                throw PatchException.invalid("[" + index + "]", where + ": missing or non-string \"op\"");
            }
            // Kubernetes treats an absent "value" as JSON null rather than rejecting the operation.
            JsonNode value = node.has("value") ? node.get("value") : Json.NODES.nullNode();
            return switch (op) {
                case "add" -> new Add(index, pointer(node, "path", where), value);
                case "remove" -> new Remove(index, pointer(node, "path", where));
                case "replace" -> new Replace(index, pointer(node, "path", where), value);
                case "move" -> new Move(index, pointer(node, "from", where), pointer(node, "path", where));
                case "copy" -> new Copy(index, pointer(node, "from", where), pointer(node, "path", where));
                case "test" -> new Test(index, pointer(node, "path", where), value);
                default -> throw PatchException.invalid("[" + index + "]", where
                        + ": unknown operation; expected add, remove, replace, move, copy or test");
            };
        }

        private static Pointer pointer(JsonNode node, String field, String where) {
            JsonNode p = node.get(field);
            if (p == null || p.isNull()) {
                throw PatchException.invalid("", where + ": missing \"" + field + "\"");
            }
            if (!p.isTextual()) {
                throw PatchException.invalid("", where + ": \"" + field + "\" must be a string, not " + Trees.kind(p));
            }
            return Pointer.parse(p.asText(), where);
        }
    }

    private record Add(int index, Pointer path, JsonNode value) implements Operation {
        public String name() {
            return "add";
        }

        public void applyTo(Document doc) {
            insert(doc, path, value.deepCopy(), where());
        }
    }

    private record Remove(int index, Pointer path) implements Operation {
        public String name() {
            return "remove";
        }

        public void applyTo(Document doc) {
            take(doc, path, where());
        }
    }

    private record Replace(int index, Pointer path, JsonNode value) implements Operation {
        public String name() {
            return "replace";
        }

        public void applyTo(Document doc) {
            if (path.isRoot()) {
                if (!value.isContainerNode()) {
                    throw PatchException.invalid(path.text(), where() + ": the document can only be replaced by an object or a list");
                }
                doc.root = value.deepCopy();
                return;
            }
            JsonNode parent = parent(doc, path, where());
            if (parent instanceof ObjectNode object) {
                object.set(path.last(), value.deepCopy());
            } else {
                ArrayNode array = (ArrayNode) parent;
                array.set(existingIndex(array, path, where()), value.deepCopy());
            }
        }
    }

    private record Move(int index, Pointer from, Pointer path) implements Operation {
        public String name() {
            return "move";
        }

        public void applyTo(Document doc) {
            JsonNode value = take(doc, from, where() + " from");
            insert(doc, path, value, where());
        }
    }

    private record Copy(int index, Pointer from, Pointer path) implements Operation {
        public String name() {
            return "copy";
        }

        public void applyTo(Document doc) {
            JsonNode value = read(doc, from, where() + " from");
            if (value == null) {
                throw PatchException.invalid(from.text(), where() + ": the \"from\" location does not exist");
            }
            doc.copiedBytes += Json.bytes(value).length;
            if (doc.copiedBytes > MAX_COPY_BYTES) {
                throw PatchException.invalid(path.text(), where() + ": copy operations would add "
                        + doc.copiedBytes + " bytes, more than the allowed " + MAX_COPY_BYTES);
            }
            insert(doc, path, value.deepCopy(), where());
        }
    }

    private record Test(int index, Pointer path, JsonNode value) implements Operation {
        public String name() {
            return "test";
        }

        public void applyTo(Document doc) {
            JsonNode actual = read(doc, path, where());
            if (actual == null) {
                actual = Json.NODES.nullNode();
            }
            if (!Trees.equal(actual, value)) {
                throw PatchException.invalid(path.text(), where() + ": test failed: found " + Trees.brief(actual)
                        + ", expected " + Trees.brief(value));
            }
        }
    }

    /** The container holding the pointer's last token; fails unless every step of the way exists. */
    private static JsonNode parent(Document doc, Pointer p, String where) {
        JsonNode node = doc.root;
        StringBuilder walked = new StringBuilder();
        for (String token : p.parentTokens()) {
            walked.append('/').append(token.replace("~", "~0").replace("/", "~1"));
            JsonNode next;
            if (node instanceof ObjectNode object) {
                next = object.get(token);
            } else if (node instanceof ArrayNode array) {
                Integer i = parseIndex(token);
                next = i == null ? null : array.get(i < 0 ? i + array.size() : i);
            } else {
                next = null;
            }
            if (next == null || !next.isContainerNode()) {
                throw PatchException.invalid(p.text(), where + ": the path does not exist: nothing at " + walked
                        + (next == null ? "" : " but " + Trees.kind(next)));
            }
            node = next;
        }
        if (!node.isContainerNode()) {
            throw PatchException.invalid(p.text(), where + ": the path does not exist");
        }
        return node;
    }

    /** Reads the value at a pointer; null when an object member is absent (its parent must exist). */
    private static JsonNode read(Document doc, Pointer p, String where) {
        if (p.isRoot()) return doc.root;
        JsonNode parent = parent(doc, p, where);
        if (parent instanceof ObjectNode object) return object.get(p.last());
        ArrayNode array = (ArrayNode) parent;
        return array.get(existingIndex(array, p, where));
    }

    private static void insert(Document doc, Pointer p, JsonNode value, String where) {
        if (p.isRoot()) {
            throw PatchException.invalid(p.text(), where + ": cannot add at the document root");
        }
        JsonNode parent = parent(doc, p, where);
        if (parent instanceof ObjectNode object) {
            object.set(p.last(), value);
            return;
        }
        ArrayNode array = (ArrayNode) parent;
        String token = p.last();
        if (token.equals("-")) {
            array.add(value);
            return;
        }
        Integer i = parseIndex(token);
        if (i == null) {
            throw PatchException.invalid(p.text(), where + ": \"" + token + "\" is not an array index");
        }
        int size = array.size();
        int at = i < 0 ? i + size + 1 : i;
        if (at < 0 || at > size) {
            throw PatchException.invalid(p.text(), where + ": index " + i + " is out of bounds for a list of " + size);
        }
        array.insert(at, value);
    }

    private static JsonNode take(Document doc, Pointer p, String where) {
        if (p.isRoot()) {
            throw PatchException.invalid(p.text(), where + ": cannot remove the document root");
        }
        JsonNode parent = parent(doc, p, where);
        if (parent instanceof ObjectNode object) {
            if (!object.has(p.last())) {
                throw PatchException.invalid(p.text(), where + ": cannot remove \"" + p.last() + "\": it does not exist");
            }
            return object.remove(p.last());
        }
        ArrayNode array = (ArrayNode) parent;
        return array.remove(existingIndex(array, p, where));
    }

    private static int existingIndex(ArrayNode array, Pointer p, String where) {
        String token = p.last();
        Integer i = parseIndex(token);
        if (i == null) {
            throw PatchException.invalid(p.text(), where + ": \"" + token + "\" is not an array index");
        }
        int size = array.size();
        int at = i < 0 ? i + size : i;
        if (at < 0 || at >= size) {
            throw PatchException.invalid(p.text(), where + ": index " + i + " is out of bounds for a list of " + size);
        }
        return at;
    }

    /** Decimal indices as Kubernetes reads them, sign allowed; null when the token is not a number. */
    private static Integer parseIndex(String token) {
        if (token.isEmpty() || token.length() > 11) return null;
        for (int k = 0; k < token.length(); k++) {
            char c = token.charAt(k);
            if (!(c >= '0' && c <= '9') && !(k == 0 && (c == '-' || c == '+') && token.length() > 1)) return null;
        }
        try {
            return Integer.parseInt(token);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
