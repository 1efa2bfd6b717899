package io.hypernetes.hyperd;

import io.hypernetes.guest.AgentConnection;
import io.hypernetes.hyperd.net.Tap;
import io.hypernetes.hyperd.vm.Vm;
import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxNetworkStatus;
import io.hypernetes.runtime.v1.PodSandboxState;
import io.hypernetes.runtime.v1.PodSandboxStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pod sandbox: its virtual machine, the connection to hyperstart inside it, its tap on the node's pod network,
 * and its containers. The object's monitor guards its state; VM and guest calls are made outside it where they can
 * take long (a boot, a stop), by the one caller that owns the transition.
 */
final class PodVm {
    final String id;
    final PodSandboxConfig config;
    final long createdAt;
    final Path dir;
    final Map<String, PodContainer> containers = new LinkedHashMap<>();
    /** The guest names of node directories (ConfigMap, Secret, emptyDir volumes) already copied into the guest. */
    final Set<String> volumes = new HashSet<>();

    private PodSandboxState state = PodSandboxState.SANDBOX_READY;
    private Vm vm;
    private AgentConnection agent;
    private String ip = "";
    private final Map<String, String> info = new LinkedHashMap<>();

    PodVm(String id, PodSandboxConfig config, long createdAt, Path dir) {
        this.id = id;
        this.config = config;
        this.createdAt = createdAt;
        this.dir = dir;
    }

    synchronized void running(Vm vm, AgentConnection agent, Tap tap, Map<String, String> info) {
        this.vm = vm;
        this.agent = agent;
        this.ip = tap == null ? "" : tap.ip();
        this.info.clear();
        this.info.putAll(info);
        this.state = PodSandboxState.SANDBOX_READY;
    }

    synchronized void restoredIp(String ip) {
        this.ip = ip;
    }

    synchronized void notReady() {
        state = PodSandboxState.SANDBOX_NOTREADY;
    }

    synchronized PodSandboxState state() {
        return state;
    }

    synchronized boolean ready() {
        return state == PodSandboxState.SANDBOX_READY && agent != null;
    }

    synchronized Vm vm() {
        return vm;
    }

    synchronized AgentConnection agent() {
        return agent;
    }

    /** Forgets the VM and the connection (the caller stops them); answers what was held. */
    synchronized Held release() {
        Held held = new Held(vm, agent);
        vm = null;
        agent = null;
        state = PodSandboxState.SANDBOX_NOTREADY;
        return held;
    }

    record Held(Vm vm, AgentConnection agent) {}

    synchronized List<PodContainer> containerList() {
        return new ArrayList<>(containers.values());
    }

    synchronized HyperdState.SandboxRecord record() {
        List<HyperdState.ContainerRecord> records = new ArrayList<>();
        for (PodContainer c : containers.values()) {
            records.add(c.record());
        }
        return new HyperdState.SandboxRecord(id, config, createdAt, state.name(), ip, vm == null ? "" : vm.dir().toString(), records);
    }

    synchronized PodSandbox item() {
        return PodSandbox.newBuilder().setId(id).setMetadata(config.getMetadata()).setState(state).setCreatedAt(createdAt)
                .putAllLabels(config.getLabelsMap()).putAllAnnotations(config.getAnnotationsMap()).build();
    }

    synchronized PodSandboxStatus status() {
        return PodSandboxStatus.newBuilder().setId(id).setMetadata(config.getMetadata()).setState(state).setCreatedAt(createdAt)
                .setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(ip))
                .putAllLabels(config.getLabelsMap()).putAllAnnotations(config.getAnnotationsMap()).putAllInfo(info).build();
    }
}
