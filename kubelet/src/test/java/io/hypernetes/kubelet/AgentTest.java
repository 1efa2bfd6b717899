package io.hypernetes.kubelet;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test class's own cluster: an in-process API server in a fresh directory, started before the class's tests
 * (and before its own {@code @BeforeAll}, which typically adds its node) and closed, with every node, after them.
 */
abstract class AgentTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }
}
