package io.hypernetes.hyperd;

import static io.hypernetes.runtime.Runtimes.answer;
import static io.hypernetes.runtime.Runtimes.invalid;
import static io.hypernetes.runtime.Runtimes.matches;
import static io.hypernetes.runtime.Runtimes.notNegative;
import static io.hypernetes.runtime.Runtimes.required;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hypernetes.guest.AgentException;
import io.hypernetes.guest.GuestProcess;
import io.hypernetes.guest.ProcessListener;
import io.hypernetes.image.ImageReference;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerFilter;
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
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * hyperd's {@code RuntimeService}: checks each request the way the interface documents and hands it to
 * {@link PodVms}. Calls that wait (a VM boot, a stop's grace period) run on the gRPC call's own thread, which
 * hyperd's server gives each call (virtual threads), so one slow pod never holds up another.
 */
final class HyperdRuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    static final String VERSION = "0.1.0";
    /** ExecSync keeps at most this much of each stream: probes and hooks read only the start of it. */
    static final int EXEC_SYNC_MAX = 16 << 20;

    private final PodVms pods;
    private final Supplier<RuntimeCondition> network;

    HyperdRuntimeService(PodVms pods, Supplier<RuntimeCondition> network) {
        this.pods = pods;
        this.network = network;
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> out) {
        answer(out, () -> VersionResponse.newBuilder().setVersion("v1").setRuntimeName("hyperd").setRuntimeVersion(VERSION).build());
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
        answer(out, () -> StatusResponse.newBuilder()
                .addConditions(RuntimeCondition.newBuilder().setType("RuntimeReady").setStatus(true))
                .addConditions(network.get())
                .build());
    }

    // ---- sandboxes

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> out) {
        answer(out, () -> {
            if (!request.hasConfig()) throw invalid("config is required");
            PodSandboxConfig config = request.getConfig();
            if (!config.hasMetadata()) throw invalid("config.metadata is required");
            PodSandboxMetadata metadata = config.getMetadata();
            required(metadata.getName(), "config.metadata.name");
            required(metadata.getNamespace(), "config.metadata.namespace");
            required(metadata.getUid(), "config.metadata.uid");
            notNegative(config.getResources().getCpuMillis(), "config.resources.cpu_millis");
            notNegative(config.getResources().getMemoryBytes(), "config.resources.memory_bytes");
            return RunPodSandboxResponse.newBuilder().setPodSandboxId(pods.run(config).id).build();
        });
    }

    @Override
    public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> out) {
        answer(out, () -> {
            pods.stop(pods.sandbox(required(request.getPodSandboxId(), "pod_sandbox_id")));
            return StopPodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> out) {
        answer(out, () -> {
            pods.removeSandbox(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return RemovePodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> out) {
        answer(out, () -> PodSandboxStatusResponse.newBuilder()
                .setStatus(pods.sandbox(required(request.getPodSandboxId(), "pod_sandbox_id")).status()).build());
    }

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> out) {
        answer(out, () -> {
            PodSandboxFilter filter = request.getFilter();
            ListPodSandboxResponse.Builder list = ListPodSandboxResponse.newBuilder();
            for (PodVm pod : pods.sandboxes()) {
                if ((filter.getId().isEmpty() || filter.getId().equals(pod.id))
                        && (!filter.getFilterByState() || filter.getState() == pod.state())
                        && matches(filter.getLabelSelectorMap(), pod.config.getLabelsMap())) {
                    list.addItems(pod.item());
                }
            }
            return list.build();
        });
    }

    // ---- containers

    @Override
    public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> out) {
        answer(out, () -> {
            PodVm pod = pods.sandbox(required(request.getPodSandboxId(), "pod_sandbox_id"));
            if (!request.hasConfig()) throw invalid("config is required");
            ContainerConfig config = request.getConfig();
            if (!config.hasMetadata()) throw invalid("config.metadata is required");
            required(config.getMetadata().getName(), "config.metadata.name");
            String image = required(config.getImage(), "config.image");
            try {
                ImageReference.parse(image);
            } catch (IllegalArgumentException e) {
                throw invalid("config.image " + e.getMessage());
            }
            return CreateContainerResponse.newBuilder().setContainerId(pods.create(pod, config).id).build();
        });
    }

    @Override
    public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> out) {
        answer(out, () -> {
            pods.start(pods.container(required(request.getContainerId(), "container_id")));
            return StartContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> out) {
        answer(out, () -> {
            PodContainer c = pods.container(required(request.getContainerId(), "container_id"));
            pods.stop(c, notNegative(request.getTimeout(), "timeout"));
            return StopContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> out) {
        answer(out, () -> {
            pods.removeContainer(required(request.getContainerId(), "container_id"));
            return RemoveContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> out) {
        answer(out, () -> {
            ContainerFilter filter = request.getFilter();
            ListContainersResponse.Builder list = ListContainersResponse.newBuilder();
            for (PodContainer c : pods.containers()) {
                if ((filter.getId().isEmpty() || filter.getId().equals(c.id))
                        && (filter.getPodSandboxId().isEmpty() || filter.getPodSandboxId().equals(c.sandboxId))
                        && (!filter.getFilterByState() || filter.getState() == c.state())
                        && matches(filter.getLabelSelectorMap(), c.config.getLabelsMap())) {
                    list.addContainers(c.item());
                }
            }
            return list.build();
        });
    }

    @Override
    public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> out) {
        answer(out, () -> ContainerStatusResponse.newBuilder()
                .setStatus(pods.container(required(request.getContainerId(), "container_id")).status()).build());
    }

    // ---- exec, attach, logs

    @Override
    public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> out) {
        answer(out, () -> {
            PodContainer c = pods.container(required(request.getContainerId(), "container_id"));
            if (request.getCmdCount() == 0 || request.getCmd(0).isEmpty()) throw invalid("cmd is required");
            long timeout = notNegative(request.getTimeout(), "timeout");
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            GuestProcess process;
            try {
                process = pods.exec(c, request.getCmdList(), false, false, 0, 0, new ProcessListener() {
                    @Override
                    public void stdout(byte[] data) {
                        synchronized (stdout) {
                            if (stdout.size() < EXEC_SYNC_MAX) stdout.writeBytes(data);
                        }
                    }

                    @Override
                    public void stderr(byte[] data) {
                        synchronized (stderr) {
                            if (stderr.size() < EXEC_SYNC_MAX) stderr.writeBytes(data);
                        }
                    }

                    @Override
                    public void exited(int code) {
                        exit.complete(code);
                    }
                });
            } catch (AgentException e) {
                return ExecSyncResponse.newBuilder().setExitCode((int) e.code())
                        .setStderr(com.google.protobuf.ByteString.copyFromUtf8(e.getMessage() + "\n")).build();
            }
            int code;
            try {
                code = timeout == 0 ? exit.get() : exit.get(timeout, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                try {
                    process.signal(9);
                } catch (AgentException gone) {
                    // it exited meanwhile, or the VM went away: either way it no longer runs
                }
                throw Status.DEADLINE_EXCEEDED.withDescription("command " + request.getCmdList() + " timed out after " + timeout + "s").asRuntimeException();
            } catch (ExecutionException e) {
                throw Status.INTERNAL.withDescription(String.valueOf(e.getCause())).asRuntimeException();
            }
            synchronized (stdout) {
                synchronized (stderr) {
                    return ExecSyncResponse.newBuilder().setExitCode(code)
                            .setStdout(com.google.protobuf.ByteString.copyFrom(stdout.toByteArray()))
                            .setStderr(com.google.protobuf.ByteString.copyFrom(stderr.toByteArray())).build();
                }
            }
        });
    }

    @Override
    public StreamObserver<StreamInput> exec(StreamObserver<StreamOutput> out) {
        return new StreamSession(pods, (ServerCallStreamObserver<StreamOutput>) out, false);
    }

    @Override
    public StreamObserver<StreamInput> attach(StreamObserver<StreamOutput> out) {
        return new StreamSession(pods, (ServerCallStreamObserver<StreamOutput>) out, true);
    }

    @Override
    public void containerLogs(ContainerLogsRequest request, StreamObserver<LogLine> out) {
        ServerCallStreamObserver<LogLine> call = (ServerCallStreamObserver<LogLine>) out;
        PodContainer c;
        try {
            notNegative(request.getTailLines(), "tail_lines");
            notNegative(request.getSinceTime(), "since_time");
            notNegative(request.getLimitBytes(), "limit_bytes");
            c = pods.container(required(request.getContainerId(), "container_id"));
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        LogStream stream = new LogStream(c.log, call, request.getLimitBytes());
        call.setOnCancelHandler(stream::cancel);
        stream.start(request.getSinceTime(), request.getTailLines(), request.getFollow());
    }
}
