package io.hypernetes.image;

import java.util.regex.Pattern;

/**
 * An image reference in the registry's grammar ({@code [domain[:port]/]path[:tag][@digest]}), normalized as Docker
 * and the CRI runtimes do: {@code busybox} is {@code docker.io/library/busybox:latest}, {@code index.docker.io/x} is
 * {@code docker.io/x}. A first component is a registry when it has a dot, a port or upper-case letters, or is
 * {@code localhost}, so {@code team/app} is on Docker Hub and {@code localhost:5000/app} is not.
 *
 * <p>Parsing fails with {@link IllegalArgumentException} whose message starts with the quoted reference and says
 * what is wrong with it, so a caller can prefix the field it came from ({@code config.image …}).
 *
 * @param repository the normalized repository, e.g. {@code docker.io/library/busybox}
 * @param tag        the tag, {@code latest} when neither tag nor digest was given, empty when only a digest was
 * @param digest     the digest, e.g. {@code sha256:…}, or empty
 */
public record ImageReference(String repository, String tag, String digest) {
    /** Docker Hub's name in references; its API is served by {@link #DOCKER_HUB_API}. */
    public static final String DOCKER_HUB = "docker.io";
    /** Where Docker Hub's registry API is, since {@code docker.io} itself serves a web site. */
    public static final String DOCKER_HUB_API = "registry-1.docker.io";

    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final int MAX_NAME = 255;

    /** Parses and normalizes a reference; fails saying what is wrong with it. */
    public static ImageReference parse(String reference) {
        if (reference == null || reference.isEmpty()) {
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
            if (digest.startsWith("sha256:") && !SHA256.matcher(digest).matches()) {
                throw new IllegalArgumentException("\"" + reference + "\" has an invalid digest \"" + digest
                        + "\" (sha256: and 64 lower-case hex digits)");
            }
        }
        String tag = "";
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("\"" + reference + "\" has an invalid tag \"" + tag
                        + "\" (letters, digits, _ . -, not starting with . or -, at most 128)");
            }
        }
        if (rest.isEmpty() || rest.length() > MAX_NAME) {
            throw new IllegalArgumentException("\"" + reference + "\" has no repository name of 1 to " + MAX_NAME + " characters");
        }
        String domain = DOCKER_HUB;
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
                if (domain.equals("index.docker.io")) {
                    domain = DOCKER_HUB;
                }
            }
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw new IllegalArgumentException("\"" + reference + "\" has an invalid path component \"" + component
                        + "\" (lower-case letters, digits and single separators . _ __ -)");
            }
        }
        if (domain.equals(DOCKER_HUB) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (tag.isEmpty() && digest.isEmpty()) {
            tag = "latest";
        }
        return new ImageReference(domain + "/" + path, tag, digest);
    }

    /** The normalized reference, e.g. {@code docker.io/library/busybox:latest}. */
    public String name() {
        return repository + (tag.isEmpty() ? "" : ":" + tag) + (digest.isEmpty() ? "" : "@" + digest);
    }

    /** The registry as named in references, e.g. {@code docker.io} or {@code localhost:5000}. */
    public String registry() {
        return repository.substring(0, repository.indexOf('/'));
    }

    /** The repository within its registry, e.g. {@code library/busybox}: what the registry API's URLs name. */
    public String path() {
        return repository.substring(repository.indexOf('/') + 1);
    }

    /** What a manifest is fetched by: the digest when there is one (it pins the content), else the tag. */
    public String manifestReference() {
        return digest.isEmpty() ? tag : digest;
    }

    /** The repository with a tag, e.g. {@code docker.io/library/busybox:latest}, or empty when there is no tag. */
    public String repoTag() {
        return tag.isEmpty() ? "" : repository + ":" + tag;
    }

    @Override
    public String toString() {
        return name();
    }
}
