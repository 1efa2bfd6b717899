package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The pod's file volumes on the node, as the kubelet's volume manager keeps them: {@code emptyDir}, {@code configMap},
 * {@code secret} and {@code downwardAPI}, each a directory {@code ROOT/pods/<uid>/volumes/<name>} that the runtime
 * shares into the pod (for hyperd: into the pod's VM, the only host files it sees besides its images). Block volumes
 * ({@code cinder}) are the runtime's to plug in and are not here.
 *
 * <p>Projected files are written as Kubernetes' atomic writer writes them, so a container never reads half of an
 * update: the payload goes into a fresh hidden directory, the {@code ..data} symlink is swapped to it with one
 * rename, and each file is a symlink through {@code ..data}. Item paths must stay inside the volume.
 */
final class PodVolumes {
    private static final String DATA = "..data";
    private static final Set<String> FILE_VOLUMES = Set.of("emptyDir", "configMap", "secret", "downwardAPI");

    private final Path root;

    /** @param root the node's state directory; null: this node keeps no volume files, and pods that need some fail to start */
    PodVolumes(Path root) {
        this.root = root == null ? null : root.resolve("pods");
    }

    /** Writes (or refreshes) the pod's file volumes; returns each one's directory by volume name. */
    Map<String, Path> prepare(KubeClient client, JsonNode pod) throws RuntimeConfigs.ConfigError {
        Map<String, Path> dirs = new HashMap<>();
        for (JsonNode v : pod.path("spec").path("volumes")) {
            String name = v.path("name").asText();
            String kind = FILE_VOLUMES.stream().filter(v::has).findFirst().orElse(null);
            if (kind == null) {
                if (v.has("cinder")) continue; // block volumes are the runtime's to plug into the VM
                if (v.has("hostPath")) {
                    throw new RuntimeConfigs.ConfigError("volume \"" + name + "\": hostPath volumes are refused: a pod is a VM and shares nothing of its node");
                }
                String type = v.propertyStream().map(java.util.Map.Entry::getKey).filter(k -> !k.equals("name")).findFirst().orElse("none");
                throw new RuntimeConfigs.ConfigError("volume \"" + name + "\": " + type + " volumes are not supported by this node agent"
                        + " (cinder, emptyDir, configMap, secret and downwardAPI are)");
            }
            if (root == null) {
                throw new RuntimeConfigs.ConfigError("volume \"" + name + "\": this node keeps no volume files (its agent has no root directory)");
            }
            Path dir = root.resolve(Meta.uid(pod)).resolve("volumes").resolve(name);
            try {
                Files.createDirectories(dir);
                switch (kind) {
                    case "emptyDir" -> { }
                    case "configMap" -> project(dir, keys(client, pod, v.path("configMap"), "configmaps", "name", false), v.path("configMap"));
                    case "secret" -> project(dir, keys(client, pod, v.path("secret"), "secrets", "secretName", true), v.path("secret"));
                    default -> project(dir, downward(pod, v.path("downwardAPI")), v.path("downwardAPI"));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("volume " + name + " of pod " + Meta.namespace(pod) + "/" + Meta.name(pod) + ": " + e.getMessage(), e);
            }
            dirs.put(name, dir);
        }
        return dirs;
    }

    /** Removes everything the pod had on the node (after its sandbox is gone). */
    void remove(String uid) {
        if (root == null || uid.isEmpty()) return;
        Path dir = root.resolve(uid);
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("removing the volumes of pod " + uid + ": " + e.getMessage(), e);
        }
    }

    /** A ConfigMap's or Secret's keys as bytes, or none when it is missing and optional. */
    private static Map<String, byte[]> keys(KubeClient client, JsonNode pod, JsonNode source, String resource, String nameField,
            boolean base64) throws RuntimeConfigs.ConfigError {
        String objectName = source.path(nameField).asText();
        KubeClient.Response r = client.get("/api/v1/namespaces/" + Meta.namespace(pod) + "/" + resource + "/" + objectName);
        Map<String, byte[]> keys = new LinkedHashMap<>();
        if (r.code() == 404) {
            if (source.path("optional").asBoolean(false)) return keys;
            throw new RuntimeConfigs.ConfigError(resource.substring(0, resource.length() - 1) + " \"" + objectName + "\" not found");
        }
        if (r.code() != 200) throw new RuntimeConfigs.ConfigError("reading " + resource + " " + objectName + ": HTTP " + r.code());
        JsonNode obj = r.json();
        obj.path("data").properties().forEach(e -> keys.put(e.getKey(), base64
                ? Base64.getDecoder().decode(e.getValue().asText()) : e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
        obj.path("binaryData").properties().forEach(e -> keys.put(e.getKey(), Base64.getDecoder().decode(e.getValue().asText())));
        return keys;
    }

    /** A downwardAPI volume's files: the pod's own metadata fields. */
    private static Map<String, byte[]> downward(JsonNode pod, JsonNode source) throws RuntimeConfigs.ConfigError {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (JsonNode item : source.path("items")) {
            String field = item.path("fieldRef").path("fieldPath").asText();
            String value = switch (field) {
                case "metadata.name" -> Meta.name(pod);
                case "metadata.namespace" -> Meta.namespace(pod);
                case "metadata.uid" -> Meta.uid(pod);
                case "metadata.labels", "metadata.annotations" -> {
                    StringBuilder b = new StringBuilder();
                    pod.path("metadata").path(field.substring("metadata.".length())).properties()
                            .forEach(e -> b.append(e.getKey()).append("=\"").append(e.getValue().asText()).append("\"\n"));
                    yield b.toString();
                }
                default -> throw new RuntimeConfigs.ConfigError("downwardAPI volume: field " + field + " is not supported");
            };
            files.put(item.path("path").asText(), value.getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    /**
     * Writes {@code keys} into {@code dir} as the volume's {@code items} select and name them (all keys by their
     * own names when there are no items), with {@code defaultMode}/{@code mode}, atomically.
     */
    private static void project(Path dir, Map<String, byte[]> keys, JsonNode source) throws IOException, RuntimeConfigs.ConfigError {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, Integer> modes = new HashMap<>();
        int defaultMode = source.path("defaultMode").asInt(0644);
        JsonNode items = source.path("items");
        boolean downward = source.path("items").path(0).has("fieldRef");
        if (items.isArray() && !items.isEmpty() && !downward) {
            for (JsonNode item : items) {
                String key = item.path("key").asText();
                if (!keys.containsKey(key)) {
                    if (source.path("optional").asBoolean(false)) continue;
                    throw new RuntimeConfigs.ConfigError("key \"" + key + "\" not found");
                }
                files.put(item.path("path").asText(), keys.get(key));
                if (item.has("mode")) modes.put(item.path("path").asText(), item.path("mode").asInt());
            }
        } else {
            files.putAll(keys);
        }
        Path payload = dir.resolve("..payload-" + Long.toHexString(System.nanoTime()));
        Files.createDirectory(payload);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path target = inside(payload, f.getKey());
            Files.createDirectories(target.getParent());
            Files.write(target, f.getValue());
            Files.setPosixFilePermissions(target, permissions(modes.getOrDefault(f.getKey(), defaultMode)));
        }
        // swap ..data to the new payload in one rename, then make sure every top-level name points through it
        Path link = dir.resolve("..data-" + Long.toHexString(System.nanoTime()));
        Files.createSymbolicLink(link, payload.getFileName());
        Path previous = Files.isSymbolicLink(dir.resolve(DATA)) ? dir.resolve(Files.readSymbolicLink(dir.resolve(DATA))) : null;
        try {
            Files.move(link, dir.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the node's file system cannot swap a symlink atomically: " + e.getMessage(), e);
        }
        Set<String> top = new java.util.HashSet<>();
        for (String path : files.keySet()) top.add(path.split("/", 2)[0]);
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith("..") && !top.contains(n)) Files.deleteIfExists(p); // a key that went away
            }
        }
        for (String name : top) {
            try {
                Files.createSymbolicLink(dir.resolve(name), Path.of(DATA, name));
            } catch (FileAlreadyExistsException e) {
                // points through ..data already
            }
        }
        if (previous != null && !previous.equals(payload)) {
            try (Stream<Path> old = Files.walk(previous)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** {@code relative} under {@code base}, refused when it is absolute, empty, or climbs out with {@code ..}. */
    static Path inside(Path base, String relative) throws RuntimeConfigs.ConfigError {
        if (relative.isEmpty() || relative.startsWith("/") || relative.startsWith("..")) {
            throw new RuntimeConfigs.ConfigError("volume item path \"" + relative + "\" must be relative and must not start with \"..\"");
        }
        Path p = base.resolve(relative).normalize();
        if (!p.startsWith(base) || p.equals(base)) {
            throw new RuntimeConfigs.ConfigError("volume item path \"" + relative + "\" leaves its volume");
        }
        return p;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) if ((mode & (1 << bit)) != 0) set.add(order[bit]);
        return set;
    }
}
