package io.hypernetes.image;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How this node reaches registries: which are {@code insecure} (plain HTTP, or TLS without certificate
 * verification), and which {@code mirrors} to try, in order, before a registry itself. Keys and entries of
 * {@code insecure} are registries as named in references ({@code docker.io}, {@code localhost:5000}). A mirror is a
 * URL ({@code https://mirror.example:5000}, {@code http://127.0.0.1:5001}); a bare {@code host:port} means HTTPS, or
 * insecure when that host is itself listed in {@code insecure}.
 *
 * <pre>{@code
 * insecure: ["localhost:5000"]
 * mirrors:
 *   docker.io: ["https://mirror.example", "http://127.0.0.1:5001"]
 * }</pre>
 */
public record RegistryConfig(List<String> insecure, Map<String, List<String>> mirrors) {
    /** HTTPS with verified certificates to every registry, no mirrors. */
    public static final RegistryConfig DEFAULT = new RegistryConfig(List.of(), Map.of());

    public RegistryConfig {
        insecure = insecure == null ? List.of() : List.copyOf(insecure);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        if (mirrors != null) {
            mirrors.forEach((registry, urls) -> {
                List<String> checked = new ArrayList<>();
                for (String url : urls == null ? List.<String>of() : urls) {
                    mirrorUri(registry, url, Set.of());
                    checked.add(url);
                }
                copy.put(registry, List.copyOf(checked));
            });
        }
        mirrors = Map.copyOf(copy);
        for (String registry : insecure) {
            if (registry == null || registry.isBlank() || registry.contains("/")) {
                throw new IllegalArgumentException("insecure: \"" + registry + "\" is not a registry host[:port]");
            }
        }
    }

    /** This configuration with one more insecure registry. */
    public RegistryConfig withInsecure(String registry) {
        List<String> more = new ArrayList<>(insecure);
        more.add(registry);
        return new RegistryConfig(more, mirrors);
    }

    /** This configuration with {@code urls} as the mirrors of {@code registry}. */
    public RegistryConfig withMirrors(String registry, List<String> urls) {
        Map<String, List<String>> more = new LinkedHashMap<>(mirrors);
        more.put(registry, urls);
        return new RegistryConfig(insecure, more);
    }

    public boolean isInsecure(String registry) {
        return insecure.contains(registry);
    }

    /**
     * Reads a configuration file: JSON when its name ends in {@code .json}, else YAML. Unknown keys are refused, so a
     * typo does not silently leave a registry secure or without its mirror.
     */
    public static RegistryConfig load(Path file) {
        ObjectMapper mapper = (file.getFileName().toString().endsWith(".json") ? JsonMapper.builder() : YAMLMapper.builder())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        try {
            RegistryConfig config = mapper.readValue(Files.readAllBytes(file), RegistryConfig.class);
            return config == null ? DEFAULT : config;
        } catch (IOException | IllegalArgumentException e) {
            throw new ImageException(ImageException.Reason.INVALID, "registry configuration " + file + ": " + e.getMessage(), e);
        }
    }

    static URI mirrorUri(String registry, String url, Set<String> insecure) {
        String withScheme = url.contains("://") ? url : (insecure.contains(url) ? "http://" : "https://") + url;
        try {
            URI uri = new URI(withScheme);
            if (!(uri.getScheme().equals("https") || uri.getScheme().equals("http")) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new URISyntaxException(url, "not an http(s)://host[:port][/path] URL");
            }
            String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("mirrors." + registry + ": \"" + url + "\" is not an http(s)://host[:port] URL", e);
        }
    }
}
