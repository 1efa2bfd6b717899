package io.hypernetes.runtime.hollow;

import java.util.regex.Pattern;

/**
 * An image reference in the registry's grammar ({@code [domain[:port]/]path[:tag][@digest]}), normalized as
 * container runtimes do: {@code nginx} is {@code docker.io/library/nginx:latest}.
 *
 * @param repository the normalized repository, e.g. {@code docker.io/library/nginx}
 * @param tag        the tag, {@code latest} when neither tag nor digest was given, empty when only a digest was
 * @param digest     the digest, e.g. {@code sha256:…}, or empty
 */
record ImageReference(String repository, String tag, String digest) {
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");
    private static final int MAX_NAME = 255;

    /** Parses a reference; fails with the reason (the caller names the field). */
    static ImageReference parse(String reference) {
        if (reference.isEmpty()) {
            throw new IllegalArgumentException("is empty");
        }
        String rest = reference;
        String digest = "";
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw new IllegalArgumentException("\"" + reference + "\" has an invalid digest \"" + digest + "\"");
            }
        }
        String tag = "";
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("\"" + reference + "\" has an invalid tag \"" + tag + "\"");
            }
        }
        if (rest.isEmpty() || rest.length() > MAX_NAME) {
            throw new IllegalArgumentException("\"" + reference + "\" has no repository name of 1 to " + MAX_NAME + " characters");
        }
        String domain = "docker.io";
        String path = rest;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || !first.equals(first.toLowerCase())) {
                domain = first;
                path = rest.substring(slash + 1);
                if (!DOMAIN.matcher(domain).matches()) {
                    throw new IllegalArgumentException("\"" + reference + "\" has an invalid registry \"" + domain + "\"");
                }
            }
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw new IllegalArgumentException("\"" + reference + "\" has an invalid path component \"" + component
                        + "\" (lower-case letters, digits and single separators . _ __ -)");
            }
        }
        if (domain.equals("docker.io") && !path.contains("/")) {
            path = "library/" + path;
        }
        if (tag.isEmpty() && digest.isEmpty()) {
            tag = "latest";
        }
        return new ImageReference(domain + "/" + path, tag, digest);
    }

    /** The normalized reference, e.g. {@code docker.io/library/nginx:latest}. */
    String name() {
        return repository + (tag.isEmpty() ? "" : ":" + tag) + (digest.isEmpty() ? "" : "@" + digest);
    }
}
