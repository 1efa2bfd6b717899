package io.hypernetes.kubelet.server;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.hypernetes.kubelet.server.KubeletServer.ContainerRef;
import io.hypernetes.runtime.v1.Container;
import io.hypernetes.runtime.v1.ContainerFilter;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ListContainersRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds a pod's container in the runtime by the labels the node agent puts on every container it creates
 * ({@code io.kubernetes.pod.namespace}, {@code io.kubernetes.pod.name}, {@code io.kubernetes.container.name}).
 * The container's {@code attempt} is its restart count, so the current instance is the highest attempt and the
 * previous one the next lower attempt the runtime still keeps.
 */
final class PodContainers {
    static final String POD_NAME = "io.kubernetes.pod.name";
    static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
    static final String CONTAINER_NAME = "io.kubernetes.container.name";

    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;

    PodContainers(ManagedChannel channel) {
        this.runtime = RuntimeServiceGrpc.newBlockingStub(channel);
    }

    /** The container's instances, newest (highest attempt) first. */
    List<Container> instances(ContainerRef ref) {
        ContainerFilter filter = ContainerFilter.newBuilder()
                .putLabelSelector(POD_NAMESPACE, ref.namespace())
                .putLabelSelector(POD_NAME, ref.pod())
                .putLabelSelector(CONTAINER_NAME, ref.container())
                .build();
        try {
            return runtime.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .listContainers(ListContainersRequest.newBuilder().setFilter(filter).build())
                    .getContainersList().stream()
                    .sorted(Comparator.comparingInt((Container c) -> c.getMetadata().getAttempt()).reversed())
                    .toList();
        } catch (StatusRuntimeException e) {
            throw new KubeletError(500, "InternalError", "Internal error occurred: the runtime did not list the containers of pod \""
                    + ref.pod() + "\": " + e.getStatus());
        }
    }

    /** The container whose log {@code kubectl logs} means: the current instance, or with {@code previous} the one before. */
    Container forLogs(ContainerRef ref, boolean previous) {
        List<Container> all = instances(ref);
        if (previous) {
            if (all.size() < 2) {
                throw KubeletError.badRequest("previous terminated container \"" + ref.container() + "\" in pod \"" + ref.pod() + "\" not found");
            }
            return all.get(1);
        }
        if (all.isEmpty()) {
            throw KubeletError.badRequest("container \"" + ref.container() + "\" in pod \"" + ref.pod() + "\" is waiting to start: ContainerCreating");
        }
        return all.getFirst();
    }

    /** The running instance that exec and attach reach. */
    Container running(ContainerRef ref) {
        Optional<Container> c = instances(ref).stream().findFirst().filter(x -> x.getState() == ContainerState.CONTAINER_RUNNING);
        return c.orElseThrow(() -> new KubeletError(404, "NotFound", "container not found (\"" + ref.container() + "\")"));
    }
}
