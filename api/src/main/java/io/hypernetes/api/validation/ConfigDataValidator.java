package io.hypernetes.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * ConfigMap and Secret rules: keys become file names in volumes, values are bounded so one object cannot
 * blow up the store, and {@code immutable: true} freezes the data for good.
 */
final class ConfigDataValidator implements KindValidator {
    static final ConfigDataValidator CONFIG_MAP = new ConfigDataValidator(false);
    static final ConfigDataValidator SECRET = new ConfigDataValidator(true);

    static final int MAX_SIZE = 1024 * 1024;
    static final String IMMUTABLE_SET = "field is immutable when `immutable` is set";

    private final boolean secret;

    private ConfigDataValidator(boolean secret) {
        this.secret = secret;
    }

    @Override
    public void validate(JsonNode obj, List<FieldError> errs) {
        long total = 0;
        // In a Secret, data is base64 (the bytes); in a ConfigMap, data is text and binaryData is base64.
        Map<String, byte[]> decoded = new HashMap<>();
        for (var e : Tree.entries(obj, "data")) {
            FieldPath p = FieldPath.of("data").key(e.getKey());
            Metadata.name(e.getKey(), Names::configMapKey, p, errs);
            if (secret) {
                byte[] bytes = base64(e.getValue(), p, errs);
                if (bytes != null) {
                    decoded.put(e.getKey(), bytes);
                    total += bytes.length;
                }
            } else {
                total += e.getValue().asText().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        String second = secret ? "stringData" : "binaryData";
        for (var e : Tree.entries(obj, second)) {
            FieldPath p = FieldPath.of(second).key(e.getKey());
            Metadata.name(e.getKey(), Names::configMapKey, p, errs);
            if (secret) {
                // stringData overrides data on write, so a key in both counts once.
                byte[] bytes = e.getValue().asText().getBytes(StandardCharsets.UTF_8);
                byte[] replaced = decoded.get(e.getKey());
                total += bytes.length - (replaced == null ? 0 : replaced.length);
            } else {
                if (Tree.has(Tree.node(obj, "data"), e.getKey())) {
                    errs.add(FieldError.invalid(p.text(), e.getKey(), "duplicate of key present in data"));
                }
                byte[] bytes = base64(e.getValue(), p, errs);
                if (bytes != null) total += bytes.length;
            }
        }
        if (total > MAX_SIZE) errs.add(FieldError.tooLong("data", MAX_SIZE));
        if (Tree.has(obj, "immutable") && !Tree.node(obj, "immutable").isBoolean()) {
            errs.add(FieldError.invalid("immutable", Tree.text(obj, "immutable"), "must be a boolean"));
        }
        if (secret) secretType(obj, errs);
    }

    private static byte[] base64(JsonNode value, FieldPath path, List<FieldError> errs) {
        String text = value.asText().replace("\r", "").replace("\n", "");
        try {
            if (text.length() % 4 != 0) throw new IllegalArgumentException("length");
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            // Never echo the value: it may be a secret.
            errs.add(FieldError.invalid(path.text(), null, "must be base64-encoded (illegal base64 data)"));
            return null;
        }
    }

    /** The well-known secret types each promise certain keys, which consumers then read without checking. */
    private static void secretType(JsonNode obj, List<FieldError> errs) {
        String type = Tree.text(obj, "type");
        FieldPath data = FieldPath.of("data");
        switch (type) {
            case "kubernetes.io/service-account-token" -> {
                String sa = Tree.text(Tree.node(Tree.node(obj, "metadata"), "annotations"), "kubernetes.io/service-account.name");
                if (sa.isEmpty()) {
                    errs.add(FieldError.required(FieldPath.of("metadata").child("annotations").key("kubernetes.io/service-account.name").text(), ""));
                }
            }
            case "kubernetes.io/dockercfg" -> requireJson(obj, ".dockercfg", data, errs);
            case "kubernetes.io/dockerconfigjson" -> requireJson(obj, ".dockerconfigjson", data, errs);
            case "kubernetes.io/basic-auth" -> {
                if (!hasKey(obj, "username") && !hasKey(obj, "password")) {
                    errs.add(FieldError.required(data.key("username").text(), ""));
                    errs.add(FieldError.required(data.key("password").text(), ""));
                }
            }
            case "kubernetes.io/ssh-auth" -> {
                if (!hasKey(obj, "ssh-privatekey")) errs.add(FieldError.required(data.key("ssh-privatekey").text(), ""));
            }
            case "kubernetes.io/tls" -> {
                if (!hasKey(obj, "tls.crt")) errs.add(FieldError.required(data.key("tls.crt").text(), ""));
                if (!hasKey(obj, "tls.key")) errs.add(FieldError.required(data.key("tls.key").text(), ""));
            }
            default -> {
                if (Tree.has(obj, "type") && type.isEmpty()) errs.add(FieldError.required("type", ""));
            }
        }
    }

    private static boolean hasKey(JsonNode obj, String key) {
        return Tree.has(Tree.node(obj, "data"), key) || Tree.has(Tree.node(obj, "stringData"), key);
    }

    private static void requireJson(JsonNode obj, String key, FieldPath data, List<FieldError> errs) {
        FieldPath p = data.key(key);
        String raw;
        if (Tree.has(Tree.node(obj, "stringData"), key)) {
            raw = Tree.text(Tree.node(obj, "stringData"), key);
        } else if (Tree.has(Tree.node(obj, "data"), key)) {
            try {
                raw = new String(Base64.getMimeDecoder().decode(Tree.text(Tree.node(obj, "data"), key)), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return; // already reported as bad base64
            }
        } else {
            errs.add(FieldError.required(p.text(), ""));
            return;
        }
        try {
            JsonNode parsed = io.hypernetes.api.json.Json.parse(raw.getBytes(StandardCharsets.UTF_8));
            if (!parsed.isObject()) throw new java.io.IOException("not an object");
        } catch (java.io.IOException e) {
            errs.add(FieldError.invalid(p.text(), null, "must be a valid JSON object: " + e.getMessage().lines().findFirst().orElse("")));
        }
    }

    @Override
    public void validateUpdate(JsonNode newObj, JsonNode oldObj, List<FieldError> errs) {
        if (secret) Metadata.immutable(Tree.text(newObj, "type"), Tree.text(oldObj, "type"), FieldPath.of("type"), errs);
        if (!Tree.isTrue(oldObj, "immutable")) return;
        if (!Tree.isTrue(newObj, "immutable")) errs.add(FieldError.forbidden("immutable", IMMUTABLE_SET));
        for (String f : secret ? List.of("data", "stringData") : List.of("data", "binaryData")) {
            JsonNode n = Tree.node(newObj, f);
            JsonNode o = Tree.node(oldObj, f);
            boolean emptyN = n == null || n.isEmpty();
            boolean emptyO = o == null || o.isEmpty();
            if (!(emptyN && emptyO) && !Objects.equals(n, o)) errs.add(FieldError.forbidden(f, IMMUTABLE_SET));
        }
    }
}
