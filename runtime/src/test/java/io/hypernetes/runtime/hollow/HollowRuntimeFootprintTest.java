package io.hypernetes.runtime.hollow;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.hypernetes.runtime.RuntimeEndpoint;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerFilter;
import io.hypernetes.runtime.v1.ContainerMetadata;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.CreateContainerRequest;
import io.hypernetes.runtime.v1.ImageServiceGrpc;
import io.hypernetes.runtime.v1.ImageSpec;
import io.hypernetes.runtime.v1.KeyValue;
import io.hypernetes.runtime.v1.ListContainersRequest;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxMetadata;
import io.hypernetes.runtime.v1.PullImageRequest;
import io.hypernetes.runtime.v1.RunPodSandboxRequest;
import io.hypernetes.runtime.v1.RuntimeServiceGrpc;
import io.hypernetes.runtime.v1.StartContainerRequest;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What a hollow node and a hollow pod cost on the heap, for Kubemark's sizing: one runtime served in-process with
 * 1,000 pods of one running container each, labelled and annotated as the node agent labels them. Printed, not
 * asserted (a figure, not a promise); run with {@code ./mvnw -q -B -pl runtime test -Dtest=HollowRuntimeFootprintTest}
 * and read {@code runtime/target/surefire-reports/io.hypernetes.runtime.hollow.HollowRuntimeFootprintTest-output.txt}.
 */
class HollowRuntimeFootprintTest {
    private static final int PODS = 1000;

    @Test
    void printsTheHeapCostOfAHollowNodeAndOfAHollowPod() throws Exception {
        long empty = usedHeapAfterGc();
        HollowRuntime hollow = new HollowRuntime(new HollowRuntime.Config("footprint-node", "10.245.0.0/22"));
        RuntimeEndpoint endpoint = new RuntimeEndpoint.InProcess("footprint-" + UUID.randomUUID());
        try (RuntimeEndpoint.Serving serving = endpoint.serve(hollow.services())) {
            ManagedChannel channel = endpoint.connect();
            RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime = RuntimeServiceGrpc.newBlockingStub(channel);
            ImageServiceGrpc.newBlockingStub(channel).pullImage(PullImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage("registry.k8s.io/pause:3.10")).build());
            long node = usedHeapAfterGc();

            for (int i = 0; i < PODS; i++) {
                String name = "load-" + i;
                String uid = UUID.randomUUID().toString();
                PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                        .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("kubemark").setUid(uid))
                        .setHostname(name)
                        .putLabels("io.kubernetes.pod.name", name)
                        .putLabels("io.kubernetes.pod.namespace", "kubemark")
                        .putLabels("io.kubernetes.pod.uid", uid)
                        .putLabels("app", "load")
                        .putAnnotations("kubernetes.io/config.seen", "2026-11-23T07:00:00Z")
                        .build();
                String sandboxId = runtime.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
                String containerId = runtime.createContainer(CreateContainerRequest.newBuilder()
                        .setPodSandboxId(sandboxId)
                        .setSandboxConfig(sandbox)
                        .setConfig(ContainerConfig.newBuilder()
                                .setMetadata(ContainerMetadata.newBuilder().setName("app"))
                                .setImage("registry.k8s.io/pause:3.10")
                                .addEnvs(KeyValue.newBuilder().setKey("POD_NAME").setValue(name))
                                .putLabels("io.kubernetes.container.name", "app")
                                .putLabels("io.kubernetes.pod.uid", uid)
                                .putAnnotations("io.kubernetes.container.restartCount", "0"))
                        .build()).getContainerId();
                runtime.startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
            }
            long pods = usedHeapAfterGc();

            assertThat(runtime.listContainers(ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder()
                    .setFilterByState(true).setState(ContainerState.CONTAINER_RUNNING)).build()).getContainersCount()).isEqualTo(PODS);
            System.out.printf("hollow runtime footprint: %,d pods of one running container: %,d bytes, %,d bytes a pod%n",
                    PODS, pods - node, (pods - node) / PODS);
            channel.shutdownNow();
        } finally {
            hollow.close();
            Reference.reachabilityFence(hollow);
        }
    }

    @Test
    void printsTheHeapCostOfAnEmptyHollowNode() throws Exception {
        int nodes = 50;
        warmUp();
        long before = usedHeapAfterGc();
        HollowRuntime[] runtimes = new HollowRuntime[nodes];
        RuntimeEndpoint.Serving[] servings = new RuntimeEndpoint.Serving[nodes];
        ManagedChannel[] channels = new ManagedChannel[nodes];
        for (int i = 0; i < nodes; i++) {
            runtimes[i] = new HollowRuntime(new HollowRuntime.Config("node-" + i, "10.246." + i + ".0/24"));
            RuntimeEndpoint endpoint = new RuntimeEndpoint.InProcess("footprint-node-" + i + "-" + UUID.randomUUID());
            servings[i] = endpoint.serve(runtimes[i].services());
            channels[i] = endpoint.connect();
            ImageServiceGrpc.newBlockingStub(channels[i]).pullImage(PullImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage("registry.k8s.io/pause:3.10")).build());
        }
        long after = usedHeapAfterGc();
        for (ManagedChannel channel : channels) {
            assertThat(RuntimeServiceGrpc.newBlockingStub(channel).version(io.hypernetes.runtime.v1.VersionRequest.getDefaultInstance())
                    .getRuntimeName()).isEqualTo("hollow");
        }
        System.out.printf("hollow runtime footprint: %d empty nodes (runtime served in-process, one channel, one image): "
                + "%,d bytes a node%n", nodes, (after - before) / nodes);
        for (int i = 0; i < nodes; i++) {
            channels[i].shutdownNow();
            servings[i].close();
            runtimes[i].close();
        }
    }

    /** Loads the classes a node uses, so the figure is of the node, not of the first one's class loading. */
    private static void warmUp() {
        HollowRuntime hollow = new HollowRuntime(new HollowRuntime.Config("warm-up", "10.247.0.0/24"));
        RuntimeEndpoint endpoint = new RuntimeEndpoint.InProcess("warm-up-" + UUID.randomUUID());
        try (RuntimeEndpoint.Serving serving = endpoint.serve(hollow.services())) {
            ManagedChannel channel = endpoint.connect();
            ImageServiceGrpc.newBlockingStub(channel).pullImage(PullImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage("registry.k8s.io/pause:3.10")).build());
            channel.shutdownNow();
        } finally {
            hollow.close();
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
