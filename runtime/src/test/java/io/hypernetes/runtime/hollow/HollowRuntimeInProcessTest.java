package io.hypernetes.runtime.hollow;

import io.hypernetes.runtime.RuntimeEndpoint;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything {@link HollowRuntimeTest} holds, served in-process as Kubemark serves its hollow nodes: there the server
 * and the client run their callbacks on the caller's thread (direct executors), so this also shows that the runtime's
 * lock and its streams cope with calls that re-enter on one thread.
 */
class HollowRuntimeInProcessTest extends HollowRuntimeTest {
    private static final AtomicInteger NODES = new AtomicInteger();

    @Override
    protected RuntimeEndpoint endpoint() {
        return new RuntimeEndpoint.InProcess("hollow-in-process-" + NODES.incrementAndGet());
    }
}
