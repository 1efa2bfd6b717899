package io.hypernetes.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.hypernetes.runtime.hollow.HollowRuntime;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.VersionRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeEndpointTest {
    @TempDir
    Path dir;

    @Test
    void parsesUnixAndInProcessEndpoints() {
        assertThat(RuntimeEndpoint.parse("unix:///run/hypernetes/hyperd.sock"))
                .isEqualTo(new RuntimeEndpoint.Unix(Path.of("/run/hypernetes/hyperd.sock")));
        assertThat(RuntimeEndpoint.parse("inprocess:hollow-node-7")).isEqualTo(new RuntimeEndpoint.InProcess("hollow-node-7"));
        assertThat(RuntimeEndpoint.parse("unix:///run/x.sock").toString()).isEqualTo("unix:///run/x.sock");
        assertThat(RuntimeEndpoint.parse("inprocess:n1").toString()).isEqualTo("inprocess:n1");
    }

    @Test
    void rejectsWhatIsNeitherSayingWhatItExpects() {
        for (String bad : new String[] {"", "unix://", "inprocess:", "/run/hyperd.sock", "tcp://127.0.0.1:1234", "unix:/run/x.sock", "UNIX:///x"}) {
            assertThatThrownBy(() -> RuntimeEndpoint.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("\"" + bad + "\"")
                    .hasMessageContaining("unix:///");
        }
    }

    @Test
    void theUnixSocketIsOnlyItsOwnersAndAStaleOneIsReplaced() throws Exception {
        Path socket = dir.resolve("nested/run/runtime.sock");
        RuntimeEndpoint endpoint = RuntimeEndpoint.parse("unix://" + socket);
        try (HollowRuntime hollow = new HollowRuntime(new HollowRuntime.Config("n1", "10.244.0.0/24"));
                RuntimeEndpoint.Serving serving = endpoint.serve(hollow.services())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            assertThat(version(endpoint)).isEqualTo("hollow");
        }
        assertThat(socket).as("closing frees the socket").doesNotExist();
        // A socket left behind by a runtime that died is replaced, not an error.
        Files.deleteIfExists(socket);
        Files.createFile(socket);
        try (HollowRuntime hollow = new HollowRuntime(new HollowRuntime.Config("n1", "10.244.0.0/24"));
                RuntimeEndpoint.Serving serving = endpoint.serve(hollow.services())) {
            assertThat(version(endpoint)).isEqualTo("hollow");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        }
    }

    @Test
    void inProcessServesTheSameInterface() throws Exception {
        RuntimeEndpoint endpoint = RuntimeEndpoint.parse("inprocess:endpoint-test-" + System.nanoTime());
        try (HollowRuntime hollow = new HollowRuntime(new HollowRuntime.Config("n1", "10.244.0.0/24"));
                RuntimeEndpoint.Serving serving = endpoint.serve(hollow.services())) {
            assertThat(version(endpoint)).isEqualTo("hollow");
        }
    }

    private static String version(RuntimeEndpoint endpoint) throws InterruptedException {
        ManagedChannel channel = endpoint.connect();
        try {
            return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .version(VersionRequest.getDefaultInstance()).getRuntimeName();
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
