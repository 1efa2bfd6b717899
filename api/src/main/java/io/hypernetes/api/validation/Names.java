package io.hypernetes.api.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The name and key syntaxes Kubernetes defines (apimachinery's {@code IsDNS1123Label} and friends). Each
 * method returns the reasons the text is invalid, worded as Kubernetes words them, or an empty list.
 *
 * <p>The apiserver also needs these outside object validation: namespace names in URL paths, label
 * selectors, generateName prefixes.
 */
public final class Names {
    public static final int DNS1123_LABEL_MAX = 63;
    public static final int DNS1123_SUBDOMAIN_MAX = 253;
    public static final int DNS1035_LABEL_MAX = 63;
    public static final int QUALIFIED_NAME_MAX = 63;
    public static final int LABEL_VALUE_MAX = 63;
    public static final int CONFIG_KEY_MAX = 253;
    public static final int IANA_SVC_NAME_MAX = 15;

    static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    static final String DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
    static final String DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
    static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    static final String LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?";
    static final String CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+";
    static final String ENV_VAR_NAME_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*";

    private static final Pattern DNS1123_LABEL = Pattern.compile(DNS1123_LABEL_FMT);
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(DNS1123_SUBDOMAIN_FMT);
    private static final Pattern DNS1035_LABEL = Pattern.compile(DNS1035_LABEL_FMT);
    private static final Pattern QUALIFIED_NAME = Pattern.compile(QUALIFIED_NAME_FMT);
    private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_FMT);
    private static final Pattern CONFIG_KEY = Pattern.compile(CONFIG_KEY_FMT);
    private static final Pattern ENV_VAR_NAME = Pattern.compile(ENV_VAR_NAME_FMT);
    private static final Pattern IANA_SVC_NAME_CHARS = Pattern.compile("[-a-z0-9]+");
    private static final Pattern HAS_LETTER = Pattern.compile(".*[a-z].*");

    private Names() {}

    /** A lowercase RFC 1123 label: namespace names, container and volume names. */
    public static List<String> dns1123Label(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > DNS1123_LABEL_MAX) errs.add(maxLen(DNS1123_LABEL_MAX));
        if (!DNS1123_LABEL.matcher(value).matches()) {
            errs.add(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-',"
                    + " and must start and end with an alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc"));
        }
        return errs;
    }

    /** A lowercase RFC 1123 subdomain: most object names. */
    public static List<String> dns1123Subdomain(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > DNS1123_SUBDOMAIN_MAX) errs.add(maxLen(DNS1123_SUBDOMAIN_MAX));
        if (!DNS1123_SUBDOMAIN.matcher(value).matches()) {
            errs.add(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters,"
                    + " '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT,
                    "example.com"));
        }
        return errs;
    }

    /** An RFC 1035 label: service names, which become DNS names and environment variables. */
    public static List<String> dns1035Label(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > DNS1035_LABEL_MAX) errs.add(maxLen(DNS1035_LABEL_MAX));
        if (!DNS1035_LABEL.matcher(value).matches()) {
            errs.add(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start"
                    + " with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL_FMT,
                    "my-name", "abc-123"));
        }
        return errs;
    }

    /**
     * The same rule as {@code rule} for a generateName prefix: a trailing '-' is fine there because the
     * random suffix follows it.
     */
    public static List<String> asPrefix(java.util.function.Function<String, List<String>> rule, String prefix) {
        String masked = prefix.endsWith("-") ? prefix.substring(0, prefix.length() - 1) + "a" : prefix;
        return rule.apply(masked);
    }

    /** A qualified name: label keys, annotation keys, finalizers. Optional DNS-subdomain prefix and '/'. */
    public static List<String> qualifiedName(String value) {
        List<String> errs = new ArrayList<>();
        String[] parts = value.split("/", -1);
        String name;
        switch (parts.length) {
            case 1 -> name = parts[0];
            case 2 -> {
                String prefix = parts[0];
                name = parts[1];
                if (prefix.isEmpty()) {
                    errs.add("prefix part must be non-empty");
                } else {
                    for (String msg : dns1123Subdomain(prefix)) errs.add("prefix part " + msg);
                }
            }
            default -> {
                errs.add("a qualified name " + regexError("must consist of alphanumeric characters, '-', '_' or '.',"
                                + " and must start and end with an alphanumeric character", QUALIFIED_NAME_FMT,
                        "MyName", "my.name", "123-abc")
                        + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
            }
        }
        if (name.isEmpty()) {
            errs.add("name part must be non-empty");
        } else if (name.length() > QUALIFIED_NAME_MAX) {
            errs.add("name part " + maxLen(QUALIFIED_NAME_MAX));
        }
        if (!QUALIFIED_NAME.matcher(name).matches()) {
            errs.add("name part " + regexError("must consist of alphanumeric characters, '-', '_' or '.', and must"
                    + " start and end with an alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name",
                    "123-abc"));
        }
        return errs;
    }

    /** A label value: empty, or a qualified name part. */
    public static List<String> labelValue(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > LABEL_VALUE_MAX) errs.add(maxLen(LABEL_VALUE_MAX));
        if (!LABEL_VALUE.matcher(value).matches()) {
            errs.add(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-',"
                    + " '_' or '.', and must start and end with an alphanumeric character", LABEL_VALUE_FMT,
                    "MyValue", "my_value", "12345"));
        }
        return errs;
    }

    /** An IANA service name (RFC 6335): named ports. */
    public static List<String> ianaServiceName(String port) {
        List<String> errs = new ArrayList<>();
        if (port.length() > IANA_SVC_NAME_MAX) errs.add(maxLen(IANA_SVC_NAME_MAX));
        if (!IANA_SVC_NAME_CHARS.matcher(port).matches()) {
            errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (port.contains("--")) errs.add("must not contain consecutive hyphens");
        if (!HAS_LETTER.matcher(port).matches()) errs.add("must contain at least one letter (a-z)");
        if (port.startsWith("-") || port.endsWith("-")) errs.add("must not begin or end with a hyphen");
        return errs;
    }

    /** A container environment variable name. */
    public static List<String> envVarName(String value) {
        List<String> errs = new ArrayList<>();
        if (!ENV_VAR_NAME.matcher(value).matches()) {
            errs.add(regexError("a valid environment variable name must consist of alphabetic characters, digits,"
                    + " '_', '-', or '.', and must not start with a digit", ENV_VAR_NAME_FMT, "my.env-name",
                    "MY_ENV.NAME", "MyEnvName1"));
        }
        errs.addAll(notDots(value));
        return errs;
    }

    /** A ConfigMap or Secret key, which becomes a file name in a volume. */
    public static List<String> configMapKey(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > CONFIG_KEY_MAX) errs.add(maxLen(CONFIG_KEY_MAX));
        if (!CONFIG_KEY.matcher(value).matches()) {
            errs.add(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                    CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"));
        }
        errs.addAll(notDots(value));
        return errs;
    }

    private static List<String> notDots(String value) {
        if (value.equals(".")) return List.of("must not be '.'");
        if (value.equals("..")) return List.of("must not be '..'");
        if (value.startsWith("..")) return List.of("must not start with '..'");
        return List.of();
    }

    static String maxLen(int max) {
        return "must be no more than " + max + " characters";
    }

    static String regexError(String msg, String regex, String... examples) {
        StringBuilder sb = new StringBuilder(msg).append(" (");
        if (examples.length > 0) {
            sb.append("e.g. ");
            for (int i = 0; i < examples.length; i++) {
                if (i > 0) sb.append(",  or ");
                sb.append('\'').append(examples[i]).append('\'');
            }
            sb.append(", ");
        }
        return sb.append("regex used for validation is '").append(regex).append("')").toString();
    }
}
