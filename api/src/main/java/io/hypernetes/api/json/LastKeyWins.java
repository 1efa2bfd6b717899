package io.hypernetes.api.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses request bodies as Kubernetes' decoders read them: a key given twice in one object is not a syntax error,
 * the last value wins, and every repetition is reported so the API server can apply {@code fieldValidation}
 * (Strict refuses, Warn warns, Ignore stays silent).
 *
 * <p>Why a separate parse: {@link Json#MAPPER} and {@link Json#YAML} refuse duplicates outright, which is right for
 * everything the project reads itself (stored objects, kubeconfigs, fixtures) and stays so. Only client input needs
 * the tolerant reading.
 *
 * <p>How: the strict mapper is tried first, so a body without duplicates (nearly all of them) is read exactly as
 * before and only once. When it reports a duplicate, the body is read again by a twin mapper without duplicate
 * detection (Jackson's tree then keeps the last value, at the position of the first), and a streaming pass over the
 * same bytes names each repeated key by its path, in Kubernetes' notation: {@code metadata.name},
 * {@code spec.containers[0].image}, {@code [1].path} for a top-level array, together with the line of the repeated
 * value, which is what Kubernetes' YAML decoder reports.
 *
 * <p>Known difference: Go's decoder merges a repeated key whose values are both objects into one typed struct;
 * here the last object replaces the first, as for scalars and arrays.
 */
public final class LastKeyWins {
    /** Kubernetes keeps at most this many strict decoding errors per request; so do we. */
    public static final int MAX_DUPLICATES = 100;

    private static final StreamReadConstraints LIMITS =
            StreamReadConstraints.builder().maxNestingDepth(200).maxStringLength(4 << 20).build();

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private static final ObjectMapper YAML = YAMLMapper.builder().build();

    static {
        JSON.getFactory().setStreamReadConstraints(LIMITS);
        YAML.getFactory().setStreamReadConstraints(LIMITS);
    }

    /** A key given again in the same object: its path, the key itself, and the (1-based) line of the value given last. */
    public record Duplicate(String path, String key, int line) {}

    /** The tree as the last values make it, and the duplicates in document order (none for most bodies). */
    public record Parsed(JsonNode tree, List<Duplicate> duplicates) {
        public Parsed {
            duplicates = List.copyOf(duplicates);
        }
    }

    private LastKeyWins() {}

    /** Parses JSON; malformed input throws as {@link Json#parse} does. */
    public static Parsed json(byte[] body) throws IOException {
        try {
            return new Parsed(Json.parse(body), List.of());
        } catch (StreamReadException e) {
            if (!isDuplicate(e)) throw e;
        }
        JsonNode tree;
        try (JsonParser p = JSON.createParser(body)) {
            tree = JSON.readTree(p);
        }
        return new Parsed(tree, scan(JSON.getFactory(), body));
    }

    /** Parses one YAML document (JSON included, as YAML's subset); null or a missing node for an empty body. */
    public static Parsed yaml(byte[] body) throws IOException {
        try {
            return new Parsed(Json.YAML.readTree(body), List.of());
        } catch (StreamReadException e) {
            if (!isDuplicate(e)) throw e;
        }
        return new Parsed(YAML.readTree(body), scan(YAML.getFactory(), body));
    }

    private static boolean isDuplicate(StreamReadException e) {
        String m = e.getOriginalMessage();
        return m != null && m.startsWith("Duplicate field");
    }

    /** One open object or array while streaming: its path, and the keys seen or the next index. */
    private static final class Frame {
        final String path;
        final Set<String> keys;
        int index;
        String key;

        Frame(String path, boolean object) {
            this.path = path;
            this.keys = object ? new HashSet<>() : null;
        }

        /** The path of the value that comes next in this container. */
        String child() {
            if (keys == null) return path + "[" + index + "]";
            return path.isEmpty() ? key : path + "." + key;
        }

        /** Called after each value in this container. */
        void done() {
            if (keys == null) index++;
        }
    }

    private static List<Duplicate> scan(JsonFactory factory, byte[] body) throws IOException {
        List<Duplicate> out = new ArrayList<>();
        Deque<Frame> stack = new ArrayDeque<>();
        String pending = null; // path of a repeated key whose value comes next
        String pendingKey = null;
        try (JsonParser p = factory.createParser(body)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                Frame top = stack.peek();
                if (t == JsonToken.FIELD_NAME) {
                    top.key = p.currentName();
                    if (!top.keys.add(top.key)) {
                        pending = top.child();
                        pendingKey = top.key;
                    }
                    continue;
                }
                if (pending != null) {
                    if (out.size() < MAX_DUPLICATES) out.add(new Duplicate(pending, pendingKey, p.currentTokenLocation().getLineNr()));
                    pending = null;
                }
                switch (t) {
                    case START_OBJECT, START_ARRAY -> stack.push(new Frame(top == null ? "" : top.child(), t == JsonToken.START_OBJECT));
                    case END_OBJECT, END_ARRAY -> {
                        stack.pop();
                        if (stack.peek() != null) stack.peek().done();
                    }
                    default -> {
                        if (top != null) top.done();
                    }
                }
            }
        }
        return out;
    }
}
