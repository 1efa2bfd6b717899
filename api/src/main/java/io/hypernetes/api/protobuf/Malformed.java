package io.hypernetes.api.protobuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A failure inside a message that collects the field path while the stack unwinds; only the outermost call turns
 * it into the public {@link ProtobufException}, so the path costs nothing unless something is wrong. No stack
 * trace: it is input validation, not a bug.
 */
final class Malformed extends RuntimeException {
    private final List<String> path = new ArrayList<>();

    Malformed(String message) {
        super(message, null, false, false);
    }

    /** Adds the enclosing field (or a "[i]" / "[key]" index) while unwinding outwards. */
    Malformed at(String segment) {
        path.add(segment);
        return this;
    }

    ProtobufException toException(String where) {
        StringBuilder p = new StringBuilder();
        for (int i = path.size() - 1; i >= 0; i--) {
            String s = path.get(i);
            if (!s.startsWith("[") && !p.isEmpty()) p.append('.');
            p.append(s);
        }
        return new ProtobufException(where + (p.isEmpty() ? "" : " field " + p) + ": " + getMessage());
    }
}
