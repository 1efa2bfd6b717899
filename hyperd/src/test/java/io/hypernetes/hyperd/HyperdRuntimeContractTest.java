package io.hypernetes.hyperd;

import io.grpc.ManagedChannel;
import io.hypernetes.image.TestRegistry;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.RuntimeServiceContract;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * hyperd passes the suite every runtime passes, with real pod VMs (QEMU microvm, TCG here), hyperstart as PID 1 and
 * busybox pulled from Debian's docker-registry on loopback. The containers are busybox shell scripts; each traps
 * SIGTERM, since a container's main process is PID 1 of its PID namespace, which ignores signals it has no handler for.
 */
class HyperdRuntimeContractTest extends RuntimeServiceContract {
    private static TestRegistry registry;
    private static Hyperd hyperd;
    private static RuntimeEndpoint.Serving serving;
    private static Path state;

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.start();
        state = Files.createTempDirectory("hyperd-contract");
        hyperd = Hyperd.open(Hyperd.Config.defaults(state, "10.87.0.0/24").withBridge("hyct0").withPoolSize(2)
                .withRegistries(registry.config()));
        serving = new RuntimeEndpoint.InProcess("hyperd-contract").serve(hyperd.services());
    }

    @AfterAll
    static void stop() throws Exception {
        if (serving != null) serving.close();
        if (hyperd != null) hyperd.shutdown();
        if (registry != null) registry.close();
        PodVms.deleteTree(state);
    }

    @Override
    protected ManagedChannel connect() {
        return new RuntimeEndpoint.InProcess("hyperd-contract").connect();
    }

    /**
     * Calls get as long as a pod VM has to come up ({@link PodVms#READY}) instead of the suite's 20 s: when the suite
     * takes VMs faster than the pool boots them (one at a time), a sandbox boots cold, and a cold boot under TCG on
     * this shared 2-core host was measured at 15–31 s.
     */
    @Override
    protected RuntimeServiceGrpc.RuntimeServiceBlockingStub rt() {
        return runtime.withDeadlineAfter(PodVms.READY.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected String image() {
        return registry.busybox();
    }

    private static ContainerConfig.Builder script(String script) {
        return ContainerConfig.newBuilder().addCommand("/bin/sh").addArgs("-c").addArgs(script).setRunAsUser(-1);
    }

    @Override
    protected ContainerConfig.Builder runsUntilStopped() {
        return script("trap 'exit 0' TERM; echo started; while :; do sleep 1 & wait $!; done");
    }

    @Override
    protected ContainerConfig.Builder writesLinesEvery(Duration period) {
        String seconds = String.format("%.3f", period.toMillis() / 1000.0 / 2);
        return script("trap 'exit 0' TERM; echo started; i=0; while :; do i=$((i+1)); echo tick $i; sleep " + seconds + " & wait $!; done");
    }

    @Override
    protected ContainerConfig.Builder exitsBy(int code) {
        return script("echo exiting with " + code + "; exit " + code);
    }

    @Override
    protected ContainerConfig.Builder echoesAttachedStdin() {
        // an asynchronous command's stdin is /dev/null in a non-interactive shell: hand cat the container's stdin on fd 3
        return script("trap 'exit 0' TERM; echo started; exec 3<&0; cat <&3 & wait $!").setStdin(true);
    }
}
