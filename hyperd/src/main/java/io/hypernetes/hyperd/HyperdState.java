package io.hypernetes.hyperd;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What hyperd keeps on disk so that a restart of hyperd (or of the node agent) finds every pod VM again and loses
 * or orphans nothing — the original hyperd's most common complaint. One {@code sandbox.json} per pod in its
 * directory, rewritten whole (to a temporary file, then renamed) on every change of the pod or a container; the
 * VM's own record ({@code vm.json}, the VM layer's) sits beside it. Protobuf configs are stored as their binary
 * encoding (base64 in the JSON): that is the format that stays compatible as the interface grows.
 */
final class HyperdState {
    private HyperdState() {}

    record SandboxRecord(String id, PodSandboxConfig config, long createdAt, String state, String ip, String vmDir,
                         List<ContainerRecord> containers) {}

    record ContainerRecord(String id, ContainerConfig config, String imageId, long createdAt, long startedAt,
                           long finishedAt, String state, int exitCode, String reason, String message, int mainProcessId) {}

    static final JsonMapper JSON = JsonMapper.builder()
            .addModule(new SimpleModule("protobuf")
                    .addSerializer(PodSandboxConfig.class, new ProtoSerializer<>(PodSandboxConfig.class))
                    .addDeserializer(PodSandboxConfig.class, new ProtoDeserializer<>(PodSandboxConfig.class, PodSandboxConfig.parser()))
                    .addSerializer(ContainerConfig.class, new ProtoSerializer<>(ContainerConfig.class))
                    .addDeserializer(ContainerConfig.class, new ProtoDeserializer<>(ContainerConfig.class, ContainerConfig.parser())))
            .build();

    static void write(Path file, SandboxRecord record) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), record);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    static SandboxRecord read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), SandboxRecord.class);
    }

    private static final class ProtoSerializer<T extends Message> extends StdSerializer<T> {
        ProtoSerializer(Class<T> type) {
            super(type);
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeBinary(value.toByteArray());
        }
    }

    private static final class ProtoDeserializer<T extends Message> extends StdDeserializer<T> {
        private final transient Parser<T> parser;

        ProtoDeserializer(Class<T> type, Parser<T> parser) {
            super(type);
            this.parser = parser;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            try {
                return parser.parseFrom(p.getBinaryValue());
            } catch (InvalidProtocolBufferException e) {
                throw new IOException("a stored config does not parse: " + e.getMessage(), e);
            }
        }
    }
}
