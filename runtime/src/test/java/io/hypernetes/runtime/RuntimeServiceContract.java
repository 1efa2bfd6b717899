package io.hypernetes.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerFilter;
import io.hypernetes.runtime.v1.ContainerLogsRequest;
import io.hypernetes.runtime.v1.ContainerMetadata;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ContainerStatus;
import io.hypernetes.runtime.v1.ContainerStatusRequest;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.ExecSyncRequest;
import io.hypernetes.runtime.v1.ExecSyncResponse;
import io.hypernetes.runtime.v1.ImageServiceGrpc;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.ImageStatusRequest;
import io.hypernetes.runtime.v1.ListContainersRequest;
import io.hypernetes.runtime.v1.ListImagesRequest;
import io.hypernetes.runtime.v1.ListPodSandboxRequest;
import io.hypernetes.runtime.v1.LogLine;
import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxFilter;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PodSandboxState;
import io.hypernetes.runtime.v1.PodSandboxStatus;
import io.hypernetes.runtime.v1.PodSandboxStatusRequest;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.RemoveContainerRequest;
import io.hypernetes.runtime.v1.RemoveImageRequest;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeCondition;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import io.hypernetes.runtime.v1.StatusRequest;
import io.hypernetes.runtime.v1.StopContainerRequest;
import io.hypernetes.runtime.v1.StopPodSandboxRequest;
import io.hypernetes.runtime.v1.StreamInput;
import io.hypernetes.runtime.v1.StreamOutput;
import io.hypernetes.runtime.v1.StreamStart;
import io.hypernetes.runtime.v1.VersionRequest;
import io.hypernetes.runtime.v1.VersionResponse;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every runtime behind {@code RuntimeService} and {@code ImageService} must do, driven through a gRPC channel
 * as the node agent drives it. Each runtime (hollow, hyperd) extends this class and says how to reach it and how to
 * make containers that behave as the tests need: the tests never depend on what a container prints, only on the
 * behaviour its hooks promise.
 *
 * <p>Written to run against a shared, long-lived runtime as well: every object a test makes carries this test's
 * random label (and uid), lists are filtered by it, and what a test makes is removed after it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class RuntimeServiceContract {
    protected static final Duration WAIT = Duration.ofSeconds(20);
    /** The label every sandbox and container of one test carries. */
    protected static final String TEST_LABEL = "contract.hypernetes.io/test";

    protected ManagedChannel channel;
    protected RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    protected ImageServiceGrpc.ImageServiceBlockingStub images;
    protected String testId;
    private final List<String> sandboxes = new ArrayList<>();

    /** A channel to the runtime under test, for one test; shut down after it. */
    protected abstract ManagedChannel connect();

    /** An image the runtime can pull; every test's containers use it. */
    protected abstract String image();

    /** A container that writes at least one line at start, runs until stopped and exits 0 on SIGTERM. */
    protected abstract ContainerConfig.Builder runsUntilStopped();

    /** Like {@link #runsUntilStopped()}, and also writes a line at least every {@code period}. */
    protected abstract ContainerConfig.Builder writesLinesEvery(Duration period);

    /** A container that exits by itself with {@code code} soon after it starts. */
    protected abstract ContainerConfig.Builder exitsBy(int code);

    /** Like {@link #runsUntilStopped()}, and what an attached client writes to its stdin comes back on stdout. */
    protected abstract ContainerConfig.Builder echoesAttachedStdin();

    @BeforeEach
    void openRuntime() {
        channel = connect();
        runtime = RuntimeServiceGrpc.newBlockingStub(channel);
        images = ImageServiceGrpc.newBlockingStub(channel);
        testId = UUID.randomUUID().toString();
        images().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image())).build());
    }

    @AfterEach
    void removeWhatTheTestMade() throws InterruptedException {
        try {
            for (String id : sandboxes) {
                rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            }
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
            closeRuntime();
        }
    }

    /** Called after each test, once what it made is removed: a runtime started for the test stops here. */
    protected void closeRuntime() {}

    // ---- helpers

    protected RuntimeServiceGrpc.RuntimeServiceBlockingStub rt() {
        return runtime.withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    protected ImageServiceGrpc.ImageServiceBlockingStub images() {
        return images.withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    protected PodSandboxConfig.Builder sandboxConfig(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("contract").setUid(testId + "-" + name))
                .setHostname(name)
                .putLabels(TEST_LABEL, testId)
                .putLabels("io.kubernetes.pod.name", name)
                .putAnnotations("contract.hypernetes.io/note", "sandbox " + name);
    }

    protected String runSandbox(PodSandboxConfig.Builder config) {
        String id = rt().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
        sandboxes.add(id);
        return id;
    }

    protected String runSandbox(String name) {
        return runSandbox(sandboxConfig(name));
    }

    protected ContainerConfig.Builder named(ContainerConfig.Builder config, String name) {
        return config.setMetadata(ContainerMetadata.newBuilder().setName(name)).setImage(image()).putLabels(TEST_LABEL, testId);
    }

    protected String createContainer(String sandboxId, String name, ContainerConfig.Builder config) {
        return rt().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(named(config, name)).setSandboxConfig(sandboxConfig("unused"))
                .build()).getContainerId();
    }

    protected String startContainer(String sandboxId, String name, ContainerConfig.Builder config) {
        String id = createContainer(sandboxId, name, config);
        rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    protected ContainerStatus containerStatus(String id) {
        return rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    protected PodSandboxStatus sandboxStatus(String id) {
        return rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
    }

    /**
     * Stops a container once it has written its first line: the test containers set their SIGTERM handler before
     * that line, and a container's main process, PID 1 of its PID namespace in a VM runtime, ignores a SIGTERM that
     * arrives before it has a handler.
     */
    protected void stopContainer(String id, long timeoutSeconds) {
        if (containerStatus(id).getState() == ContainerState.CONTAINER_RUNNING) {
            await("container " + id + " wrote its first line", () -> !logs(id).isEmpty());
        }
        rt().withDeadlineAfter(WAIT.toMillis() + timeoutSeconds * 1000, TimeUnit.MILLISECONDS)
                .stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(timeoutSeconds).build());
    }

    protected static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    protected ContainerStatus awaitState(String id, ContainerState state) {
        await("container " + id + " " + state, () -> containerStatus(id).getState() == state);
        return containerStatus(id);
    }

    protected List<LogLine> logs(ContainerLogsRequest.Builder request) {
        List<LogLine> lines = new ArrayList<>();
        rt().containerLogs(request.build()).forEachRemaining(lines::add);
        return lines;
    }

    protected List<LogLine> logs(String containerId) {
        return logs(ContainerLogsRequest.newBuilder().setContainerId(containerId));
    }

    protected static String text(List<LogLine> lines) {
        StringBuilder text = new StringBuilder();
        lines.forEach(line -> text.append(line.getContent().toStringUtf8()).append('\n'));
        return text.toString();
    }

    protected ExecSyncResponse execSync(String containerId, String... cmd) {
        return rt().execSync(ExecSyncRequest.newBuilder().setContainerId(containerId).addAllCmd(List.of(cmd)).setTimeout(10).build());
    }

    protected static StatusRuntimeException refusal(Runnable call, Status.Code code) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("a %s refusal", code).isNotNull();
        assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
        return e;
    }

    protected List<PodSandbox> sandboxesOfThisTest(PodSandboxFilter.Builder filter) {
        return rt().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(filter.putLabelSelector(TEST_LABEL, testId)).build()).getItemsList();
    }

    protected List<Container> containersOfThisTest(ContainerFilter.Builder filter) {
        return rt().listContainers(ListContainersRequest.newBuilder().setFilter(filter.putLabelSelector(TEST_LABEL, testId)).build()).getContainersList();
    }

    /** One Exec or Attach stream from the client's side: what it sent, what came back, how it ended. */
    protected static final class Session implements ClientResponseObserver<StreamInput, StreamOutput> {
        private ClientCallStreamObserver<StreamInput> requests;
        private final StringBuilder stdout = new StringBuilder();
        private final StringBuilder stderr = new StringBuilder();
        private long stdoutBytes;
        private Integer exitCode;
        private int messagesAfterExit;
        private Throwable error;
        private final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public void beforeStart(ClientCallStreamObserver<StreamInput> requests) {
            this.requests = requests;
        }

        @Override
        public synchronized void onNext(StreamOutput output) {
            if (exitCode != null) {
                messagesAfterExit++;
            }
            switch (output.getOutputCase()) {
                case STDOUT -> {
                    stdoutBytes += output.getStdout().size();
                    if (stdout.length() < 1 << 20) {
                        stdout.append(output.getStdout().toStringUtf8());
                    }
                }
                case STDERR -> stderr.append(output.getStderr().toStringUtf8());
                case EXIT -> exitCode = output.getExit().getExitCode();
                case OUTPUT_NOT_SET -> throw new AssertionError("an output message with nothing in it");
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            error = t;
            closed.countDown();
        }

        @Override
        public void onCompleted() {
            closed.countDown();
        }

        public Session send(StreamInput input) {
            requests.onNext(input);
            return this;
        }

        public Session stdin(String text) {
            return send(StreamInput.newBuilder().setStdin(ByteString.copyFromUtf8(text)).build());
        }

        public Session closeStdin() {
            return send(StreamInput.newBuilder().setCloseStdin(true).build());
        }

        public void halfClose() {
            requests.onCompleted();
        }

        public void cancel() {
            requests.cancel("the test cancels", null);
        }

        public synchronized String stdout() {
            return stdout.toString();
        }

        public synchronized long stdoutBytes() {
            return stdoutBytes;
        }

        public synchronized String stderr() {
            return stderr.toString();
        }

        public String awaitStdout(String expected) {
            await("stdout containing \"" + expected + "\" (so far \"" + stdout() + "\")", () -> stdout().contains(expected));
            return stdout();
        }

        /** Waits for the stream to end well and answers the exit code it ended with (null: it ended without one). */
        public Integer awaitEnd() throws InterruptedException {
            assertThat(closed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the stream ended").isTrue();
            synchronized (this) {
                assertThat(error).as("the stream's error").isNull();
                assertThat(messagesAfterExit).as("messages after exit").isZero();
                return exitCode;
            }
        }

        /** Waits for the stream to end and answers how: OK, or the error it failed with. */
        public Status awaitClose() throws InterruptedException {
            assertThat(closed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the stream ended").isTrue();
            synchronized (this) {
                return error == null ? Status.OK : Status.fromThrowable(error);
            }
        }

        public synchronized Integer exitCode() {
            return exitCode;
        }

        public Status awaitError() throws InterruptedException {
            assertThat(closed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the stream ended").isTrue();
            synchronized (this) {
                assertThat(error).as("the stream failed").isNotNull();
                return Status.fromThrowable(error);
            }
        }
    }

    protected Session exec(StreamStart.Builder start) {
        Session session = new Session();
        RuntimeServiceGrpc.newStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS).exec(session);
        return session.send(StreamInput.newBuilder().setStart(start).build());
    }

    protected Session attach(StreamStart.Builder start) {
        Session session = new Session();
        RuntimeServiceGrpc.newStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS).attach(session);
        return session.send(StreamInput.newBuilder().setStart(start).build());
    }

    protected static StreamStart.Builder start(String containerId, String... cmd) {
        return StreamStart.newBuilder().setContainerId(containerId).addAllCmd(List.of(cmd)).setStdout(true).setStderr(true);
    }

    // ---- the runtime

    @Test
    void versionAndConditions() {
        VersionResponse version = rt().version(VersionRequest.getDefaultInstance());
        assertThat(version.getVersion()).isEqualTo("v1");
        assertThat(version.getRuntimeName()).isNotEmpty();
        assertThat(version.getRuntimeVersion()).isNotEmpty();
        assertThat(rt().status(StatusRequest.getDefaultInstance()).getConditionsList())
                .filteredOn(RuntimeCondition::getStatus)
                .extracting(RuntimeCondition::getType)
                .contains("RuntimeReady", "NetworkReady");
    }

    // ---- sandboxes

    @Test
    void sandboxRunsStopsAndIsRemoved() throws Exception {
        PodSandboxConfig config = sandboxConfig("web").build();
        String id = runSandbox(config.toBuilder());

        PodSandboxStatus status = sandboxStatus(id);
        assertThat(status.getId()).isEqualTo(id);
        assertThat(status.getState()).isEqualTo(PodSandboxState.SANDBOX_READY);
        assertThat(status.getMetadata()).isEqualTo(config.getMetadata());
        assertThat(status.getLabelsMap()).isEqualTo(config.getLabelsMap());
        assertThat(status.getAnnotationsMap()).isEqualTo(config.getAnnotationsMap());
        assertThat(status.getCreatedAt()).isPositive();
        assertThat(InetAddress.getByName(status.getNetwork().getIp()).getHostAddress()).isEqualTo(status.getNetwork().getIp());

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertThat(sandboxStatus(id).getState()).isEqualTo(PodSandboxState.SANDBOX_NOTREADY);
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertThat(sandboxStatus(id).getState()).isEqualTo(PodSandboxState.SANDBOX_NOTREADY);

        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        StatusRuntimeException gone = refusal(() -> sandboxStatus(id), Status.Code.NOT_FOUND);
        assertThat(gone.getStatus().getDescription()).contains(id);
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder())).isEmpty();
    }

    @Test
    void liveSandboxesHaveDistinctAddresses() {
        Set<String> ips = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            ips.add(sandboxStatus(runSandbox("pod-" + i)).getNetwork().getIp());
        }
        assertThat(ips).hasSize(5);
    }

    @Test
    void sandboxListsFilterByIdStateAndLabels() {
        String a = runSandbox(sandboxConfig("a").putLabels("app", "a"));
        String b = runSandbox(sandboxConfig("b").putLabels("app", "b"));
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(b).build());

        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder())).extracting(PodSandbox::getId).containsExactlyInAnyOrder(a, b);
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder().setId(a))).extracting(PodSandbox::getId).containsExactly(a);
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder().putLabelSelector("app", "b"))).extracting(PodSandbox::getId).containsExactly(b);
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder().putLabelSelector("app", "c"))).isEmpty();
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder().setFilterByState(true).setState(PodSandboxState.SANDBOX_READY)))
                .extracting(PodSandbox::getId).containsExactly(a);
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder().setFilterByState(true).setState(PodSandboxState.SANDBOX_NOTREADY)))
                .extracting(PodSandbox::getId).containsExactly(b);
        PodSandbox listed = sandboxesOfThisTest(PodSandboxFilter.newBuilder().setId(a)).getFirst();
        assertThat(listed.getMetadata().getName()).isEqualTo("a");
        assertThat(listed.getAnnotationsMap()).containsEntry("contract.hypernetes.io/note", "sandbox a");
    }

    @Test
    void aSandboxOfTheSamePodAndAttemptIsRefusedUntilRemoved() {
        String first = runSandbox("same");
        refusal(() -> runSandbox("same"), Status.Code.ALREADY_EXISTS);
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(first).build());
        assertThat(runSandbox("same")).isNotEqualTo(first);
    }

    // ---- containers

    @Test
    void containerIsCreatedStartedStoppedAndRemoved() {
        String sandbox = runSandbox("web");
        String id = createContainer(sandbox, "nginx", runsUntilStopped().putAnnotations("note", "the web server"));

        ContainerStatus created = containerStatus(id);
        assertThat(created.getState()).isEqualTo(ContainerState.CONTAINER_CREATED);
        assertThat(created.getMetadata().getName()).isEqualTo("nginx");
        assertThat(created.getImage()).isEqualTo(image());
        assertThat(created.getImageRef()).isNotEmpty();
        assertThat(created.getLabelsMap()).containsEntry(TEST_LABEL, testId);
        assertThat(created.getAnnotationsMap()).containsEntry("note", "the web server");
        assertThat(created.getCreatedAt()).isPositive();
        assertThat(created.getStartedAt()).isZero();

        rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        ContainerStatus running = containerStatus(id);
        assertThat(running.getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
        assertThat(running.getStartedAt()).isGreaterThanOrEqualTo(running.getCreatedAt());
        refusal(() -> rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build()), Status.Code.FAILED_PRECONDITION);

        stopContainer(id, 10);
        ContainerStatus exited = containerStatus(id);
        assertThat(exited.getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
        assertThat(exited.getExitCode()).isZero();
        assertThat(exited.getReason()).isEqualTo("Completed");
        assertThat(exited.getFinishedAt()).isGreaterThanOrEqualTo(exited.getStartedAt());
        stopContainer(id, 10); // idempotent
        assertThat(containerStatus(id).getFinishedAt()).isEqualTo(exited.getFinishedAt());

        rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        assertThat(refusal(() -> containerStatus(id), Status.Code.NOT_FOUND).getStatus().getDescription()).contains(id);
        rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        assertThat(containersOfThisTest(ContainerFilter.newBuilder())).isEmpty();
    }

    @Test
    void containerExitsByItselfWithItsCode() {
        String sandbox = runSandbox("job");
        String failing = startContainer(sandbox, "fails", exitsBy(3));
        String succeeding = startContainer(sandbox, "succeeds", exitsBy(0));

        ContainerStatus failed = awaitState(failing, ContainerState.CONTAINER_EXITED);
        assertThat(failed.getExitCode()).isEqualTo(3);
        assertThat(failed.getReason()).isEqualTo("Error");
        assertThat(failed.getFinishedAt()).isGreaterThanOrEqualTo(failed.getStartedAt());
        ContainerStatus succeeded = awaitState(succeeding, ContainerState.CONTAINER_EXITED);
        assertThat(succeeded.getExitCode()).isZero();
        assertThat(succeeded.getReason()).isEqualTo("Completed");
    }

    @Test
    void containerListsFilterBySandboxIdStateAndLabels() {
        String one = runSandbox("one");
        String two = runSandbox("two");
        String web = startContainer(one, "web", runsUntilStopped().putLabels("tier", "front"));
        String sidecar = createContainer(one, "sidecar", runsUntilStopped().putLabels("tier", "side"));
        String other = startContainer(two, "web", runsUntilStopped().putLabels("tier", "front"));

        assertThat(containersOfThisTest(ContainerFilter.newBuilder())).extracting(Container::getId).containsExactlyInAnyOrder(web, sidecar, other);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder().setPodSandboxId(one))).extracting(Container::getId)
                .containsExactlyInAnyOrder(web, sidecar);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder().setId(sidecar))).extracting(Container::getId).containsExactly(sidecar);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder().putLabelSelector("tier", "front"))).extracting(Container::getId)
                .containsExactlyInAnyOrder(web, other);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder().setFilterByState(true).setState(ContainerState.CONTAINER_CREATED)))
                .extracting(Container::getId).containsExactly(sidecar);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder().setPodSandboxId(two).setFilterByState(true).setState(ContainerState.CONTAINER_RUNNING)))
                .extracting(Container::getId).containsExactly(other);
        Container listed = containersOfThisTest(ContainerFilter.newBuilder().setId(web)).getFirst();
        assertThat(listed.getPodSandboxId()).isEqualTo(one);
        assertThat(listed.getImage()).isEqualTo(image());
        assertThat(listed.getImageRef()).isEqualTo(containerStatus(web).getImageRef());
        assertThat(listed.getMetadata().getName()).isEqualTo("web");
    }

    @Test
    void aContainerNeedsAReadySandboxAPulledImageAndAFreeName() {
        String sandbox = runSandbox("web");
        StatusRuntimeException unknown = refusal(() -> createContainer("no-such-sandbox", "c", runsUntilStopped()), Status.Code.NOT_FOUND);
        assertThat(unknown.getStatus().getDescription()).contains("no-such-sandbox");

        String absent = "registry.example/contract/never-pulled:" + testId.substring(0, 8);
        StatusRuntimeException notPulled = refusal(() -> rt().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox)
                .setConfig(named(runsUntilStopped(), "c").setImage(absent)).build()), Status.Code.NOT_FOUND);
        assertThat(notPulled.getStatus().getDescription()).contains(absent);

        createContainer(sandbox, "c", runsUntilStopped());
        refusal(() -> createContainer(sandbox, "c", runsUntilStopped()), Status.Code.ALREADY_EXISTS);

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());
        refusal(() -> createContainer(sandbox, "d", runsUntilStopped()), Status.Code.FAILED_PRECONDITION);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder())).extracting(c -> c.getMetadata().getName()).containsExactly("c");
    }

    @Test
    void stoppingASandboxExitsItsContainersAndRemovingItRemovesThem() {
        String sandbox = runSandbox("web");
        String running = startContainer(sandbox, "running", runsUntilStopped());
        String created = createContainer(sandbox, "created", runsUntilStopped());

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());
        assertThat(containerStatus(running).getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
        assertThat(containerStatus(created).getState()).isEqualTo(ContainerState.CONTAINER_EXITED);
        refusal(() -> rt().startContainer(StartContainerRequest.newBuilder().setContainerId(created).build()), Status.Code.FAILED_PRECONDITION);

        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());
        refusal(() -> containerStatus(running), Status.Code.NOT_FOUND);
        refusal(() -> containerStatus(created), Status.Code.NOT_FOUND);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder())).isEmpty();
    }

    @Test
    void removingASandboxWithARunningContainerRemovesBoth() {
        String sandbox = runSandbox("web");
        String running = startContainer(sandbox, "running", runsUntilStopped());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());
        refusal(() -> containerStatus(running), Status.Code.NOT_FOUND);
        refusal(() -> sandboxStatus(sandbox), Status.Code.NOT_FOUND);
    }

    // ---- logs

    @Test
    void logsHonourTailSinceAndLimitAndOutliveTheContainerUntilItIsRemoved() {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "ticker", writesLinesEvery(Duration.ofMillis(20)));
        await("four log lines", () -> logs(id).size() >= 4);
        stopContainer(id, 10);

        List<LogLine> all = logs(id); // the container exited: its log no longer changes
        assertThat(all.size()).isGreaterThanOrEqualTo(4);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).getTime()).isPositive();
            assertThat(all.get(i).getStream()).isIn("stdout", "stderr");
            if (i > 0) {
                assertThat(all.get(i).getTime()).isGreaterThanOrEqualTo(all.get(i - 1).getTime());
            }
        }

        assertThat(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setTailLines(2))).isEqualTo(all.subList(all.size() - 2, all.size()));
        assertThat(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setTailLines(all.size() + 10))).isEqualTo(all);

        long since = all.get(2).getTime();
        assertThat(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setSinceTime(since)))
                .isEqualTo(all.stream().filter(line -> line.getTime() >= since).toList());
        assertThat(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setSinceTime(since).setTailLines(1)))
                .isEqualTo(all.subList(all.size() - 1, all.size()));

        String whole = text(all);
        String limited = text(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setLimitBytes(5)));
        assertThat(whole).startsWith(limited.substring(0, limited.length() - 1));
        assertThat(limited.length() - 1).isLessThanOrEqualTo(5);
        assertThat(text(logs(ContainerLogsRequest.newBuilder().setContainerId(id).setLimitBytes(1 << 20)))).isEqualTo(whole);

        rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        refusal(() -> logs(id), Status.Code.NOT_FOUND);
    }

    @Test
    void followStreamsNewLinesUntilTheContainerExits() {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "ticker", writesLinesEvery(Duration.ofMillis(20)));
        await("two log lines", () -> logs(id).size() >= 2);

        Iterator<LogLine> followed = rt().containerLogs(ContainerLogsRequest.newBuilder().setContainerId(id).setFollow(true).setTailLines(1).build());
        LogLine first = followed.next();
        List<LogLine> more = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            more.add(followed.next()); // written after the request: only follow can deliver them
        }
        assertThat(more).allSatisfy(line -> assertThat(line.getTime()).isGreaterThanOrEqualTo(first.getTime()));

        stopContainer(id, 10);
        List<LogLine> rest = new ArrayList<>();
        followed.forEachRemaining(rest::add); // ends: the container exited
        List<LogLine> seen = new ArrayList<>(List.of(first));
        seen.addAll(more);
        seen.addAll(rest);
        List<LogLine> all = logs(id);
        assertThat(all.subList(all.size() - seen.size(), all.size())).isEqualTo(seen);
    }

    @Test
    void aCancelledFollowEndsAndTheRuntimeGoesOn() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "ticker", writesLinesEvery(Duration.ofMillis(20)));
        CountDownLatch threeLines = new CountDownLatch(3);
        CountDownLatch ended = new CountDownLatch(1);
        ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
        RuntimeServiceGrpc.newStub(channel).containerLogs(ContainerLogsRequest.newBuilder().setContainerId(id).setFollow(true).build(),
                new ClientResponseObserver<ContainerLogsRequest, LogLine>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ContainerLogsRequest> requests) {
                        call[0] = requests;
                    }

                    @Override
                    public void onNext(LogLine line) {
                        threeLines.countDown();
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        ended.countDown();
                    }
                });
        assertThat(threeLines.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        call[0].cancel("the test has seen enough", null);
        assertThat(ended.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
        assertThat(execSync(id, "echo", "still", "here").getStdout().toStringUtf8()).isEqualTo("still here\n");
    }

    // ---- exec

    @Test
    void execSyncRunsCommandsAndAnswersTheirOutputAndExitCode() {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());

        ExecSyncResponse echo = execSync(id, "echo", "hello", "world");
        assertThat(echo.getStdout().toStringUtf8()).isEqualTo("hello world\n");
        assertThat(echo.getStderr().isEmpty()).isTrue();
        assertThat(echo.getExitCode()).isZero();
        assertThat(execSync(id, "true").getExitCode()).isZero();
        assertThat(execSync(id, "false").getExitCode()).isEqualTo(1);
        assertThat(execSync(id, "sh", "-c", "exit 3").getExitCode()).isEqualTo(3);
        assertThat(execSync(id, "sh", "-c", "echo 'two  spaces' \"and quotes\"").getStdout().toStringUtf8()).isEqualTo("two  spaces and quotes\n");
        assertThat(execSync(id, "cat").getStdout().isEmpty()).isTrue(); // no stdin: cat ends at once

        ExecSyncResponse missing = execSync(id, "no-such-command", "--flag");
        assertThat(missing.getExitCode()).isEqualTo(127);
        assertThat(missing.getStderr().toStringUtf8()).contains("no-such-command").contains("not found");
        assertThat(execSync(id, "sh", "-c", "no-such-command").getExitCode()).isEqualTo(127);
    }

    @Test
    void execSyncHonoursItsTimeout() {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());
        StatusRuntimeException timedOut = refusal(() -> rt().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(id).addAllCmd(List.of("sleep", "30")).setTimeout(1).build()), Status.Code.DEADLINE_EXCEEDED);
        assertThat(timedOut.getStatus().getDescription()).contains("1s");
        assertThat(execSync(id, "sleep", "0.05").getExitCode()).isZero();
        assertThat(containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    }

    @Test
    void execStreamsStdinToTheCommandAndEndsWithItsExit() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());

        Session cat = exec(start(id, "cat").setStdin(true));
        cat.stdin("hello ").stdin("world\n");
        cat.awaitStdout("hello world\n");
        cat.closeStdin();
        assertThat(cat.awaitEnd()).isZero();
        assertThat(cat.stdout()).isEqualTo("hello world\n");

        Session halfClosed = exec(start(id, "cat").setStdin(true));
        halfClosed.stdin("bye\n").halfClose(); // the end of the client's stream closes stdin too
        assertThat(halfClosed.awaitEnd()).isZero();
        assertThat(halfClosed.stdout()).isEqualTo("bye\n");

        Session exit = exec(start(id, "sh", "-c", "exit 7"));
        assertThat(exit.awaitEnd()).isEqualTo(7);
    }

    @Test
    void execSeparatesStderrUnlessATerminalMergesIt() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());

        Session plain = exec(start(id, "no-such-command"));
        assertThat(plain.awaitEnd()).isEqualTo(127);
        assertThat(plain.stderr()).contains("not found");
        assertThat(plain.stdout()).isEmpty();

        Session tty = exec(start(id, "no-such-command").setTty(true).setStdin(true));
        assertThat(tty.awaitEnd()).isEqualTo(127);
        assertThat(tty.stdout()).contains("not found");
        assertThat(tty.stderr()).isEmpty();

        Session noStdout = exec(start(id, "echo", "unseen").setStdout(false));
        assertThat(noStdout.awaitEnd()).isZero();
        assertThat(noStdout.stdout()).isEmpty();
    }

    @Test
    void execIsRefusedForAMalformedStartAnUnknownOrAStoppedContainer() throws InterruptedException {
        String sandbox = runSandbox("web");
        String running = startContainer(sandbox, "app", runsUntilStopped());
        String created = createContainer(sandbox, "later", runsUntilStopped());

        Session noStart = new Session();
        RuntimeServiceGrpc.newStub(channel).exec(noStart);
        noStart.stdin("too early");
        assertThat(noStart.awaitError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(noStart.awaitError().getDescription()).contains("start");

        Status noCmd = exec(start(running)).awaitError();
        assertThat(noCmd.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(noCmd.getDescription()).contains("cmd");
        Status unknown = exec(start("no-such-container", "true")).awaitError();
        assertThat(unknown.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(unknown.getDescription()).contains("no-such-container");
        assertThat(exec(start(created, "true")).awaitError().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        refusal(() -> execSync(created, "true"), Status.Code.FAILED_PRECONDITION);

        Session twice = exec(start(running, "cat").setStdin(true));
        twice.send(StreamInput.newBuilder().setStart(start(running, "cat")).build());
        assertThat(twice.awaitError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void aCancelledExecEndsAndTheContainerGoesOn() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());
        Session sleeping = exec(start(id, "sleep", "1000"));
        sleeping.cancel();
        assertThat(sleeping.awaitError().getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
        assertThat(execSync(id, "echo", "ok").getStdout().toStringUtf8()).isEqualTo("ok\n");
    }

    @Test
    void anExecEndsWhenItsContainerStops() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());
        Session cat = exec(start(id, "cat").setStdin(true));
        cat.stdin("ping\n").awaitStdout("ping\n"); // it runs: the stop below cannot overtake its start
        stopContainer(id, 10);
        assertThat(cat.awaitEnd()).isNotNull().isNotZero();
    }

    // ---- attach

    @Test
    void attachStreamsTheContainersOutputAndTakesItsStdin() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "shell", echoesAttachedStdin());
        Session attached = attach(start(id).setStdin(true));
        attached.stdin("hello from attach\n");
        attached.awaitStdout("hello from attach");

        stopContainer(id, 10);
        assertThat(attached.awaitEnd()).isEqualTo(containerStatus(id).getExitCode());

        Status withCmd = attach(start(id, "sh")).awaitError();
        assertThat(withCmd.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(attach(start(id)).awaitError().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    // ---- images

    @Test
    void imagesArePulledListedAndRemoved() {
        String image = image();
        String ref = images().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()).getImageRef();
        assertThat(ref).isNotEmpty();
        var status = images().imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
        assertThat(status.hasImage()).isTrue();
        assertThat(status.getImage().getId()).isEqualTo(ref);
        assertThat(status.getImage().getSize()).isPositive();
        assertThat(images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList()).anySatisfy(i -> assertThat(i.getId()).isEqualTo(ref));

        String sandbox = runSandbox("web");
        String container = createContainer(sandbox, "app", runsUntilStopped());
        assertThat(containerStatus(container).getImageRef()).isEqualTo(ref);
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build());

        images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
        assertThat(images().imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()).hasImage()).isFalse();
        images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
    }

    @Test
    void aMalformedImageReferenceIsRefused() {
        for (String bad : List.of("Upper/Case", "nginx::1", "nginx@sha256:nothex", "a//b", " ")) {
            StatusRuntimeException e = refusal(() -> images().pullImage(
                    PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(bad)).build()), Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("image");
        }
        refusal(() -> images().pullImage(PullImageRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT);
        refusal(() -> images().imageStatus(ImageStatusRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT);
    }

    // ---- errors

    @Test
    void everyUnknownIdIsNotFoundAndNamed() {
        String id = "no-such-" + testId;
        List<Runnable> calls = List.of(
                () -> sandboxStatus(id),
                () -> rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build()),
                () -> containerStatus(id),
                () -> rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build()),
                () -> stopContainer(id, 1),
                () -> logs(id),
                () -> execSync(id, "true"));
        for (Runnable call : calls) {
            assertThat(refusal(call, Status.Code.NOT_FOUND).getStatus().getDescription()).contains(id);
        }
        // Removal is idempotent: an unknown id is already removed.
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    }

    @Test
    void malformedRequestsAreRefusedNamingTheFieldAndChangeNothing() {
        String sandbox = runSandbox("web");
        String container = startContainer(sandbox, "app", runsUntilStopped());
        Map<String, Runnable> calls = Map.ofEntries(
                Map.entry("config", () -> rt().runPodSandbox(RunPodSandboxRequest.getDefaultInstance())),
                Map.entry("config.metadata", () -> rt().runPodSandbox(RunPodSandboxRequest.newBuilder()
                        .setConfig(sandboxConfig("x").clearMetadata()).build())),
                Map.entry("config.metadata.name", () -> rt().runPodSandbox(RunPodSandboxRequest.newBuilder()
                        .setConfig(sandboxConfig("x").setMetadata(sandboxConfig("x").getMetadata().toBuilder().clearName())).build())),
                Map.entry("pod_sandbox_id", () -> sandboxStatus("")),
                Map.entry("container_id", () -> containerStatus("")),
                Map.entry("timeout", () -> rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(container).setTimeout(-1).build())),
                Map.entry("config.image", () -> rt().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox)
                        .setConfig(named(runsUntilStopped(), "x").clearImage()).build())),
                Map.entry("config.metadata ", () -> rt().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox)
                        .setConfig(named(runsUntilStopped(), "x").clearMetadata()).build())),
                Map.entry("config ", () -> rt().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox).build())),
                Map.entry("cmd", () -> rt().execSync(ExecSyncRequest.newBuilder().setContainerId(container).build())),
                Map.entry("timeout ", () -> rt().execSync(ExecSyncRequest.newBuilder().setContainerId(container).addCmd("true").setTimeout(-5).build())),
                Map.entry("tail_lines", () -> logs(ContainerLogsRequest.newBuilder().setContainerId(container).setTailLines(-1))),
                Map.entry("limit_bytes", () -> logs(ContainerLogsRequest.newBuilder().setContainerId(container).setLimitBytes(-1))));
        for (Map.Entry<String, Runnable> call : calls.entrySet()) {
            StatusRuntimeException e = refusal(call.getValue(), Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).as(call.getKey()).contains(call.getKey().strip());
        }
        assertThat(sandboxesOfThisTest(PodSandboxFilter.newBuilder())).extracting(PodSandbox::getId).containsExactly(sandbox);
        assertThat(containersOfThisTest(ContainerFilter.newBuilder())).extracting(Container::getId).containsExactly(container);
        assertThat(containerStatus(container).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
    }

    @Test
    void aHostileStdinChunkFailsAloneOrIsEchoed() throws InterruptedException {
        String sandbox = runSandbox("web");
        String id = startContainer(sandbox, "app", runsUntilStopped());
        int size = 10 << 20;
        Session cat = exec(start(id, "cat").setStdin(true));
        cat.send(StreamInput.newBuilder().setStdin(ByteString.copyFrom(new byte[size])).build());
        cat.closeStdin();
        Status end = cat.awaitClose();
        if (end.isOk()) {
            assertThat(cat.exitCode()).isZero();
            assertThat(cat.stdoutBytes()).isEqualTo(size);
        } else {
            assertThat(end.getCode()).as(end.toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        }
        assertThat(execSync(id, "echo", "fine").getStdout().toStringUtf8()).isEqualTo("fine\n");
        assertThat(containerStatus(id).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
        assertThat(rt().version(VersionRequest.getDefaultInstance()).getVersion()).isEqualTo("v1");
    }
}
