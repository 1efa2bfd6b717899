package io.hypernetes.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.StatusRuntimeException;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.network.PodPort;
import io.hypernetes.runtime.v1.ContainerConfig;
import io.hypernetes.runtime.v1.ContainerState;
import io.hypernetes.runtime.v1.ContainerStatus;
import io.hypernetes.runtime.v1.PodSandbox;
import io.hypernetes.runtime.v1.PodSandboxConfig;
import io.hypernetes.runtime.v1.PodSandboxState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one pod (one uid) on this node: a virtual thread that, each time it is woken, compares the pod's spec with
 * what the runtime runs for it and closes the gap one step at a time, then reports the pod's status when it
 * changed.
 *
 * <p>A sync: a pod gone from the API is cleaned out of the runtime; a pod being deleted is terminated (preStop
 * hooks, StopContainer within the grace period, sandbox stopped and removed, then the pod deleted for good with
 * its uid as precondition); a pod that ended keeps its sandbox stopped; otherwise the sandbox is made ready, init
 * containers run one by one to success, then every container is started, restarted by the restart policy after the
 * crash-loop back-off, or killed when its liveness or startup probe failed. Everything the worker knows about
 * containers comes from the runtime, so a restarted agent adopts what runs instead of starting it again.
 */
final class PodWorker {
    private static final Logger log = LoggerFactory.getLogger(PodWorker.class);
    private static final String SMP = "application/strategic-merge-patch+json";
    private static final Set<String> OWN_CONDITIONS = Set.of("PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready");

    /** Why a container does not run (yet), for its waiting state. */
    private record Waiting(String reason, String message) {}

    /** What the runtime has for this pod: its sandboxes, the current one, and that one's containers by name, newest first. */
    private record Observed(List<PodSandbox> sandboxes, PodSandbox current, String podIp, Map<String, List<ContainerStatus>> byName) {
        boolean ready() {
            return current != null && current.getState() == PodSandboxState.SANDBOX_READY;
        }

        ContainerStatus latest(String name) {
            List<ContainerStatus> l = byName.get(name);
            return l == null || l.isEmpty() ? null : l.getFirst();
        }

        ContainerStatus previous(String name) {
            List<ContainerStatus> l = byName.get(name);
            return l == null || l.size() < 2 ? null : l.get(1);
        }
    }

    /** The probes of one running container instance. */
    private static final class ContainerProbes implements AutoCloseable {
        volatile ProbeWorker startup;
        volatile ProbeWorker liveness;
        volatile ProbeWorker readiness;

        boolean started() {
            ProbeWorker s = startup;
            return s == null || s.result() == ProbeWorker.Result.SUCCESS;
        }

        boolean ready() {
            ProbeWorker r = readiness;
            return started() && (r == null || r.result() == ProbeWorker.Result.SUCCESS);
        }

        @Override
        public void close() {
            for (ProbeWorker w : new ProbeWorker[] {startup, liveness, readiness}) {
                if (w != null) w.close();
            }
        }
    }

    private final NodeAgent.Context ctx;
    private final RuntimeClient rt;
    private final PodEvents events;
    private final String uid;
    private final String key;
    private final Semaphore signal = new Semaphore(0);
    private final Thread thread;
    private volatile ObjectNode pod;
    private volatile boolean gone;
    private volatile boolean closed;

    // state of the worker thread only
    private final Map<String, ContainerProbes> probes = new ConcurrentHashMap<>();
    private final Map<String, Waiting> waiting = new HashMap<>();
    private final Set<String> told = new HashSet<>();
    /** Containers this worker killed for a failed liveness or startup probe: restarted under OnFailure whatever their exit code. */
    private final Set<String> killedUnhealthy = new HashSet<>();
    private final Map<String, Instant> pullFailures = new HashMap<>();
    private Instant nextWake;
    /** When kubestack last failed to set the pod's port up, for its back-off; null when it has not. */
    private Instant setupFailedAt;
    private ObjectNode written;
    private long writtenRv = -1;
    private String terminalPhase;
    private boolean terminated;
    private boolean deleteSent;
    private boolean done;
    /** The port this worker last plugged the pod in with (its sandbox attaches to it), null on the default network. */
    private PodPort port;
    private boolean unplugged;
    /** What the pod waits for about its network, last told in an Event or log line: said once per change. */
    private String networkWait;
    private String startTime;
    private int failures;
    /** Why the pod ended, when the agent ended it (DeadlineExceeded). */
    private String podReason;
    private String podMessage;
    /** Per container name, the attempt its first instance in the current sandbox gets (restarts in earlier sandboxes). */
    private final Map<String, Integer> attempts = new HashMap<>();

    PodWorker(NodeAgent.Context ctx, String uid, ObjectNode pod) {
        this.ctx = ctx;
        this.rt = ctx.runtime();
        this.events = ctx.events();
        this.uid = uid;
        this.pod = pod;
        this.key = Meta.namespace(pod) + "/" + Meta.name(pod);
        this.thread = Thread.ofVirtual().name("pod-" + key).unstarted(this::run);
        thread.start();
    }

    String uid() {
        return uid;
    }

    /** A newer version of the pod from the informer. */
    void update(ObjectNode newer) {
        pod = newer;
        wake();
    }

    /** The pod is gone from the API (or from this node). */
    void gone(ObjectNode last) {
        pod = last;
        gone = true;
        wake();
    }

    void wake() {
        signal.release();
    }

    private void wakeIn(Duration d) {
        wakeAt(Instant.now().plus(d));
    }

    private void wakeAt(Instant t) {
        if (nextWake == null || t.isBefore(nextWake)) nextWake = t;
    }

    /** Stops the worker and its probes; leaves the runtime as it is. */
    void close() {
        closed = true;
        thread.interrupt();
        probes.values().forEach(ContainerProbes::close);
    }

    private void run() {
        while (!closed && !done) {
            nextWake = Instant.now().plus(ctx.config().resyncInterval());
            try {
                sync();
                if (failures > 0) log.info("pod {}: syncing again after {} failures", key, failures);
                failures = 0;
            } catch (RuntimeException e) {
                if (closed) return;
                failures++;
                // a runtime or API server that is down fails every sync: retry less often, and say so less often
                if (Integer.bitCount(failures) == 1) log.warn("pod {}: sync failed ({} in a row): {}", key, failures, e.toString());
                wakeIn(Duration.ofMillis(Math.min(30_000, 500L << Math.min(failures, 6))));
            }
            if (done) break;
            try {
                long ms = Math.max(0, Duration.between(Instant.now(), nextWake).toMillis());
                if (signal.tryAcquire(ms, TimeUnit.MILLISECONDS)) signal.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
        probes.values().forEach(ContainerProbes::close);
    }

    private void sync() {
        ObjectNode pod = this.pod;
        if (gone) {
            cleanUp(pod);
            done = true;
            ctx.agent().workerDone(this);
            return;
        }
        if (Meta.deleting(pod)) {
            terminate(pod);
            return;
        }
        if (startTime == null) {
            startTime = pod.path("status").path("startTime").asText("");
            if (startTime.isEmpty()) startTime = Meta.timestamp(Instant.now());
        }
        if (terminalPhase == null) {
            String phase = pod.path("status").path("phase").asText();
            if (phase.equals("Succeeded") || phase.equals("Failed")) terminalPhase = phase;
        }
        Observed o = observe();
        if (terminalPhase == null && activeDeadlinePassed(pod)) {
            // spec.activeDeadlineSeconds (Jobs set it): the pod ends Failed, its containers stopped
            events.warning(pod, null, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline");
            closeProbes(Set.of());
            killAll(pod, o, gracePeriod(pod));
            terminalPhase = "Failed";
            podReason = "DeadlineExceeded";
            podMessage = "Pod was active on the node longer than the specified deadline";
        }
        if (terminalPhase != null) {
            closeProbes(Set.of());
            stopSandboxes(o);
            writeStatus(pod, status(pod, observe()));
            return;
        }
        if (!o.ready()) {
            o = runSandbox(pod, o);
            if (o == null) return;
        }
        if (act(pod, o)) o = observe();
        runProbes(pod, o);
        ObjectNode status = status(pod, o);
        writeStatus(pod, status);
        String phase = status.path("phase").asText();
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            terminalPhase = phase;
            log.info("pod {} {}: its sandbox stays stopped until the pod is deleted", key, phase);
            closeProbes(Set.of());
            stopSandboxes(o);
        }
    }

    // ---- the runtime's view ----

    private Observed observe() {
        List<PodSandbox> sandboxes = rt.listPodSandbox(uid);
        PodSandbox current = sandboxes.stream()
                .max(Comparator.comparing((PodSandbox s) -> s.getState() == PodSandboxState.SANDBOX_READY)
                        .thenComparingLong(PodSandbox::getCreatedAt)
                        .thenComparingInt(s -> s.getMetadata().getAttempt()))
                .orElse(null);
        String ip = "";
        Map<String, List<ContainerStatus>> byName = new HashMap<>();
        if (current != null) {
            if (current.getState() == PodSandboxState.SANDBOX_READY) {
                ip = rt.podSandboxStatus(current.getId()).map(s -> s.getNetwork().getIp()).orElse("");
            }
            for (var c : rt.listContainers(current.getId())) {
                rt.containerStatus(c.getId()).ifPresent(s -> byName.computeIfAbsent(s.getMetadata().getName(), n -> new ArrayList<>()).add(s));
            }
            byName.values().forEach(l -> l.sort(Comparator.comparingInt((ContainerStatus s) -> s.getMetadata().getAttempt())
                    .thenComparingLong(ContainerStatus::getCreatedAt).reversed()));
        }
        return new Observed(sandboxes, current, ip, byName);
    }

    /**
     * The current sandbox's configuration, for the container calls: its Network is the one the sandbox was started on
     * (the agent's annotation on it), which a restarted agent reads back too.
     */
    private PodSandboxConfig sandboxConfig(JsonNode pod, Observed o) {
        int attempt = o.current == null ? 0 : o.current.getMetadata().getAttempt();
        String network = o.current == null ? "" : o.current.getAnnotationsOrDefault(TenantNetworks.SANDBOX_NETWORK, "");
        return RuntimeConfigs.sandbox(pod, attempt, network, port != null && port.network().equals(network) ? port : null);
    }

    /**
     * Plugs the pod into its namespace's tenant Network before its sandbox starts; null while it cannot be yet (the
     * pod's status and the next wake are seen to). The namespace's network is read again for every sandbox start
     * rather than kept: a namespace that moved to another Network takes its pods' next sandboxes there, while a
     * running sandbox stays on the Network it was plugged into (its annotation says which) until it is removed.
     */
    private PodPort plug(ObjectNode pod, Observed o, String network) {
        String backoffKey = uid + "/network";
        Instant now = Instant.now();
        Instant until = setupFailedAt == null ? null : ctx.backoff().blockedUntil(backoffKey, setupFailedAt, now);
        if (until != null) {
            wakeAt(until);
            writeStatus(pod, status(pod, o));
            return null;
        }
        long started = System.nanoTime();
        TenantNetworks.Plug plug = ctx.networks().plug(pod, network);
        switch (plug) {
            case TenantNetworks.Plug.Plugged p -> {
                log.info("pod {}: plugged into network {} ({}) in {} ms", key, network, p.port().ip(), (System.nanoTime() - started) / 1_000_000);
                networkWait = null;
                setupFailedAt = null;
                ctx.backoff().forget(backoffKey);
                return p.port();
            }
            case TenantNetworks.Plug.NetworkNotReady w -> {
                if (!w.message().equals(networkWait)) events.warning(pod, null, "NetworkNotReady", w.message());
                networkWait = w.message();
                // the Network is not the pod: nothing wakes the worker when it turns Active, so look again, less and less often
                ctx.backoff().next(backoffKey + "/ready", now);
                wakeIn(ctx.backoff().current(backoffKey + "/ready"));
            }
            case TenantNetworks.Plug.Unaddressed w -> {
                // the controller's annotation is a pod update, which wakes the worker
                if (!w.message().equals(networkWait)) log.info("pod {}: {}", key, w.message());
                networkWait = w.message();
            }
            case TenantNetworks.Plug.NoProvider w -> {
                if (!w.message().equals(networkWait)) events.warning(pod, null, "FailedNetworkSetup", w.message());
                networkWait = w.message();
            }
            case TenantNetworks.Plug.SetupFailed f -> {
                String message = "Failed to set up the pod's port on network " + network + " (" + f.reason() + "): " + f.message();
                // a refusal is told at every attempt (the Event counts them); kubestack being away once per change
                if (!f.retryable() || !message.equals(networkWait)) events.warning(pod, null, "FailedNetworkSetup", message);
                networkWait = message;
                setupFailedAt = now;
                ctx.backoff().next(backoffKey, now);
                wakeAt(now.plus(ctx.backoff().current(backoffKey)));
            }
        }
        writeStatus(pod, status(pod, o));
        return null;
    }

    /** Starts a sandbox for the pod (its first, or a new one after the old one stopped) and answers the new view. */
    private Observed runSandbox(ObjectNode pod, Observed o) {
        String network = ctx.networks().namespaceNetwork(pod);
        PodPort plugged = null;
        if (!network.isEmpty()) {
            plugged = plug(pod, o, network);
            if (plugged == null) return null;
        }
        port = plugged;
        int attempt = o.sandboxes.stream().mapToInt(s -> s.getMetadata().getAttempt() + 1).max().orElse(0);
        PodSandboxConfig config = RuntimeConfigs.sandbox(pod, attempt, network, plugged);
        String id;
        try {
            id = rt.runPodSandbox(config);
        } catch (StatusRuntimeException e) {
            events.warning(pod, null, "FailedCreatePodSandBox", "Failed to create pod sandbox: " + e.getStatus().getDescription());
            wakeIn(ctx.config().backoffBase());
            writeStatus(pod, status(pod, o));
            return null;
        }
        log.info("pod {}: sandbox {} started (attempt {}, {} mCPU, {} bytes{})", key, id, attempt,
                config.getResources().getCpuMillis(), config.getResources().getMemoryBytes(),
                plugged == null ? "" : ", network " + network + " " + plugged.ip() + "/" + plugged.prefix() + " on " + plugged.bridge());
        // a runtime that runs the pod in a VM says which (hyperd: its QEMU process); users see it in the pod's events
        rt.podSandboxStatus(id).map(s -> s.getInfoMap().get("vm")).ifPresent(vm ->
                events.normal(pod, null, "StartedPodVM", "Started pod VM: " + vm));
        if (!o.sandboxes.isEmpty()) {
            events.normal(pod, null, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
            // the containers of the new sandbox go on counting restarts where the old one's stopped
            o.byName.forEach((name, instances) -> attempts.merge(name, instances.getFirst().getMetadata().getAttempt() + 1, Math::max));
        }
        for (PodSandbox old : o.sandboxes) {
            try {
                rt.stopPodSandbox(old.getId());
                rt.removePodSandbox(old.getId());
            } catch (StatusRuntimeException e) {
                log.warn("pod {}: removing old sandbox {}: {}", key, old.getId(), e.getStatus());
            }
        }
        return observe();
    }

    // ---- containers ----

    /** One step towards the spec; answers whether the runtime changed. */
    private boolean act(ObjectNode pod, Observed o) {
        JsonNode spec = pod.path("spec");
        String policy = spec.path("restartPolicy").asText("Always");
        boolean acted = false;
        for (JsonNode c : spec.path("initContainers")) {
            String name = c.path("name").asText();
            boolean sidecar = "Always".equals(c.path("restartPolicy").asText());
            ContainerStatus latest = o.latest(name);
            if (latest == null) return start(pod, c, true, firstAttempt(c), o) || acted;
            switch (latest.getState()) {
                case CONTAINER_CREATED -> {
                    return startCreated(pod, c, true, latest) || acted;
                }
                case CONTAINER_RUNNING -> {
                    if (!sidecar) return acted;
                }
                case CONTAINER_EXITED -> {
                    if (sidecar) {
                        acted |= restart(pod, c, true, latest, o);
                        continue;
                    }
                    if (latest.getExitCode() == 0) continue;
                    if (policy.equals("Never")) return acted; // the pod has failed
                    return restart(pod, c, true, latest, o) || acted;
                }
                default -> {
                    return acted;
                }
            }
        }
        for (JsonNode c : spec.path("containers")) {
            String name = c.path("name").asText();
            ContainerStatus latest = o.latest(name);
            if (latest == null) {
                acted |= start(pod, c, false, firstAttempt(c), o);
                continue;
            }
            switch (latest.getState()) {
                case CONTAINER_CREATED -> acted |= startCreated(pod, c, false, latest);
                case CONTAINER_RUNNING -> {
                    ContainerProbes p = probes.get(latest.getId());
                    String why = null;
                    if (p != null && p.startup != null && p.startup.result() == ProbeWorker.Result.FAILURE) why = "startup";
                    if (p != null && p.liveness != null && p.liveness.result() == ProbeWorker.Result.FAILURE) why = "liveness";
                    if (why != null) {
                        killedUnhealthy.add(latest.getId());
                        kill(pod, c, false, latest.getId(), "Container " + name + " failed " + why + " probe, will be restarted", gracePeriod(pod));
                        acted = true;
                        wake(); // the restart decision is the next sync's
                    }
                }
                case CONTAINER_EXITED -> {
                    boolean failed = latest.getExitCode() != 0 || killedUnhealthy.contains(latest.getId());
                    if (policy.equals("Always") || (policy.equals("OnFailure") && failed)) {
                        acted |= restart(pod, c, false, latest, o);
                    }
                }
                default -> { }
            }
        }
        return acted;
    }

    /** Whether the pod has been active longer than {@code spec.activeDeadlineSeconds}; if not yet, wakes at the deadline. */
    private boolean activeDeadlinePassed(JsonNode pod) {
        JsonNode seconds = pod.path("spec").path("activeDeadlineSeconds");
        if (!seconds.canConvertToLong() || startTime == null) return false;
        Instant end = Instant.parse(startTime).plusSeconds(seconds.asLong());
        if (Instant.now().isBefore(end)) {
            wakeAt(end);
            return false;
        }
        return true;
    }

    private int firstAttempt(JsonNode c) {
        return attempts.getOrDefault(c.path("name").asText(), 0);
    }

    /** Restarts an exited container unless it is in back-off, keeping its last instance for {@code lastState}. */
    private boolean restart(ObjectNode pod, JsonNode c, boolean init, ContainerStatus latest, Observed o) {
        String name = c.path("name").asText();
        String backoffKey = uid + "/" + name;
        Instant now = Instant.now();
        Instant failedAt = latest.getFinishedAt() > 0 ? nanos(latest.getFinishedAt()) : now;
        Instant until = ctx.backoff().blockedUntil(backoffKey, failedAt, now);
        if (until != null) {
            String d = RestartBackoff.format(ctx.backoff().current(backoffKey));
            waiting.put(name, new Waiting("CrashLoopBackOff", "back-off " + d + " restarting failed container=" + name
                    + " pod=" + Meta.name(pod) + "_" + Meta.namespace(pod) + "(" + uid + ")"));
            if (told.add("backoff/" + latest.getId())) {
                events.warning(pod, PodEvents.container(c, init), "BackOff", "Back-off restarting failed container " + name
                        + " in pod " + Meta.name(pod) + "_" + Meta.namespace(pod) + "(" + uid + ")");
            }
            wakeAt(until);
            return false;
        }
        ctx.backoff().next(backoffKey, now);
        told.remove("backoff/" + latest.getId());
        for (ContainerStatus old : o.byName.getOrDefault(name, List.of())) {
            if (old != latest) {
                try {
                    rt.removeContainer(old.getId());
                } catch (StatusRuntimeException e) {
                    log.debug("pod {}: removing old container {}: {}", key, old.getId(), e.getStatus());
                }
            }
        }
        return start(pod, c, init, latest.getMetadata().getAttempt() + 1, o);
    }

    /** Pulls the image as the policy says, creates and starts a container instance; answers whether one was created. */
    private boolean start(ObjectNode pod, JsonNode c, boolean init, int attempt, Observed o) {
        String name = c.path("name").asText();
        String fieldPath = PodEvents.container(c, init);
        PodSandboxConfig sandbox = sandboxConfig(pod, o);
        if (!ensureImage(pod, c, init, sandbox)) return false;
        ContainerConfig config;
        try {
            config = RuntimeConfigs.container(ctx.client(), pod, c, attempt, o.podIp, ctx.config().address(),
                    ctx.volumes().prepare(ctx.client(), pod));
        } catch (RuntimeConfigs.ConfigError e) {
            waiting.put(name, new Waiting("CreateContainerConfigError", e.getMessage()));
            if (told.add("config/" + name + "/" + e.getMessage())) events.warning(pod, fieldPath, "Failed", "Error: " + e.getMessage());
            wakeIn(ctx.config().backoffBase());
            return false;
        }
        String id;
        try {
            id = rt.createContainer(o.current.getId(), config, sandbox);
        } catch (StatusRuntimeException e) {
            waiting.put(name, new Waiting("CreateContainerError", e.getStatus().getDescription()));
            events.warning(pod, fieldPath, "Failed", "Error: " + e.getStatus().getDescription());
            wakeIn(ctx.config().backoffBase());
            return false;
        }
        events.normal(pod, fieldPath, "Created", "Created container: " + name);
        startCreated(pod, c, init, id);
        return true;
    }

    private boolean startCreated(ObjectNode pod, JsonNode c, boolean init, ContainerStatus created) {
        return startCreated(pod, c, init, created.getId());
    }

    private boolean startCreated(ObjectNode pod, JsonNode c, boolean init, String id) {
        String name = c.path("name").asText();
        String fieldPath = PodEvents.container(c, init);
        try {
            rt.startContainer(id);
        } catch (StatusRuntimeException e) {
            waiting.put(name, new Waiting("RunContainerError", e.getStatus().getDescription()));
            events.warning(pod, fieldPath, "Failed", "Error: " + e.getStatus().getDescription());
            wakeIn(ctx.config().backoffBase());
            return true;
        }
        waiting.remove(name);
        events.normal(pod, fieldPath, "Started", "Started container " + name);
        JsonNode postStart = c.path("lifecycle").path("postStart");
        if (postStart.isObject()) {
            Handlers.Outcome out = Handlers.run(rt, postStart, c, id, podIpOf(pod), Duration.ofSeconds(gracePeriod(pod) + 1));
            if (!out.success()) {
                events.warning(pod, fieldPath, "FailedPostStartHook", "PostStartHook failed: " + out.message());
                kill(pod, c, init, id, "FailedPostStartHook", gracePeriod(pod));
            }
        }
        return true;
    }

    private String podIpOf(JsonNode pod) {
        return rt.listPodSandbox(uid).stream().filter(s -> s.getState() == PodSandboxState.SANDBOX_READY).findFirst()
                .flatMap(s -> rt.podSandboxStatus(s.getId())).map(s -> s.getNetwork().getIp()).orElse("");
    }

    /** Makes the image present as {@code imagePullPolicy} says; false (and a waiting reason) when it is not. */
    private boolean ensureImage(ObjectNode pod, JsonNode c, boolean init, PodSandboxConfig sandbox) {
        String name = c.path("name").asText();
        String image = c.path("image").asText();
        String fieldPath = PodEvents.container(c, init);
        String policy = c.path("imagePullPolicy").asText("");
        if (policy.isEmpty()) policy = latestTag(image) ? "Always" : "IfNotPresent";
        if (!policy.equals("Always")) {
            boolean present;
            try {
                present = rt.imagePresent(image);
            } catch (StatusRuntimeException e) {
                present = false;
            }
            if (present) {
                events.normal(pod, fieldPath, "Pulled", "Container image \"" + image + "\" already present on machine");
                return true;
            }
            if (policy.equals("Never")) {
                String msg = "Container image \"" + image + "\" is not present with pull policy of Never";
                waiting.put(name, new Waiting("ErrImageNeverPull", msg));
                if (told.add("neverpull/" + name)) events.warning(pod, fieldPath, "ErrImageNeverPull", msg);
                return false;
            }
        }
        String backoffKey = uid + "/image/" + image;
        Instant now = Instant.now();
        Instant failed = pullFailures.get(backoffKey);
        Instant until = failed == null ? null : ctx.backoff().blockedUntil(backoffKey, failed, now);
        if (until != null) {
            waiting.put(name, new Waiting("ImagePullBackOff", "Back-off pulling image \"" + image + "\""));
            if (told.add("pullbackoff/" + image + "/" + failed)) {
                events.normal(pod, fieldPath, "BackOff", "Back-off pulling image \"" + image + "\"");
            }
            wakeAt(until);
            return false;
        }
        events.normal(pod, fieldPath, "Pulling", "Pulling image \"" + image + "\"");
        long t0 = System.nanoTime();
        try {
            rt.pullImage(image, sandbox);
        } catch (StatusRuntimeException e) {
            ctx.backoff().next(backoffKey, now);
            pullFailures.put(backoffKey, now);
            told.removeIf(k -> k.startsWith("pullbackoff/" + image + "/"));
            String msg = "Failed to pull image \"" + image + "\": " + e.getStatus().getDescription();
            events.warning(pod, fieldPath, "Failed", msg);
            events.warning(pod, fieldPath, "Failed", "Error: ErrImagePull");
            waiting.put(name, new Waiting("ErrImagePull", msg));
            wakeIn(ctx.backoff().current(backoffKey));
            return false;
        }
        pullFailures.remove(backoffKey);
        told.removeIf(k -> k.startsWith("pullbackoff/" + image + "/"));
        events.normal(pod, fieldPath, "Pulled", "Successfully pulled image \"" + image + "\" in "
                + RestartBackoff.format(Duration.ofNanos(System.nanoTime() - t0)));
        return true;
    }

    /** Whether an image reference names no tag or {@code :latest} (and no digest): pulled Always by default. */
    static boolean latestTag(String image) {
        if (image.contains("@")) return false;
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon <= slash || image.substring(colon + 1).equals("latest");
    }

    /** Runs the container's preStop hook (if any) within {@code deadline}, then stops it with what is left of the grace period. */
    private void kill(ObjectNode pod, JsonNode c, boolean init, String id, String message, long graceSeconds) {
        ContainerProbes p = probes.remove(id);
        if (p != null) p.close();
        events.normal(pod, PodEvents.container(c, init), "Killing", message);
        try {
            rt.stopContainer(id, graceSeconds);
        } catch (StatusRuntimeException e) {
            log.warn("pod {}: stopping container {} ({}): {}", key, c.path("name").asText(), id, e.getStatus());
        }
    }

    private static long gracePeriod(JsonNode pod) {
        JsonNode t = pod.path("spec").path("terminationGracePeriodSeconds");
        return t.canConvertToLong() ? Math.max(0, t.asLong()) : 30;
    }

    // ---- probes ----

    private void runProbes(ObjectNode pod, Observed o) {
        Set<String> running = new HashSet<>();
        for (JsonNode c : pod.path("spec").path("containers")) {
            ContainerStatus latest = o.latest(c.path("name").asText());
            if (latest == null || latest.getState() != ContainerState.CONTAINER_RUNNING) continue;
            running.add(latest.getId());
            if (probes.containsKey(latest.getId())) continue;
            ContainerProbes p = new ContainerProbes();
            Instant startedAt = latest.getStartedAt() > 0 ? nanos(latest.getStartedAt()) : Instant.now();
            if (c.path("startupProbe").isObject()) {
                p.startup = new ProbeWorker(ProbeWorker.Kind.STARTUP, c.path("startupProbe"), rt, events, pod, c, latest.getId(), o.podIp, startedAt, () -> true, this::wake);
            }
            if (c.path("livenessProbe").isObject()) {
                p.liveness = new ProbeWorker(ProbeWorker.Kind.LIVENESS, c.path("livenessProbe"), rt, events, pod, c, latest.getId(), o.podIp, startedAt, p::started, this::wake);
            }
            if (c.path("readinessProbe").isObject()) {
                p.readiness = new ProbeWorker(ProbeWorker.Kind.READINESS, c.path("readinessProbe"), rt, events, pod, c, latest.getId(), o.podIp, startedAt, p::started, this::wake);
            }
            probes.put(latest.getId(), p);
        }
        closeProbes(running);
    }

    private void closeProbes(Set<String> keep) {
        probes.entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) return false;
            e.getValue().close();
            return true;
        });
    }

    // ---- ending ----

    /** Graceful deletion: preStop hooks and StopContainer within the grace period, sandbox down, pod deleted. */
    private void terminate(ObjectNode pod) {
        if (!terminated) {
            JsonNode g = pod.path("metadata").path("deletionGracePeriodSeconds");
            long grace = g.canConvertToLong() ? Math.max(0, g.asLong()) : gracePeriod(pod);
            log.info("pod {}: terminating within {} s", key, grace);
            Observed o = observe();
            closeProbes(Set.of());
            killAll(pod, o, grace);
            stopSandboxes(o);
            try {
                writeStatus(pod, status(pod, observe()));
            } catch (RuntimeException e) {
                log.debug("pod {}: final status not written: {}", key, e.toString());
            }
            for (PodSandbox s : o.sandboxes) rt.removePodSandbox(s.getId());
            unplug(pod, o);
            ctx.volumes().remove(uid);
            ctx.backoff().forget(uid + "/");
            terminated = true;
        }
        if (!deleteSent) {
            ObjectNode options = Json.object().put("apiVersion", "v1").put("kind", "DeleteOptions").put("gracePeriodSeconds", 0);
            options.putObject("preconditions").put("uid", uid);
            KubeClient.Response r = ctx.client().send("DELETE", "/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod),
                    Json.bytes(options), "application/json", "application/json");
            if (r.code() == 200 || r.code() == 202 || r.code() == 404 || r.code() == 409) {
                deleteSent = true;
                log.info("pod {}: terminated and deleted", key);
            } else {
                log.warn("pod {}: delete refused: {} {}", key, r.code(), r.text());
                wakeIn(Duration.ofSeconds(1));
            }
        }
    }

    /** Stops every running container in parallel, each after its preStop hook, all within {@code graceSeconds}. */
    private void killAll(ObjectNode pod, Observed o, long graceSeconds) {
        Instant deadline = Instant.now().plusSeconds(graceSeconds);
        Map<String, JsonNode> specs = new HashMap<>();
        Map<String, Boolean> init = new HashMap<>();
        pod.path("spec").path("initContainers").forEach(c -> {
            specs.put(c.path("name").asText(), c);
            init.put(c.path("name").asText(), true);
        });
        pod.path("spec").path("containers").forEach(c -> specs.put(c.path("name").asText(), c));
        List<Thread> stops = new ArrayList<>();
        for (List<ContainerStatus> instances : o.byName.values()) {
            ContainerStatus latest = instances.getFirst();
            if (latest.getState() == ContainerState.CONTAINER_EXITED) continue;
            JsonNode c = specs.getOrDefault(latest.getMetadata().getName(), Json.object().put("name", latest.getMetadata().getName()));
            boolean isInit = init.getOrDefault(latest.getMetadata().getName(), false);
            stops.add(Thread.ofVirtual().start(() -> {
                JsonNode preStop = c.path("lifecycle").path("preStop");
                boolean hook = preStop.isObject() && latest.getState() == ContainerState.CONTAINER_RUNNING;
                if (hook) {
                    Duration budget = Duration.between(Instant.now(), deadline);
                    Handlers.Outcome out = Handlers.run(rt, preStop, c, latest.getId(), o.podIp,
                            budget.isNegative() || budget.isZero() ? Duration.ofSeconds(1) : budget);
                    if (!out.success()) events.warning(pod, PodEvents.container(c, isInit), "FailedPreStopHook", "PreStopHook failed: " + out.message());
                }
                long left = Math.max(0, (Duration.between(Instant.now(), deadline).toMillis() + 999) / 1000);
                if (hook) left = Math.max(left, 2); // as the kubelet: a hook that used the grace period still leaves 2 s
                kill(pod, c, isInit, latest.getId(), "Stopping container " + c.path("name").asText(), left);
            }));
        }
        for (Thread t : stops) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Unplugs the pod from its tenant network, once its sandboxes are removed: once per worker (a deletion's
     * termination and the pod's disappearance after it both remove sandboxes); a teardown that fails is retried by
     * the agent, not here.
     */
    private void unplug(JsonNode pod, Observed o) {
        if (unplugged || !pluggedIn(pod, o)) return;
        ctx.networks().unplug(uid, key);
        unplugged = true;
    }

    /**
     * Whether the pod may have a port on a tenant network to unplug: this worker plugged it in, a sandbox of it says
     * so (one a restarted agent adopted), or the controller addressed it (kubestack may have set the port up before
     * its sandbox failed to start). Pods of the default network have none of these and never reach the provider.
     */
    private boolean pluggedIn(JsonNode pod, Observed o) {
        return port != null
                || o.sandboxes.stream().anyMatch(s -> !s.getAnnotationsOrDefault(TenantNetworks.SANDBOX_NETWORK, "").isEmpty())
                || !pod.path("metadata").path("annotations").path(TenantNetworks.IP_ANNOTATION).asText("").isEmpty();
    }

    private void stopSandboxes(Observed o) {
        for (PodSandbox s : o.sandboxes) {
            if (s.getState() == PodSandboxState.SANDBOX_READY) rt.stopPodSandbox(s.getId());
        }
    }

    /** The pod is gone from the API: whatever still runs of it goes, at once. */
    private void cleanUp(ObjectNode pod) {
        closeProbes(Set.of());
        Observed o = observe();
        if (!o.sandboxes.isEmpty()) {
            JsonNode g = pod.path("metadata").path("deletionGracePeriodSeconds");
            killAll(pod, o, g.canConvertToLong() ? Math.max(0, g.asLong()) : 0);
            for (PodSandbox s : o.sandboxes) {
                rt.stopPodSandbox(s.getId());
                rt.removePodSandbox(s.getId());
            }
            log.info("pod {}: gone from the API; its sandbox is removed", key);
        }
        unplug(pod, o);
        ctx.volumes().remove(uid);
        ctx.backoff().forget(uid + "/");
    }

    // ---- status ----

    private ObjectNode status(ObjectNode pod, Observed o) {
        JsonNode spec = pod.path("spec");
        String policy = spec.path("restartPolicy").asText("Always");
        ObjectNode s = Json.object();
        boolean initialized = true;
        boolean initFailed = false;
        List<String> incomplete = new ArrayList<>();
        var initStatuses = Json.MAPPER.createArrayNode();
        for (JsonNode c : spec.path("initContainers")) {
            ObjectNode cs = containerStatus(c, o, "PodInitializing", false);
            initStatuses.add(cs);
            boolean sidecar = "Always".equals(c.path("restartPolicy").asText());
            JsonNode term = cs.path("state").path("terminated");
            boolean ok = sidecar ? cs.path("state").has("running") : term.isObject() && term.path("exitCode").asInt() == 0;
            if (!ok) {
                initialized = false;
                incomplete.add(c.path("name").asText());
                if (term.isObject() && term.path("exitCode").asInt() != 0 && policy.equals("Never")) initFailed = true;
            }
        }
        var statuses = Json.MAPPER.createArrayNode();
        int running = 0;
        int waitingCount = 0;
        int stopped = 0;
        int succeeded = 0;
        List<String> unready = new ArrayList<>();
        for (JsonNode c : spec.path("containers")) {
            ObjectNode cs = containerStatus(c, o, initialized ? "ContainerCreating" : "PodInitializing", true);
            statuses.add(cs);
            JsonNode state = cs.path("state");
            if (state.has("running")) running++;
            else if (state.has("terminated")) {
                stopped++;
                // killed for a failed probe is a failure, whatever the process's exit code
                ContainerStatus latest = o.latest(c.path("name").asText());
                boolean unhealthy = latest != null && killedUnhealthy.contains(latest.getId());
                if (state.path("terminated").path("exitCode").asInt() == 0 && !unhealthy) succeeded++;
            } else if (cs.path("lastState").has("terminated")) stopped++;
            else waitingCount++;
            if (!cs.path("ready").asBoolean()) unready.add(c.path("name").asText());
        }
        String phase;
        if (terminalPhase != null) phase = terminalPhase;
        else if (!initialized) phase = initFailed ? "Failed" : "Pending";
        else if (waitingCount > 0) phase = "Pending";
        else if (running > 0) phase = "Running";
        else if (stopped > 0) {
            if (policy.equals("Always")) phase = "Running";
            else if (stopped == succeeded) phase = "Succeeded";
            else phase = policy.equals("Never") ? "Failed" : "Running";
        } else phase = "Pending";
        if (terminated || Meta.deleting(pod)) {
            // every container was stopped for the deletion: the pod ended
            if (running == 0 && waitingCount == 0 && !phase.equals("Succeeded")) phase = stopped == succeeded && stopped > 0 ? "Succeeded" : "Failed";
        }
        boolean ended = phase.equals("Succeeded") || phase.equals("Failed");
        s.put("phase", phase);
        var conditions = s.putArray("conditions");
        condition(conditions, "PodReadyToStartContainers", o.ready() && !ended, null, null);
        condition(conditions, "Initialized", initialized, initialized ? null : "ContainersNotInitialized",
                initialized ? null : "containers with incomplete status: [" + String.join(" ", incomplete) + "]");
        boolean ready = unready.isEmpty() && !ended;
        String reason = ended ? "PodCompleted" : ready ? null : "ContainersNotReady";
        String message = ended || ready ? null : "containers with unready status: [" + String.join(" ", unready) + "]";
        condition(conditions, "ContainersReady", ready, reason, message);
        // readiness gates: conditions others set on the pod must be True as well
        List<String> gates = new ArrayList<>();
        for (JsonNode g : spec.path("readinessGates")) {
            String type = g.path("conditionType").asText();
            boolean met = false;
            for (JsonNode c : pod.path("status").path("conditions")) {
                if (c.path("type").asText().equals(type)) met = c.path("status").asText().equals("True");
            }
            if (!met) gates.add(type);
        }
        if (ready && !gates.isEmpty()) {
            condition(conditions, "Ready", false, "ReadinessGatesNotReady",
                    "the status of pod readiness gate" + (gates.size() > 1 ? "s " : " ") + String.join(", ", gates) + " is not \"True\"");
        } else {
            condition(conditions, "Ready", ready, reason, message);
        }
        condition(conditions, "PodScheduled", true, null, null);
        s.put("hostIP", ctx.config().address());
        s.putArray("hostIPs").addObject().put("ip", ctx.config().address());
        if (!o.podIp.isEmpty()) {
            s.put("podIP", o.podIp);
            s.putArray("podIPs").addObject().put("ip", o.podIp);
        } else {
            // a stopped sandbox has no address any more; the pod keeps the one it had, as in Kubernetes
            String known = pod.path("status").path("podIP").asText("");
            if (!known.isEmpty()) {
                s.put("podIP", known);
                s.set("podIPs", pod.path("status").path("podIPs"));
            }
        }
        s.put("startTime", startTime == null ? Meta.timestamp(Instant.now()) : startTime);
        if (podReason != null) s.put("reason", podReason).put("message", podMessage);
        if (!initStatuses.isEmpty()) s.set("initContainerStatuses", initStatuses);
        s.set("containerStatuses", statuses);
        return s;
    }

    private static void condition(com.fasterxml.jackson.databind.node.ArrayNode conditions, String type, boolean status, String reason, String message) {
        ObjectNode c = conditions.addObject().put("type", type).put("status", status ? "True" : "False");
        if (reason != null) c.put("reason", reason);
        if (message != null) c.put("message", message);
    }

    private ObjectNode containerStatus(JsonNode c, Observed o, String notStarted, boolean regular) {
        String name = c.path("name").asText();
        ContainerStatus latest = o.latest(name);
        ContainerStatus previous = o.previous(name);
        ObjectNode cs = Json.object().put("name", name);
        ObjectNode state = cs.putObject("state");
        ObjectNode last = cs.putObject("lastState");
        Waiting w = waiting.get(name);
        boolean running = false;
        boolean started = false;
        boolean ready = false;
        if (latest == null || latest.getState() == ContainerState.CONTAINER_CREATED) {
            state.putObject("waiting").put("reason", w != null ? w.reason : notStarted).put("message", w != null ? w.message : null);
            if (previous != null) terminated(last, previous);
        } else if (latest.getState() == ContainerState.CONTAINER_RUNNING) {
            running = true;
            state.putObject("running").put("startedAt", Meta.timestamp(nanos(latest.getStartedAt())));
            if (previous != null) terminated(last, previous);
            ContainerProbes p = probes.get(latest.getId());
            started = p == null || p.started();
            ready = p == null ? regular && !hasProbe(c, "readinessProbe") && !hasProbe(c, "startupProbe") : p.ready();
            if (!regular) ready = false;
        } else if (w != null && (w.reason.equals("CrashLoopBackOff") || w.reason.startsWith("ErrImage") || w.reason.equals("ImagePullBackOff")
                || w.reason.equals("CreateContainerConfigError") || w.reason.equals("CreateContainerError"))) {
            state.putObject("waiting").put("reason", w.reason).put("message", w.message);
            terminated(last, latest);
        } else {
            terminated(state, latest);
            if (previous != null) terminated(last, previous);
        }
        if (state.has("waiting") && state.path("waiting").path("message").isNull()) ((ObjectNode) state.path("waiting")).remove("message");
        cs.put("ready", running && ready);
        cs.put("restartCount", latest == null ? 0 : latest.getMetadata().getAttempt());
        cs.put("image", c.path("image").asText());
        cs.put("imageID", latest == null ? "" : latest.getImageRef());
        if (latest != null) cs.put("containerID", ctx.runtimeName() + "://" + latest.getId());
        cs.put("started", running && started);
        return cs;
    }

    private static boolean hasProbe(JsonNode c, String probe) {
        return c.path(probe).isObject();
    }

    private void terminated(ObjectNode into, ContainerStatus c) {
        String reason = c.getReason().isEmpty() ? (c.getExitCode() == 0 ? "Completed" : "Error") : c.getReason();
        ObjectNode t = into.putObject("terminated").put("exitCode", c.getExitCode()).put("reason", reason);
        if (!c.getMessage().isEmpty()) t.put("message", c.getMessage());
        if (c.getStartedAt() > 0) t.put("startedAt", Meta.timestamp(nanos(c.getStartedAt())));
        if (c.getFinishedAt() > 0) t.put("finishedAt", Meta.timestamp(nanos(c.getFinishedAt())));
        t.put("containerID", ctx.runtimeName() + "://" + c.getId());
    }

    private static Instant nanos(long n) {
        return Instant.ofEpochSecond(0, n);
    }

    /**
     * Writes the status through {@code pods/{name}/status} (strategic merge: conditions by type, so other writers'
     * conditions stay) when it differs from the last status the API holds, or the one this worker wrote if the
     * informer has not caught up with that write yet.
     */
    private void writeStatus(ObjectNode pod, ObjectNode desired) {
        JsonNode current = pod.path("status");
        long rv = parseRv(Meta.resourceVersion(pod));
        if (written != null && rv >= 0 && rv <= writtenRv) current = written;
        for (JsonNode c : desired.path("conditions")) {
            String transition = Meta.timestamp(Instant.now());
            for (JsonNode old : current.path("conditions")) {
                if (old.path("type").equals(c.path("type")) && old.path("status").equals(c.path("status"))) {
                    transition = old.path("lastTransitionTime").asText(transition);
                }
            }
            ((ObjectNode) c).put("lastProbeTime", (String) null).put("lastTransitionTime", transition);
        }
        if (comparable(desired).equals(comparable(current))) return;
        ObjectNode patch = Json.object();
        patch.set("status", desired);
        KubeClient.Response r = ctx.client().patch("/api/v1/namespaces/" + Meta.namespace(pod) + "/pods/" + Meta.name(pod) + "/status", SMP, patch);
        if (r.code() == 200) {
            written = desired;
            writtenRv = parseRv(Meta.resourceVersion(r.json()));
            log.info("pod {} status: {}{}", key, desired.path("phase").asText(), describe(desired));
        } else if (r.code() == 404) {
            log.debug("pod {}: gone before its status was written", key);
        } else {
            log.warn("pod {}: status refused: {} {}", key, r.code(), r.text());
            wakeIn(Duration.ofSeconds(1));
        }
    }

    private static String describe(JsonNode status) {
        StringBuilder b = new StringBuilder();
        for (String list : new String[] {"initContainerStatuses", "containerStatuses"}) {
            for (JsonNode cs : status.path(list)) {
                var fields = cs.path("state").properties().iterator();
                if (!fields.hasNext()) continue;
                var e = fields.next();
                b.append(' ').append(cs.path("name").asText()).append('=').append(e.getKey());
                if (e.getValue().has("reason")) b.append('(').append(e.getValue().path("reason").asText()).append(')');
                if (cs.path("ready").asBoolean()) b.append(",ready");
                if (cs.path("restartCount").asInt() > 0) b.append(",restarts:").append(cs.path("restartCount").asInt());
            }
        }
        return b.toString();
    }

    /** The parts of a status this agent owns, conditions by type. */
    private static JsonNode comparable(JsonNode status) {
        ObjectNode s = Json.object();
        for (String f : new String[] {"phase", "reason", "message", "hostIP", "hostIPs", "podIP", "podIPs", "startTime", "initContainerStatuses", "containerStatuses"}) {
            if (status.has(f)) s.set(f, status.get(f));
        }
        ObjectNode conditions = s.putObject("conditions");
        for (JsonNode c : status.path("conditions")) {
            String type = c.path("type").asText();
            if (!OWN_CONDITIONS.contains(type)) continue;
            ObjectNode copy = ((ObjectNode) c).deepCopy();
            copy.remove("lastProbeTime");
            conditions.set(type, copy);
        }
        return s;
    }

    private static long parseRv(String rv) {
        try {
            return Long.parseLong(rv);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
