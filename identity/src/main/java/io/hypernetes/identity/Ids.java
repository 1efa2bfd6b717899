package io.hypernetes.identity;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Identifiers as Keystone makes them: 32 lowercase hex characters (a UUID4's bits without dashes). */
final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    /*
     * Generated ids are 32 hex, but Keystone lets an operator pick some (the domain "default" is the famous one),
     * so ids we accept are any short run of URL- and key-safe characters: they travel in URLs and Store keys.
     */
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private Ids() {}

    static String generate() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static String check(String what, String id) {
        if (id == null || !ACCEPTED.matcher(id).matches()) {
            throw new ValidationException(what + ": must be 1-64 letters, digits, '-' or '_', got " + quote(id));
        }
        return id;
    }

    /** Names must be printable: they end up in logs, kubeconfigs, shell rc files and terminals. */
    static String checkName(String what, String name, int maxLength) {
        if (name == null || name.isBlank()) throw new ValidationException(what + ": must not be empty");
        if (name.codePointCount(0, name.length()) > maxLength) {
            throw new ValidationException(what + ": at most " + maxLength + " characters");
        }
        if (!name.equals(name.strip())) {
            throw new ValidationException(what + ": must not start or end with whitespace");
        }
        if (name.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                || Character.getType(c) == Character.SURROGATE || Character.getType(c) == Character.UNASSIGNED)) {
            throw new ValidationException(what + ": must not contain control or invisible characters");
        }
        return name;
    }

    static String checkDescription(String description) {
        if (description == null) return "";
        if (description.length() > 4096) throw new ValidationException("description: at most 4096 characters");
        return description;
    }

    private static String quote(String s) {
        return s == null ? "nothing" : "\"" + (s.length() > 70 ? s.substring(0, 70) + "…" : s) + "\"";
    }
}
