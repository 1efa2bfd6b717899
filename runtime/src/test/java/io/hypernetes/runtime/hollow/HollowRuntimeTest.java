package io.hypernetes.runtime.hollow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hypernetes.image.ImageReference;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.RuntimeServiceContract;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerFilter;
import io.hypernetes.runtime.v1.ContainerLogsRequest;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ContainerStatus;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.ImageStatusRequest;
import io.hypernetes.runtime.v1.KeyValue;
import io.hypernetes.runtime.v1.LogLine;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.StopPodSandboxRequest;
import io.hypernetes.runtime.v1.VersionRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hollow runtime against the runtime contract, served on a real unix socket as a runtime process would be, and its
 * canned knobs, which only it has.
 */
class HollowRuntimeTest extends RuntimeServiceContract {
    @TempDir
    Path dir;
    private HollowRuntime hollow;
    private RuntimeEndpoint.Serving serving;

    @Override
    protected ManagedChannel connect() {
        return serve(new HollowRuntime.Config("hollow-node-1", "10.244.3.0/24"));
    }

    /** Where the runtime is served: a unix socket, as a runtime process serves the node agent. */
    protected RuntimeEndpoint endpoint() {
        return RuntimeEndpoint.parse("unix://" + dir.resolve("run/hollow.sock"));
    }

    private ManagedChannel serve(HollowRuntime.Config config) {
        closeRuntime();
        hollow = new HollowRuntime(config);
        RuntimeEndpoint endpoint = endpoint();
        serving = endpoint.serve(hollow.services());
        return endpoint.connect();
    }

    @Override
    protected void closeRuntime() {
        if (serving != null) {
            serving.close();
            hollow.close();
            serving = null;
        }
    }

    @Override
    protected String image() {
        return "registry.example/hollow/app:1.0";
    }

    @Override
    protected ContainerConfig.Builder runsUntilStopped() {
        return ContainerConfig.newBuilder();
    }

    @Override
    protected ContainerConfig.Builder writesLinesEvery(Duration period) {
        return ContainerConfig.newBuilder().addEnvs(env("HOLLOW_LOG_EVERY_MS", period.toMillis()));
    }

    @Override
    protected ContainerConfig.Builder exitsBy(int code) {
        return ContainerConfig.newBuilder().addEnvs(env("HOLLOW_EXIT_AFTER_MS", 50)).addEnvs(env("HOLLOW_EXIT_CODE", code));
    }

    @Override
    protected ContainerConfig.Builder echoesAttachedStdin() {
        return ContainerConfig.newBuilder().setStdin(true);
    }

    private static KeyValue env(String key, Object value) {
        return KeyValue.newBuilder().setKey(key).setValue(String.valueOf(value)).build();
    }

    // ---- what only the hollow runtime does

    @Test
    void itSaysItIsHollow() {
        assertThat(rt().version(VersionRequest.getDefaultInstance()).getRuntimeName()).isEqualTo("hollow");
    }

    @Test
    void theLogSaysWhenTheContainerStartedTicksAndExited() {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "ticker", ContainerConfig.newBuilder()
                .addEnvs(env("HOLLOW_LOG_EVERY_MS", 10)).addEnvs(env("HOLLOW_EXIT_AFTER_MS", 200)).addEnvs(env("HOLLOW_EXIT_CODE", 4)));
        ContainerStatus exited = awaitState(id, ContainerState.CONTAINER_EXITED);
        assertThat(exited.getExitCode()).isEqualTo(4);
        assertThat(exited.getReason()).isEqualTo("Error");
        assertThat(exited.getFinishedAt() - exited.getStartedAt()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));

        List<String> lines = logs(id).stream().map(line -> line.getContent().toStringUtf8()).toList();
        assertThat(lines.getFirst()).isEqualTo("hollow container ticker started (" + image() + ")");
        assertThat(lines.getLast()).isEqualTo("exited with code 4");
        List<String> ticks = lines.subList(1, lines.size() - 1);
        assertThat(ticks).isNotEmpty();
        for (int i = 0; i < ticks.size(); i++) {
            assertThat(ticks.get(i)).isEqualTo("tick " + (i + 1));
        }
        assertThat(exited.getImageRef()).isEqualTo(ImageStore.id(ImageReference.parse(image())));
    }

    @Test
    void aContainerIgnoringSigtermIsKilledWhenItsTimeoutEnds() throws Exception {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "stubborn", ContainerConfig.newBuilder().addEnvs(env("HOLLOW_IGNORE_SIGTERM", true)));
        long asked = System.currentTimeMillis();
        stopContainer(id, 1);
        ContainerStatus killed = containerStatus(id);
        assertThat(killed.getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
        assertThat(killed.getExitCode()).isEqualTo(137);
        assertThat(killed.getReason()).isEqualTo("Error");
        assertThat(killed.getFinishedAt() / 1_000_000).as("killed only when the 1 s grace period ended").isGreaterThanOrEqualTo(asked + 1000);
    }

    @Test
    void aSecondStopWithAShorterTimeoutKillsSooner() throws Exception {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "stubborn", ContainerConfig.newBuilder().addEnvs(env("HOLLOW_IGNORE_SIGTERM", true)));
        CompletableFuture<Void> patient = CompletableFuture.runAsync(() -> stopContainer(id, 3600));
        assertThat(containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
        assertThat(patient).as("a stop of an hour cannot have ended").isNotDone();
        stopContainer(id, 0);
        assertThat(containerStatus(id).getExitCode()).isEqualTo(137);
        patient.get(WAIT.toSeconds(), TimeUnit.SECONDS); // the first stop is answered too, once the container exited
    }

    @Test
    void aMalformedKnobIsRefusedNamingIt() {
        String sandbox = runSandbox("web");
        StatusRuntimeException e = catchRefusal(() -> createContainer(sandbox, "bad", ContainerConfig.newBuilder()
                .addEnvs(env("HOLLOW_EXIT_AFTER_MS", "soon"))));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("HOLLOW_EXIT_AFTER_MS").contains("soon");
        assertThat(containersOfThisTest(ContainerFilter.newBuilder())).isEmpty();
    }

    private static StatusRuntimeException catchRefusal(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("the call was not refused");
    }

    @Test
    void aPullOfHollowPullFailsFailsAsAMissingManifest() {
        String image = "registry.example/team/hollow-pull-fails:2";
        StatusRuntimeException e = catchRefusal(() -> images().pullImage(
                PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription()).contains(image).contains("manifest unknown");
        assertThat(images().imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()).hasImage()).isFalse();
    }

    @Test
    void shortNamesAreNormalizedAsRegistriesDo() {
        images().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("nginx")).build());
        var status = images().imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("docker.io/library/nginx:latest")).build());
        assertThat(status.getImage().getRepoTagsList()).containsExactly("docker.io/library/nginx:latest");
        assertThat(images().imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(status.getImage().getId())).build())
                .getImage()).isEqualTo(status.getImage());
    }

    @Test
    void addressesComeFromThePodCidrAreNeverSharedAndAreReusedOnlyOnceRemoved() {
        channel.shutdownNow();
        channel = serve(new HollowRuntime.Config("hollow-node-2", "10.244.9.0/29")); // .2 to .6: five addresses
        runtime = io.hypernetes.runtime.v1.RuntimeServiceGrpc.newBlockingStub(channel);
        images = io.hypernetes.runtime.v1.ImageServiceGrpc.newBlockingStub(channel);

        List<String> ids = new ArrayList<>();
        Set<String> ips = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            ids.add(runSandbox("pod-" + i));
            ips.add(sandboxStatus(ids.getLast()).getNetwork().getIp());
        }
        assertThat(ips).containsExactlyInAnyOrder("10.244.9.2", "10.244.9.3", "10.244.9.4", "10.244.9.5", "10.244.9.6");

        StatusRuntimeException full = catchRefusal(() -> runSandbox("pod-5"));
        assertThat(full.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(full.getStatus().getDescription()).contains("10.244.9.0/29");

        String freed = sandboxStatus(ids.get(2)).getNetwork().getIp();
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(ids.get(2)).build());
        assertThat(catchRefusal(() -> runSandbox("pod-6")).getStatus().getCode()).as("a stopped sandbox keeps its address").isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(ids.get(2)).build());
        assertThat(sandboxStatus(runSandbox("pod-7")).getNetwork().getIp()).isEqualTo(freed);
    }

    @Test
    void aBadConfigIsRefusedWithTheReason() {
        assertThatThrownBy(() -> new HollowRuntime.Config("n", "10.244.3.1/24")).hasMessageContaining("host bits");
        assertThatThrownBy(() -> new HollowRuntime.Config("n", "10.244.3.0/31")).hasMessageContaining("31");
        assertThatThrownBy(() -> new HollowRuntime.Config("n", "fd00::/64")).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> new HollowRuntime.Config("n", null)).hasMessageContaining("podCidr");
        assertThatThrownBy(() -> new HollowRuntime.Config("", "10.244.3.0/24")).hasMessageContaining("hostname");
    }

    @Test
    void execSeesTheSandboxsHostnameAndTheContainersEnvironment() {
        String sandbox = runSandbox(sandboxConfig("web").setHostname("web-0"));
        String id = startContainer(sandbox, "app", ContainerConfig.newBuilder().addEnvs(env("GREETING", "hi there")));
        assertThat(execSync(id, "hostname").getStdout().toStringUtf8()).isEqualTo("web-0\n");
        assertThat(execSync(id, "/bin/sh", "-c", "env").getStdout().toStringUtf8()).isEqualTo("GREETING=hi there\n");
        var piped = execSync(id, "sh", "-c", "echo a | cat");
        assertThat(piped.getExitCode()).isEqualTo(2);
        assertThat(piped.getStderr().toStringUtf8()).contains("|");
    }

    @Test
    void theKeptLogIsBounded() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "chatty", ContainerConfig.newBuilder().setStdin(true));
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            input.append("line ").append(i).append('\n');
        }
        Session attached = attach(start(id).setStdin(true));
        attached.stdin(input.toString());
        attached.awaitStdout("line 1499\n");
        attached.halfClose();
        assertThat(attached.awaitEnd()).as("a detach is no exit").isNull();

        List<LogLine> kept = logs(id);
        assertThat(kept).hasSize(ContainerLog.MAX_LINES);
        assertThat(kept.getLast().getContent().toStringUtf8()).isEqualTo("line 1499");
        assertThat(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setTailLines(1)).getFirst().getContent().toStringUtf8()).isEqualTo("line 1499");
        assertThat(containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    }

    @Test
    void aHugeAttachedLineIsSplitAndTheLogStaysBounded() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "chatty", ContainerConfig.newBuilder().setStdin(true));
        Session attached = attach(start(id).setStdin(true).setStdout(false));
        attached.send(io.hypernetes.runtime.v1.StreamInput.newBuilder()
                .setStdin(com.google.protobuf.ByteString.copyFrom(new byte[3 << 20])).build());
        attached.closeStdin().halfClose();
        assertThat(attached.awaitEnd()).isNull();
        List<LogLine> kept = logs(id);
        assertThat(kept).allSatisfy(line -> assertThat(line.getContent().size()).isLessThanOrEqualTo(ContainerLog.MAX_LINE));
        assertThat(kept.stream().mapToLong(line -> line.getContent().size()).sum()).isLessThanOrEqualTo(ContainerLog.MAX_BYTES);
    }

    @Test
    void closingTheRuntimeKillsItsContainersAndEndsTheirStreams() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", ContainerConfig.newBuilder().addEnvs(env("HOLLOW_LOG_EVERY_MS", 20)));
        Session exec = exec(start(id, "cat").setStdin(true));
        exec.stdin("up\n").awaitStdout("up\n");
        java.util.Iterator<LogLine> followed = rt().containerLogs(ContainerLogsRequest.newBuilder().setContainerId(id).setFollow(true).build());
        followed.next();

        hollow.close();
        List<LogLine> rest = new ArrayList<>();
        followed.forEachRemaining(rest::add);
        assertThat(rest.getLast().getContent().toStringUtf8()).isEqualTo("exited with code 137");
        assertThat(exec.awaitEnd()).isEqualTo(137);
        assertThat(containerStatus(id).getExitCode()).isEqualTo(137);
        assertThat(sandboxStatus(sandbox).getState()).isEqualTo(io.hypernetes.runtime.v1.PodSandboxState.SANDBOX_NOTREADY);
    }

    @Test
    void anExecSyncInAContainerThatExitsEndsWith137() {
        String sandbox = runSandbox("web");
        // The exec must reach the container before it exits: a longer life on each try, for a slow machine.
        for (long life = 500; ; life *= 4) {
            String id = startContainer(sandbox, "short-" + life, ContainerConfig.newBuilder().addEnvs(env("HOLLOW_EXIT_AFTER_MS", life)));
            try {
                var probe = rt().execSync(io.hypernetes.runtime.v1.ExecSyncRequest.newBuilder()
                        .setContainerId(id).addCmd("sleep").addCmd("1000").build()); // no timeout: only the exit ends it
                assertThat(probe.getExitCode()).isEqualTo(137);
                assertThat(containerStatus(id).getReason()).isEqualTo("Completed");
                return;
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                assertThat(life).as("the container lives long enough to be exec'd").isLessThan(10_000);
            }
        }
    }
}
