package io.hypernetes.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Merges one cluster, one user and one context into a kubeconfig as {@code kubectl config set-*} would: other
 * entries and top-level fields are kept, entries of the same names are replaced in place, the file ends 0600 and
 * is replaced atomically. YAML comments are not kept (kubectl does not keep them either).
 */
final class KubeconfigFile {
    private KubeconfigFile() {}

    /** The user's exec credential plugin: {@code users[].user.exec}. */
    record Exec(String command, List<String> args, String installHint) {}

    /** What to merge. {@code caPem} null means the system trust store. */
    record Entries(String clusterName, String server, byte[] caPem, String userName, Exec exec, String contextName) {}

    /** {@code $KUBECONFIG}'s first file (kubectl writes new entries there), else {@code ~/.kube/config}. */
    static Path defaultPath(Map<String, String> env) {
        String list = env.get("KUBECONFIG");
        if (list != null) {
            for (String p : list.split(File.pathSeparator)) if (!p.isBlank()) return Path.of(p);
        }
        return Path.of(System.getProperty("user.home"), ".kube", "config");
    }

    static void merge(Path file, Entries e, boolean switchContext) throws IOException {
        if (Files.isSymbolicLink(file)) file = file.toRealPath(); // replace the file the link names, keep the link
        ObjectNode root = read(file);
        ObjectNode cluster = Json.object();
        cluster.put("server", e.server());
        if (e.caPem() != null) cluster.put("certificate-authority-data", Base64.getEncoder().encodeToString(e.caPem()));
        upsert(root, "clusters", e.clusterName(), "cluster", cluster);

        ObjectNode exec = Json.object();
        exec.put("apiVersion", "client.authentication.k8s.io/v1");
        exec.put("command", e.exec().command());
        ArrayNode args = exec.putArray("args");
        e.exec().args().forEach(args::add);
        if (e.exec().installHint() != null) exec.put("installHint", e.exec().installHint());
        exec.put("interactiveMode", "IfAvailable");
        exec.put("provideClusterInfo", false);
        ObjectNode user = Json.object();
        user.set("exec", exec);
        upsert(root, "users", e.userName(), "user", user);

        ObjectNode context = Json.object();
        context.put("cluster", e.clusterName()).put("user", e.userName());
        JsonNode previous = find(root.path("contexts"), e.contextName()).path("context").path("namespace");
        if (previous.isTextual()) context.put("namespace", previous.asText()); // keep `kubectl config set-context --namespace`
        upsert(root, "contexts", e.contextName(), "context", context);

        if (switchContext || root.path("current-context").asText("").isEmpty()) root.put("current-context", e.contextName());

        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        TokenCache.writeAtomically(file, Json.YAML.writeValueAsBytes(root));
    }

    private static ObjectNode read(Path file) throws IOException {
        ObjectNode root = Json.object();
        if (Files.exists(file)) {
            JsonNode existing;
            try {
                existing = Json.YAML.readTree(Files.readAllBytes(file));
            } catch (IOException ex) {
                throw new IOException("cannot merge into kubeconfig " + file + ": it is not valid YAML (" + ex.getMessage().lines().findFirst().orElse("") + ")", ex);
            }
            if (existing != null && !existing.isMissingNode() && !existing.isNull()) {
                if (!(existing instanceof ObjectNode o)) throw new IOException("cannot merge into kubeconfig " + file + ": it is not a mapping");
                root = o;
            }
        }
        if (!root.hasNonNull("apiVersion")) root.put("apiVersion", "v1");
        if (!root.hasNonNull("kind")) root.put("kind", "Config");
        if (!root.hasNonNull("preferences")) root.putObject("preferences");
        return root;
    }

    /** Replaces the entry named {@code name} in place, or appends one. */
    private static void upsert(ObjectNode root, String list, String name, String field, ObjectNode value) throws IOException {
        JsonNode existing = root.get(list);
        ArrayNode array;
        if (existing == null || existing.isNull()) {
            array = root.putArray(list);
        } else if (existing instanceof ArrayNode a) {
            array = a;
        } else {
            throw new IOException("cannot merge into kubeconfig: its \"" + list + "\" is not a list");
        }
        ObjectNode entry = Json.object();
        entry.put("name", name);
        entry.set(field, value);
        int first = -1;
        for (int i = 0; i < array.size(); ) {
            if (!array.get(i).path("name").asText().equals(name)) {
                i++;
            } else if (first < 0) {
                array.set(i, entry);
                first = i++;
            } else {
                array.remove(i); // a duplicate written by hand: kubectl reads the first, so keep one entry per name
            }
        }
        if (first < 0) array.add(entry);
    }

    private static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) if (n.path("name").asText().equals(name)) return n;
        return Json.object();
    }
}
