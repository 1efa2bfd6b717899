package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.condition;
import static io.hypernetes.kubelet.TestCluster.container;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.runtime.v1.ExecSyncRequest;
import io.hypernetes.runtime.v1.PodSandboxState;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PodLifecycleTest extends AgentTest {
    static TestCluster.Node node;

    @BeforeAll
    static void startNode() throws Exception {
        node = cluster.node("node-a", "10.244.0.0/24", c -> c);
    }

    @Test
    void boundPodRunsWithItsAddressReadyAndItsEnvironment() throws Exception {
        assertThat(cluster.admin.post("/api/v1/namespaces/default/configmaps", TestCluster.yaml("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {greeting: hello}
                """)).code()).isEqualTo(201);
        assertThat(cluster.admin.post("/api/v1/namespaces/default/secrets", TestCluster.yaml("""
                apiVersion: v1
                kind: Secret
                metadata: {name: creds}
                data: {password: czNjcjN0}
                """)).code()).isEqualTo(201);
        JsonNode created = cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: web, labels: {app: web}}
                spec:
                  nodeName: node-a
                  containers:
                  - name: web
                    image: nginx:1.27
                    command: [nginx]
                    args: ["-g", "daemon off;"]
                    resources: {limits: {cpu: 500m, memory: 256Mi}}
                    env:
                    - {name: MY_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                    - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                    - {name: MY_NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
                    - {name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}
                    - {name: BOTH, value: "$(GREETING)-$(MY_NAME)"}
                    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
                """);
        String uid = created.path("metadata").path("uid").asText();
        JsonNode pod = cluster.awaitPod("web", p -> condition(p, "Ready").equals("True"));
        JsonNode status = pod.path("status");
        assertThat(status.path("phase").asText()).isEqualTo("Running");
        String ip = status.path("podIP").asText();
        assertThat(ip).startsWith("10.244.0.");
        assertThat(status.path("podIPs").get(0).path("ip").asText()).isEqualTo(ip);
        assertThat(status.path("hostIP").asText()).isEqualTo("127.0.0.1");
        assertThat(status.path("startTime").asText()).isNotEmpty();
        for (String type : new String[] {"PodScheduled", "Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers"}) {
            assertThat(condition(pod, type)).as(type).isEqualTo("True");
        }
        JsonNode web = container(pod, "web");
        assertThat(web.path("state").has("running")).isTrue();
        assertThat(web.path("ready").asBoolean()).isTrue();
        assertThat(web.path("started").asBoolean()).isTrue();
        assertThat(web.path("restartCount").asInt()).isZero();
        assertThat(web.path("containerID").asText()).startsWith("hollow://");
        assertThat(web.path("imageID").asText()).isNotEmpty();

        // the VM is sized by the limits; labels find the pod again
        var sandbox = node.sandboxes(uid).getFirst();
        assertThat(sandbox.getLabelsMap()).containsEntry("io.kubernetes.pod.name", "web").containsEntry("io.kubernetes.pod.namespace", "default");
        var sandboxStatus = node.rt().podSandboxStatus(io.hypernetes.runtime.v1.PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandbox.getId()).build());
        assertThat(sandboxStatus.getStatus().getNetwork().getIp()).isEqualTo(ip);
        String id = web.path("containerID").asText().substring("hollow://".length());
        String env = node.rt().execSync(ExecSyncRequest.newBuilder().setContainerId(id).addCmd("env").setTimeout(5).build())
                .getStdout().toString(StandardCharsets.UTF_8);
        assertThat(env).contains("MY_NAME=web", "MY_IP=" + ip, "MY_NODE=node-a", "GREETING=hello", "BOTH=hello-web", "PASSWORD=s3cr3t");
        cluster.awaitEvents("web", "Pulling", "Pulled", "Created", "Started");
    }

    @Test
    void crashingContainerIsRestartedWithGrowingBackoff() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: crasher}
                spec:
                  nodeName: node-a
                  containers:
                  - name: c
                    image: busybox:1.36
                    env: [{name: HOLLOW_EXIT_AFTER_MS, value: "100"}, {name: HOLLOW_EXIT_CODE, value: "2"}]
                """);
        Set<String> backoffs = new LinkedHashSet<>();
        JsonNode pod = cluster.awaitPod("crasher", p -> {
            JsonNode waiting = container(p, "c").path("state").path("waiting");
            if (waiting.path("reason").asText().equals("CrashLoopBackOff")) backoffs.add(waiting.path("message").asText().split(" ")[1]);
            return container(p, "c").path("restartCount").asInt() >= 3 && backoffs.size() >= 2;
        });
        assertThat(backoffs).startsWith("500ms", "1s");
        JsonNode c = container(pod, "c");
        assertThat(c.path("lastState").path("terminated").path("exitCode").asInt()).isEqualTo(2);
        assertThat(c.path("lastState").path("terminated").path("reason").asText()).isEqualTo("Error");
        assertThat(pod.path("status").path("phase").asText()).isEqualTo("Running");
        cluster.awaitEvents("crasher", "BackOff");
    }

    @Test
    void restartPoliciesEndInSucceededOrFailed() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: job-ok}
                spec:
                  nodeName: node-a
                  restartPolicy: OnFailure
                  containers:
                  - {name: c, image: busybox:1.36, env: [{name: HOLLOW_EXIT_AFTER_MS, value: "100"}]}
                """);
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: job-bad}
                spec:
                  nodeName: node-a
                  restartPolicy: Never
                  containers:
                  - {name: c, image: busybox:1.36, env: [{name: HOLLOW_EXIT_AFTER_MS, value: "100"}, {name: HOLLOW_EXIT_CODE, value: "3"}]}
                """);
        JsonNode retried = cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: job-retried}
                spec:
                  nodeName: node-a
                  restartPolicy: OnFailure
                  containers:
                  - {name: c, image: busybox:1.36, env: [{name: HOLLOW_EXIT_AFTER_MS, value: "100"}, {name: HOLLOW_EXIT_CODE, value: "1"}]}
                """);
        JsonNode ok = cluster.awaitPod("job-ok", p -> p.path("status").path("phase").asText().equals("Succeeded"));
        assertThat(container(ok, "c").path("state").path("terminated").path("reason").asText()).isEqualTo("Completed");
        assertThat(condition(ok, "Ready")).isEqualTo("False");
        JsonNode bad = cluster.awaitPod("job-bad", p -> p.path("status").path("phase").asText().equals("Failed"));
        assertThat(container(bad, "c").path("state").path("terminated").path("exitCode").asInt()).isEqualTo(3);
        assertThat(container(bad, "c").path("restartCount").asInt()).isZero();
        // an ended pod keeps its sandbox, stopped, until it is deleted
        String uid = bad.path("metadata").path("uid").asText();
        TestCluster.await(() -> node.sandboxes(uid).stream().allMatch(s -> s.getState() == PodSandboxState.SANDBOX_NOTREADY));
        assertThat(node.sandboxes(uid)).hasSize(1);
        assertThat(cluster.admin.delete("/api/v1/namespaces/default/pods/job-bad").code()).isEqualTo(200);
        TestCluster.await(() -> node.sandboxes(uid).isEmpty());
        // OnFailure restarts a failing container
        cluster.awaitPod("job-retried", p -> container(p, "c").path("restartCount").asInt() >= 1);
        assertThat(retried.path("metadata").path("uid").asText()).isNotEmpty();
    }

    @Test
    void initContainersRunInOrderBeforeTheContainers() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: with-init}
                spec:
                  nodeName: node-a
                  initContainers:
                  - {name: first, image: busybox:1.36, env: [{name: HOLLOW_EXIT_AFTER_MS, value: "200"}]}
                  - {name: second, image: busybox:1.36, env: [{name: HOLLOW_EXIT_AFTER_MS, value: "200"}]}
                  containers:
                  - {name: main, image: busybox:1.36}
                """);
        JsonNode pending = cluster.awaitPod("with-init", p -> p.path("status").path("initContainerStatuses").path(0).path("state").has("running"));
        assertThat(pending.path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(condition(pending, "Initialized")).isEqualTo("False");
        assertThat(container(pending, "main").path("state").path("waiting").path("reason").asText()).isEqualTo("PodInitializing");
        JsonNode running = cluster.awaitPod("with-init", p -> condition(p, "Ready").equals("True"));
        JsonNode inits = running.path("status").path("initContainerStatuses");
        assertThat(inits.get(0).path("state").path("terminated").path("reason").asText()).isEqualTo("Completed");
        assertThat(inits.get(1).path("state").path("terminated").path("reason").asText()).isEqualTo("Completed");
        // the second started after the first ended
        assertThat(inits.get(1).path("state").path("terminated").path("startedAt").asText())
                .isGreaterThanOrEqualTo(inits.get(0).path("state").path("terminated").path("finishedAt").asText());
        assertThat(condition(running, "Initialized")).isEqualTo("True");
    }

    @Test
    void aSandboxThatDiesIsReplacedAndRestartsCountOn() throws Exception {
        JsonNode created = cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: vm-crash}
                spec:
                  nodeName: node-a
                  containers: [{name: c, image: busybox:1.36}]
                """);
        String uid = created.path("metadata").path("uid").asText();
        cluster.awaitPod("vm-crash", p -> condition(p, "Ready").equals("True"));
        String first = node.sandboxes(uid).getFirst().getId();
        // the VM goes away under the agent
        node.rt().stopPodSandbox(io.hypernetes.runtime.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(first).build());
        JsonNode pod = cluster.awaitPod("vm-crash", p -> condition(p, "Ready").equals("True") && container(p, "c").path("restartCount").asInt() == 1);
        assertThat(pod.path("status").path("phase").asText()).isEqualTo("Running");
        assertThat(node.sandboxes(uid)).singleElement().satisfies(s -> {
            assertThat(s.getId()).isNotEqualTo(first);
            assertThat(s.getState()).isEqualTo(PodSandboxState.SANDBOX_READY);
            assertThat(s.getMetadata().getAttempt()).isEqualTo(1);
        });
        cluster.awaitEvents("vm-crash", "SandboxChanged");
    }

    @Test
    void aPodActiveBeyondItsDeadlineFails() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: overdue}
                spec:
                  nodeName: node-a
                  activeDeadlineSeconds: 2
                  containers: [{name: c, image: busybox:1.36}]
                """);
        cluster.awaitPod("overdue", p -> p.path("status").path("phase").asText().equals("Running"));
        JsonNode failed = cluster.awaitPod("overdue", p -> p.path("status").path("phase").asText().equals("Failed"));
        assertThat(failed.path("status").path("reason").asText()).isEqualTo("DeadlineExceeded");
        assertThat(container(failed, "c").path("state").has("terminated")).isTrue();
        String uid = failed.path("metadata").path("uid").asText();
        TestCluster.await(() -> node.sandboxes(uid).stream().allMatch(s -> s.getState() == PodSandboxState.SANDBOX_NOTREADY));
        cluster.awaitEvents("overdue", "DeadlineExceeded");
    }

    @Test
    void aFailedInitContainerFailsANeverRestartingPod() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: bad-init}
                spec:
                  nodeName: node-a
                  restartPolicy: Never
                  initContainers:
                  - {name: setup, image: busybox:1.36, env: [{name: HOLLOW_EXIT_AFTER_MS, value: "100"}, {name: HOLLOW_EXIT_CODE, value: "4"}]}
                  containers:
                  - {name: main, image: busybox:1.36}
                """);
        JsonNode pod = cluster.awaitPod("bad-init", p -> p.path("status").path("phase").asText().equals("Failed"));
        assertThat(pod.path("status").path("initContainerStatuses").get(0).path("state").path("terminated").path("exitCode").asInt()).isEqualTo(4);
        assertThat(container(pod, "main").path("state").path("waiting").path("reason").asText()).isEqualTo("PodInitializing");
        assertThat(condition(pod, "Initialized")).isEqualTo("False");
    }

    @Test
    void aFailingPostStartHookKillsTheContainer() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: bad-hook}
                spec:
                  nodeName: node-a
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: busybox:1.36
                    lifecycle: {postStart: {exec: {command: [sh, -c, "exit 3"]}}}
                """);
        cluster.awaitPod("bad-hook", p -> container(p, "c").path("state").has("terminated"));
        cluster.awaitEvents("bad-hook", "FailedPostStartHook", "Killing");
    }

    @Test
    void imagePullFailureWaitsInErrImagePullAndBackOff() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: no-image}
                spec:
                  nodeName: node-a
                  containers:
                  - {name: c, image: "registry.example/hollow-pull-fails:1.0"}
                """);
        Set<String> reasons = new LinkedHashSet<>();
        cluster.awaitPod("no-image", p -> {
            reasons.add(container(p, "c").path("state").path("waiting").path("reason").asText());
            return reasons.contains("ErrImagePull") && reasons.contains("ImagePullBackOff");
        });
        JsonNode pod = cluster.pod("no-image");
        assertThat(pod.path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(container(pod, "c").path("state").path("waiting").path("message").asText()).contains("hollow-pull-fails");
        cluster.awaitEvents("no-image", "Pulling", "Failed", "BackOff");
    }

    @Test
    void missingConfigMapKeyIsAConfigErrorUntilItExists() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: needs-config}
                spec:
                  nodeName: node-a
                  containers:
                  - name: c
                    image: busybox:1.36
                    env: [{name: X, valueFrom: {configMapKeyRef: {name: later, key: x}}}]
                """);
        JsonNode waiting = cluster.awaitPod("needs-config", p -> container(p, "c").path("state").path("waiting").path("reason").asText().equals("CreateContainerConfigError"));
        assertThat(container(waiting, "c").path("state").path("waiting").path("message").asText()).contains("configmap \"later\" not found");
        assertThat(cluster.admin.post("/api/v1/namespaces/default/configmaps", TestCluster.yaml("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: later}
                data: {x: "1"}
                """)).code()).isEqualTo(201);
        cluster.awaitPod("needs-config", p -> p.path("status").path("phase").asText().equals("Running"));
    }
}
