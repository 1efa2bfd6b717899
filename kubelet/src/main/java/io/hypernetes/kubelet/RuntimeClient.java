package io.hypernetes.kubelet;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerFilter;
import io.hypernetes.runtime.v1.ContainerStatus;
import io.hypernetes.runtime.v1.ContainerStatusRequest;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.ExecSyncRequest;
import io.hypernetes.runtime.v1.ExecSyncResponse;
import io.hypernetes.runtime.v1.ImageServiceGrpc;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.ImageStatusRequest;
import io.hypernetes.runtime.v1.ListContainersRequest;
import io.hypernetes.runtime.v1.ListPodSandboxRequest;
import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxFilter;
import io.hypernetes.runtime.v1.PodSandboxStatus;
import io.hypernetes.runtime.v1.PodSandboxStatusRequest;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.RemoveContainerRequest;
import io.hypernetes.runtime.v1.RemovePodSandboxRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import io.hypernetes.runtime.v1.StatusRequest;
import io.hypernetes.runtime.v1.StatusResponse;
import io.hypernetes.runtime.v1.StopContainerRequest;
import io.hypernetes.runtime.v1.StopPodSandboxRequest;
import io.hypernetes.runtime.v1.VersionRequest;
import io.hypernetes.runtime.v1.VersionResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The node agent's calls to its runtime, each with a deadline so a stuck runtime stalls one pod worker for a
 * bounded time rather than for ever. Blocking: called from virtual threads.
 */
final class RuntimeClient {
    static final String POD_NAME = "io.kubernetes.pod.name";
    static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
    static final String POD_UID = "io.kubernetes.pod.uid";
    static final String CONTAINER_NAME = "io.kubernetes.container.name";

    private static final Duration CALL = Duration.ofSeconds(30);
    private static final Duration PULL = Duration.ofMinutes(10);
    /**
     * Kubernetes' --runtime-request-timeout. A sandbox is a VM: with the pool empty it boots cold, which under TCG on a
     * loaded host takes longer than {@link #CALL}; a shorter deadline abandoned boots that would have succeeded and
     * started new ones, so the pods never came up.
     */
    private static final Duration SANDBOX = Duration.ofMinutes(2);

    private final ManagedChannel channel;

    RuntimeClient(ManagedChannel channel) {
        this.channel = channel;
    }

    private RuntimeServiceGrpc.RuntimeServiceBlockingStub rt(Duration deadline) {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    private ImageServiceGrpc.ImageServiceBlockingStub images(Duration deadline) {
        return ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    VersionResponse version() {
        return rt(CALL).version(VersionRequest.getDefaultInstance());
    }

    StatusResponse status() {
        return rt(CALL).status(StatusRequest.getDefaultInstance());
    }

    String runPodSandbox(PodSandboxConfig config) {
        return rt(SANDBOX).runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
    }

    void stopPodSandbox(String id) {
        rt(CALL).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    void removePodSandbox(String id) {
        rt(CALL).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    Optional<PodSandboxStatus> podSandboxStatus(String id) {
        try {
            return Optional.of(rt(CALL).podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return Optional.empty();
            throw e;
        }
    }

    /** Every sandbox, or those of one pod uid when {@code uid} is not null. */
    List<PodSandbox> listPodSandbox(String uid) {
        PodSandboxFilter.Builder f = PodSandboxFilter.newBuilder();
        if (uid != null) f.putLabelSelector(POD_UID, uid);
        return rt(CALL).listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(f).build()).getItemsList();
    }

    /** Every container, or those of one sandbox when {@code sandboxId} is not null. */
    List<Container> listContainers(String sandboxId) {
        ContainerFilter.Builder f = ContainerFilter.newBuilder();
        if (sandboxId != null) f.setPodSandboxId(sandboxId);
        return rt(CALL).listContainers(ListContainersRequest.newBuilder().setFilter(f).build()).getContainersList();
    }

    Optional<ContainerStatus> containerStatus(String id) {
        try {
            return Optional.of(rt(CALL).containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return Optional.empty();
            throw e;
        }
    }

    String createContainer(String sandboxId, ContainerConfig config, PodSandboxConfig sandbox) {
        return rt(CALL).createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(config).setSandboxConfig(sandbox).build()).getContainerId();
    }

    void startContainer(String id) {
        rt(CALL).startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    }

    /** SIGTERM, then SIGKILL after {@code timeoutSeconds}; the deadline leaves the runtime room beyond that. */
    void stopContainer(String id, long timeoutSeconds) {
        rt(Duration.ofSeconds(timeoutSeconds).plus(CALL))
                .stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(timeoutSeconds).build());
    }

    void removeContainer(String id) {
        rt(CALL).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    }

    ExecSyncResponse execSync(String containerId, List<String> cmd, Duration timeout) {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        return rt(timeout.plusSeconds(5)).execSync(ExecSyncRequest.newBuilder()
                .setContainerId(containerId).addAllCmd(cmd).setTimeout(seconds).build());
    }

    /** Whether the image is on the node. */
    boolean imagePresent(String image) {
        return images(CALL).imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build()).hasImage();
    }

    /** Pulls the image and answers its reference (digest). */
    String pullImage(String image, PodSandboxConfig sandbox) {
        return images(PULL).pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(image)).setSandboxConfig(sandbox).build()).getImageRef();
    }
}
