package io.hypernetes.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The seed's Network, Namespace and Pod YAML from DESIGN.md, shared by the tests that hold the model to it. */
public final class SeedYaml {
    public static final String TEXT = read();

    private SeedYaml() {}

    private static String read() {
        try (InputStream in = SeedYaml.class.getResourceAsStream("seed.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
