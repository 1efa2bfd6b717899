package io.hypernetes.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the runtime needs from an image's configuration blob to start a container: the command and environment
 * defaults, plus the uncompressed digests of its layers ({@code rootfs.diff_ids}), which the root filesystem build
 * checks each decompressed layer against.
 */
public record ImageConfig(String os, String architecture, List<String> entrypoint, List<String> cmd, List<String> env,
                          String workingDir, String user, List<String> exposedPorts, Map<String, String> labels,
                          String stopSignal, List<String> diffIds) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        exposedPorts = List.copyOf(exposedPorts);
        labels = Map.copyOf(labels);
        diffIds = List.copyOf(diffIds);
    }

    /** Parses a configuration blob (OCI {@code application/vnd.oci.image.config.v1+json} or Docker's). */
    static ImageConfig parse(byte[] json, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ImageException(ImageException.Reason.INVALID, where + " is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ImageException(ImageException.Reason.INVALID, where + " is not a JSON object");
        }
        JsonNode config = root.path("config");
        Map<String, String> labels = new LinkedHashMap<>();
        config.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        List<String> ports = new ArrayList<>();
        config.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        List<String> diffIds = strings(root.path("rootfs").path("diff_ids"));
        for (String diffId : diffIds) {
            if (!Digests.isSha256(diffId)) {
                throw new ImageException(ImageException.Reason.UNSUPPORTED, where + " has layer diff_id \"" + diffId
                        + "\"; only sha256 is supported");
            }
        }
        return new ImageConfig(root.path("os").asText(""), root.path("architecture").asText(""),
                strings(config.path("Entrypoint")), strings(config.path("Cmd")), strings(config.path("Env")),
                config.path("WorkingDir").asText(""), config.path("User").asText(""), ports, labels,
                config.path("StopSignal").asText(""), diffIds);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }
}
