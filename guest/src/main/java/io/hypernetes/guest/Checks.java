package io.hypernetes.guest;

import java.util.List;
import java.util.regex.Pattern;

/** The same checks hyperstart makes, made early so a bad value never reaches the guest. */
final class Checks {
    private Checks() {}

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    static String name(String what, String value) {
        if (value == null || !NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            throw new IllegalArgumentException(what + " '" + value + "' must be 1..64 of [A-Za-z0-9_.-] and not . or ..");
        }
        return value;
    }

    static String text(String what, String value) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is required");
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
        return value;
    }

    static String token(String what, String value) {
        text(what, value);
        if (value.isEmpty() || value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(what + " '" + value + "' must be non-empty without whitespace");
        }
        return value;
    }

    static String absolutePath(String what, String value) {
        text(what, value);
        if (!value.startsWith("/") || value.length() >= 1024) {
            throw new IllegalArgumentException(what + " '" + value + "' must be an absolute path shorter than 1024");
        }
        if (!value.equals("/")) {
            components(what, value.substring(1));
        }
        return value;
    }

    static String relativePath(String what, String value) {
        text(what, value);
        if (value.isEmpty() || value.startsWith("/") || value.length() >= 1024) {
            throw new IllegalArgumentException(what + " '" + value + "' must be a non-empty relative path shorter than 1024");
        }
        components(what, value);
        return value;
    }

    private static void components(String what, String path) {
        for (String c : path.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..") || c.length() > 255) {
                throw new IllegalArgumentException(what + " '" + path + "' has an empty, '.' or '..' component: it must stay inside its root");
            }
        }
    }

    static List<String> texts(String what, List<String> values) {
        values.forEach(v -> text(what, v));
        return List.copyOf(values);
    }
}
