package io.hypernetes.hyperd;

import io.hypernetes.image.ImageConfig;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.KeyValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a container's main process runs, merged from its image and its config by Docker's rules (the ones a
 * Kubernetes user knows from {@code command} and {@code args}): {@code command} replaces the image's entrypoint and
 * then its cmd is dropped; {@code args} replace the image's cmd; the config's environment overrides the image's by
 * name; the working directory and the user fall back to the image's.
 */
record Launch(List<String> args, List<String> env, String workingDir, String user) {
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    static Launch of(ContainerConfig config, ImageConfig image) {
        List<String> args = new ArrayList<>();
        if (config.getCommandCount() > 0) {
            args.addAll(config.getCommandList());
            args.addAll(config.getArgsList());
        } else {
            args.addAll(image.entrypoint());
            args.addAll(config.getArgsCount() > 0 ? config.getArgsList() : image.cmd());
        }
        if (args.isEmpty() || args.getFirst().isEmpty()) {
            throw new IllegalArgumentException("no command: the container sets none and image " + config.getImage()
                    + " has neither an entrypoint nor a cmd");
        }
        return new Launch(args, env(image.env(), config.getEnvsList()),
                config.getWorkingDir().isEmpty() ? (image.workingDir().isEmpty() ? "/" : image.workingDir()) : config.getWorkingDir(),
                config.getRunAsUser() >= 0 ? Long.toString(config.getRunAsUser()) : image.user());
    }

    /** The image's environment with the container's on top, and a PATH when neither sets one, as Docker adds. */
    static List<String> env(List<String> image, List<KeyValue> container) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (String entry : image) {
            int eq = entry.indexOf('=');
            merged.put(eq < 0 ? entry : entry.substring(0, eq), eq < 0 ? "" : entry.substring(eq + 1));
        }
        for (KeyValue kv : container) {
            merged.put(kv.getKey(), kv.getValue());
        }
        List<String> env = new ArrayList<>();
        if (!merged.containsKey("PATH")) {
            env.add(DEFAULT_PATH);
        }
        merged.forEach((k, v) -> env.add(k + "=" + v));
        return env;
    }
}
