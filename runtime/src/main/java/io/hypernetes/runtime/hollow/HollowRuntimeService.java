package io.hypernetes.runtime.hollow;

import static io.hypernetes.runtime.Runtimes.invalid;
import static io.hypernetes.runtime.Runtimes.matches;
import static io.hypernetes.runtime.Runtimes.notFound;
import static io.hypernetes.runtime.Runtimes.notNegative;
import static io.hypernetes.runtime.Runtimes.now;
import static io.hypernetes.runtime.Runtimes.refused;
import static io.hypernetes.runtime.Runtimes.required;

import io.grpc.Status;
import io.hypernetes.runtime.Runtimes;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hypernetes.image.ImageReference;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerFilter;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ContainerLogsRequest;
import io.hypernetes.runtime.v1.ContainerStatusRequest;
import io.hypernetes.runtime.v1.ContainerStatusResponse;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.CreateContainerResponse;
import io.hypernetes.runtime.v1.ExecSyncRequest;
import io.hypernetes.runtime.v1.ExecSyncResponse;
import io.hypernetes.runtime.v1.ListContainersRequest;
import io.hypernetes.runtime.v1.ListContainersResponse;
import io.hypernetes.runtime.v1.ListPodSandboxRequest;
import io.hypernetes.runtime.v1.ListPodSandboxResponse;
import io.hypernetes.runtime.v1.LogLine;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxFilter;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PodSandboxState;
import io.hypernetes.runtime.v1.PodSandboxStatusRequest;
import io.hypernetes.runtime.v1.PodSandboxStatusResponse;
import io.hypernetes.runtime.v1.RemoveContainerRequest;
import io.hypernetes.runtime.v1.RemoveContainerResponse;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.RemovePodSandboxResponse;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RunPodSandboxResponse;
import io.hypernetes.runtime.v1.RuntimeCondition;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import io.hypernetes.runtime.v1.StartContainerResponse;
import io.hypernetes.runtime.v1.StatusRequest;
import io.hypernetes.runtime.v1.StatusResponse;
import io.hypernetes.runtime.v1.StopContainerRequest;
import io.hypernetes.runtime.v1.StopContainerResponse;
import io.hypernetes.runtime.v1.StopPodSandboxRequest;
import io.hypernetes.runtime.v1.StopPodSandboxResponse;
import io.hypernetes.runtime.v1.StreamInput;
import io.hypernetes.runtime.v1.StreamOutput;
import io.hypernetes.runtime.v1.VersionRequest;
import io.hypernetes.runtime.v1.VersionResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The hollow {@code RuntimeService}: sandboxes and containers as a few objects each (see {@link HollowRuntime} for
 * the canned behaviour). Every request and every timer takes this object's monitor, so state changes and the messages
 * they cause are in one order; nothing waits while holding it.
 */
final class HollowRuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    static final String VERSION = "0.1.0";

    private final HollowRuntime.Config config;
    private final ImageStore images;
    private final PodAddresses addresses;
    private final Map<String, HollowSandbox> sandboxes = new LinkedHashMap<>();
    private final Map<String, HollowContainer> containers = new LinkedHashMap<>();

    HollowRuntimeService(HollowRuntime.Config config, ImageStore images) {
        this.config = config;
        this.images = images;
        this.addresses = PodAddresses.parse(config.podCidr());
    }

    /** Answers a unary call with what {@code body} computes under the lock, or with the status it throws. */
    private <T> void answer(StreamObserver<T> out, Supplier<T> body) {
        Runtimes.answer(out, () -> {
            synchronized (this) {
                return body.get();
            }
        });
    }

    private String newId() {
        byte[] bytes = new byte[32];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    // ---- runtime

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> out) {
        answer(out, () -> VersionResponse.newBuilder().setVersion("v1").setRuntimeName("hollow").setRuntimeVersion(VERSION).build());
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
        answer(out, () -> StatusResponse.newBuilder()
                .addConditions(RuntimeCondition.newBuilder().setType("RuntimeReady").setStatus(true))
                .addConditions(RuntimeCondition.newBuilder().setType("NetworkReady").setStatus(true))
                .build());
    }

    // ---- sandboxes

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> out) {
        answer(out, () -> {
            if (!request.hasConfig()) {
                throw invalid("config is required");
            }
            PodSandboxConfig sandboxConfig = request.getConfig();
            if (!sandboxConfig.hasMetadata()) {
                throw invalid("config.metadata is required");
            }
            PodSandboxMetadata metadata = sandboxConfig.getMetadata();
            required(metadata.getName(), "config.metadata.name");
            required(metadata.getNamespace(), "config.metadata.namespace");
            required(metadata.getUid(), "config.metadata.uid");
            for (HollowSandbox other : sandboxes.values()) {
                if (other.config.getMetadata().equals(metadata)) {
                    throw Status.ALREADY_EXISTS.withDescription("pod sandbox " + metadata.getNamespace() + "/" + metadata.getName()
                            + " (uid " + metadata.getUid() + ", attempt " + metadata.getAttempt() + ") already exists as \""
                            + other.id + "\"; remove it or raise the attempt").asRuntimeException();
                }
            }
            String ip = addresses.take();
            if (ip == null) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("no free pod address in " + addresses.cidr() + ": all "
                        + addresses.capacity() + " are held by sandboxes not yet removed").asRuntimeException();
            }
            String id = newId();
            sandboxes.put(id, new HollowSandbox(id, sandboxConfig, ip));
            return RunPodSandboxResponse.newBuilder().setPodSandboxId(id).build();
        });
    }

    private HollowSandbox sandbox(String id) {
        HollowSandbox sandbox = sandboxes.get(required(id, "pod_sandbox_id"));
        if (sandbox == null) {
            throw notFound("pod sandbox", id);
        }
        return sandbox;
    }

    private List<HollowContainer> containersOf(String sandboxId) {
        List<HollowContainer> of = new ArrayList<>();
        for (HollowContainer container : containers.values()) {
            if (container.sandboxId.equals(sandboxId)) {
                of.add(container);
            }
        }
        return of;
    }

    @Override
    public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> out) {
        answer(out, () -> {
            HollowSandbox sandbox = sandbox(request.getPodSandboxId());
            for (HollowContainer container : containersOf(sandbox.id)) {
                if (container.running()) {
                    container.stop(0, () -> {});
                } else {
                    container.kill("never started: its sandbox stopped");
                }
            }
            sandbox.state = PodSandboxState.SANDBOX_NOTREADY;
            return StopPodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> out) {
        answer(out, () -> {
            String id = required(request.getPodSandboxId(), "pod_sandbox_id");
            HollowSandbox sandbox = sandboxes.remove(id);
            if (sandbox != null) {
                for (HollowContainer container : containersOf(id)) {
                    remove(container);
                }
                sandbox.state = PodSandboxState.SANDBOX_NOTREADY;
                addresses.release(sandbox.ip);
            }
            return RemovePodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> out) {
        answer(out, () -> PodSandboxStatusResponse.newBuilder().setStatus(sandbox(request.getPodSandboxId()).status()).build());
    }

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> out) {
        answer(out, () -> {
            PodSandboxFilter filter = request.getFilter();
            ListPodSandboxResponse.Builder list = ListPodSandboxResponse.newBuilder();
            for (HollowSandbox sandbox : sandboxes.values()) {
                if ((filter.getId().isEmpty() || filter.getId().equals(sandbox.id))
                        && (!filter.getFilterByState() || filter.getState() == sandbox.state)
                        && matches(filter.getLabelSelectorMap(), sandbox.config.getLabelsMap())) {
                    list.addItems(sandbox.item());
                }
            }
            return list.build();
        });
    }


    // ---- containers

    @Override
    public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> out) {
        answer(out, () -> {
            required(request.getPodSandboxId(), "pod_sandbox_id");
            if (!request.hasConfig()) {
                throw invalid("config is required");
            }
            ContainerConfig containerConfig = request.getConfig();
            if (!containerConfig.hasMetadata()) {
                throw invalid("config.metadata is required");
            }
            String name = required(containerConfig.getMetadata().getName(), "config.metadata.name");
            String image = required(containerConfig.getImage(), "config.image");
            try {
                ImageReference.parse(image);
            } catch (IllegalArgumentException e) {
                throw invalid("config.image " + e.getMessage());
            }
            HollowContainer.Knobs knobs;
            try {
                knobs = HollowContainer.Knobs.of(containerConfig.getEnvsList());
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
            HollowSandbox sandbox = sandbox(request.getPodSandboxId());
            if (!sandbox.ready()) {
                throw refused("pod sandbox \"" + sandbox.id + "\" is not ready (stopped); a container needs a ready sandbox");
            }
            String imageRef = images.find(image)
                    .orElseThrow(() -> Status.NOT_FOUND.withDescription("image \"" + image + "\" not present: pull it first").asRuntimeException())
                    .getId();
            for (HollowContainer other : containersOf(sandbox.id)) {
                if (other.name().equals(name) && other.config.getMetadata().getAttempt() == containerConfig.getMetadata().getAttempt()) {
                    throw Status.ALREADY_EXISTS.withDescription("container " + name + " (attempt " + containerConfig.getMetadata().getAttempt()
                            + ") already exists in pod sandbox \"" + sandbox.id + "\" as \"" + other.id + "\"").asRuntimeException();
                }
            }
            String id = newId();
            containers.put(id, new HollowContainer(id, sandbox.id, containerConfig, imageRef, knobs, this));
            return CreateContainerResponse.newBuilder().setContainerId(id).build();
        });
    }

    HollowContainer container(String id, String field) {
        HollowContainer container = containers.get(required(id, field));
        if (container == null) {
            throw notFound("container", id);
        }
        return container;
    }

    /** The container, which must be running for an exec or attach to reach it. */
    HollowContainer runningContainer(String id, String field) {
        HollowContainer container = container(id, field);
        if (!container.running()) {
            throw refused("container \"" + id + "\" is " + stateName(container) + ", not running");
        }
        return container;
    }

    private static String stateName(HollowContainer container) {
        return container.state.name().substring("CONTAINER_".length()).toLowerCase();
    }

    /** What a command exec'd in the container sees: its sandbox's hostname and its environment. */
    CannedCommand.Context commandContext(HollowContainer container) {
        HollowSandbox sandbox = sandboxes.get(container.sandboxId);
        String hostname = sandbox == null || sandbox.config.getHostname().isEmpty() ? config.hostname() : sandbox.config.getHostname();
        return new CannedCommand.Context(hostname, container.config.getEnvsList(), this);
    }

    @Override
    public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> out) {
        answer(out, () -> {
            HollowContainer container = container(request.getContainerId(), "container_id");
            if (container.state != ContainerState.CONTAINER_CREATED) {
                throw refused("container \"" + container.id + "\" is " + stateName(container) + "; only a created container starts");
            }
            HollowSandbox sandbox = sandboxes.get(container.sandboxId);
            if (sandbox == null || !sandbox.ready()) {
                throw refused("pod sandbox \"" + container.sandboxId + "\" of container \"" + container.id + "\" is not ready");
            }
            container.start();
            return StartContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> out) {
        ServerCallStreamObserver<StopContainerResponse> call = (ServerCallStreamObserver<StopContainerResponse>) out;
        synchronized (this) {
            HollowContainer container;
            try {
                notNegative(request.getTimeout(), "timeout");
                container = container(request.getContainerId(), "container_id");
            } catch (StatusRuntimeException e) {
                out.onError(e);
                return;
            }
            Runnable answer = new Runnable() {
                private boolean answered;

                @Override
                public void run() {
                    if (!answered && !call.isCancelled()) {
                        answered = true;
                        out.onNext(StopContainerResponse.getDefaultInstance());
                        out.onCompleted();
                    }
                }
            };
            // The client gave up waiting for the grace period: the stop goes on, its answer is dropped.
            call.setOnCancelHandler(() -> {
                synchronized (this) {
                    container.removeExitListener(answer);
                }
            });
            container.stop(request.getTimeout(), answer);
        }
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> out) {
        answer(out, () -> {
            HollowContainer container = containers.get(required(request.getContainerId(), "container_id"));
            if (container != null) {
                remove(container);
            }
            return RemoveContainerResponse.getDefaultInstance();
        });
    }

    private void remove(HollowContainer container) {
        container.kill("removed while it ran");
        container.log.close();
        containers.remove(container.id);
    }

    @Override
    public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> out) {
        answer(out, () -> {
            ContainerFilter filter = request.getFilter();
            ListContainersResponse.Builder list = ListContainersResponse.newBuilder();
            for (HollowContainer container : containers.values()) {
                if ((filter.getId().isEmpty() || filter.getId().equals(container.id))
                        && (filter.getPodSandboxId().isEmpty() || filter.getPodSandboxId().equals(container.sandboxId))
                        && (!filter.getFilterByState() || filter.getState() == container.state)
                        && matches(filter.getLabelSelectorMap(), container.config.getLabelsMap())) {
                    list.addContainers(container.item());
                }
            }
            return list.build();
        });
    }

    @Override
    public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> out) {
        answer(out, () -> ContainerStatusResponse.newBuilder().setStatus(container(request.getContainerId(), "container_id").status()).build());
    }

    // ---- exec, attach, logs

    @Override
    public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> out) {
        ServerCallStreamObserver<ExecSyncResponse> call = (ServerCallStreamObserver<ExecSyncResponse>) out;
        synchronized (this) {
            try {
                required(request.getContainerId(), "container_id");
                if (request.getCmdCount() == 0 || request.getCmd(0).isEmpty()) {
                    throw invalid("cmd is required");
                }
                notNegative(request.getTimeout(), "timeout");
                HollowContainer container = runningContainer(request.getContainerId(), "container_id");
                new ExecSyncCall(this, container, commandContext(container), request, call).start();
            } catch (StatusRuntimeException e) {
                out.onError(e);
            }
        }
    }

    @Override
    public StreamObserver<StreamInput> exec(StreamObserver<StreamOutput> out) {
        return new StreamSession(this, (ServerCallStreamObserver<StreamOutput>) out, false);
    }

    @Override
    public StreamObserver<StreamInput> attach(StreamObserver<StreamOutput> out) {
        return new StreamSession(this, (ServerCallStreamObserver<StreamOutput>) out, true);
    }

    @Override
    public void containerLogs(ContainerLogsRequest request, StreamObserver<LogLine> out) {
        ServerCallStreamObserver<LogLine> call = (ServerCallStreamObserver<LogLine>) out;
        synchronized (this) {
            HollowContainer container;
            try {
                notNegative(request.getTailLines(), "tail_lines");
                notNegative(request.getSinceTime(), "since_time");
                notNegative(request.getLimitBytes(), "limit_bytes");
                container = container(request.getContainerId(), "container_id");
            } catch (StatusRuntimeException e) {
                out.onError(e);
                return;
            }
            LogReader reader = new LogReader(container.log, call, request.getLimitBytes());
            call.setOnCancelHandler(() -> {
                synchronized (this) {
                    reader.ended = true;
                    container.log.unfollow(reader);
                }
            });
            for (LogLine line : container.log.read(request.getSinceTime(), request.getTailLines())) {
                reader.line(line);
            }
            if (!reader.ended && !(request.getFollow() && container.log.follow(reader))) {
                reader.ended();
            }
        }
    }

    synchronized void close() {
        for (HollowContainer container : containers.values()) {
            container.kill("the hollow runtime closed");
        }
        for (HollowSandbox sandbox : sandboxes.values()) {
            sandbox.state = PodSandboxState.SANDBOX_NOTREADY;
        }
    }
}
