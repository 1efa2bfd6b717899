package io.hypernetes.runtime.hollow;

import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxNetworkStatus;
import io.hypernetes.runtime.v1.PodSandboxState;
import io.hypernetes.runtime.v1.PodSandboxStatus;

/** A pretended pod sandbox: its config as given, its address, and whether it is ready. Guarded by the runtime's lock. */
final class HollowSandbox {
    final String id;
    final PodSandboxConfig config;
    final long createdAt;
    final String ip;
    PodSandboxState state = PodSandboxState.SANDBOX_READY;

    HollowSandbox(String id, PodSandboxConfig config, String ip) {
        this.id = id;
        this.config = config;
        this.ip = ip;
        this.createdAt = io.hypernetes.runtime.Runtimes.now();
    }

    boolean ready() {
        return state == PodSandboxState.SANDBOX_READY;
    }

    PodSandbox item() {
        return PodSandbox.newBuilder()
                .setId(id)
                .setMetadata(config.getMetadata())
                .setState(state)
                .setCreatedAt(createdAt)
                .putAllLabels(config.getLabelsMap())
                .putAllAnnotations(config.getAnnotationsMap())
                .build();
    }

    PodSandboxStatus status() {
        return PodSandboxStatus.newBuilder()
                .setId(id)
                .setMetadata(config.getMetadata())
                .setState(state)
                .setCreatedAt(createdAt)
                .setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(ip))
                .putAllLabels(config.getLabelsMap())
                .putAllAnnotations(config.getAnnotationsMap())
                .putInfo("runtime", "hollow")
                .build();
    }
}
