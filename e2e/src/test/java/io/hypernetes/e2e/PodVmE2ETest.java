package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 as a user meets it: {@code ./hypernetes up} runs this machine as a node with hyperd, and a busybox pod
 * applied with stock kubectl runs in its own QEMU microvm (TCG here), with working logs and exec, and its VM gone
 * after {@code kubectl delete}. The image comes the offline way: {@code examples/busybox-image.sh} (Debian's
 * busybox-static, umoci, skopeo) and {@code hypernetes image import}.
 */
class PodVmE2ETest {
    private static final Pattern QEMU_PID = Pattern.compile("qemu pid (\\d+)");

    @Test
    void aBusyboxPodRunsInItsOwnVm(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path archive = dir.resolve("busybox.tar");
        Processes.run(List.of(Cluster.ROOT.resolve("examples/busybox-image.sh").toString(), archive.toString()));
        Processes.run(List.of(Cluster.ROOT.resolve("hypernetes").toString(), "image", "import", "--data-dir", data.toString(), "--node", "vm-1",
                archive.toString()));
        try (Cluster cluster = Cluster.start(data, "--node", "hyperd", "--node-name", "vm-1", "--kubelet-port", "0",
                "--pool-size", "1", "--bridge", "hye2e0")) {
            Kubectl k = new Kubectl(Kubectl.onPath(), cluster.kubeconfig());
            Kubectl.poll(Duration.ofSeconds(120), () -> k.run("get", "node", "vm-1", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"),
                    r -> r.stdout().equals("True"));
            k.run("create", "namespace", "team-a").ok();
            k.run(java.util.Map.of(), """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: bb, namespace: team-a}
                    spec:
                      terminationGracePeriodSeconds: 5
                      containers:
                      - name: bb
                        image: localhost/busybox:latest
                        imagePullPolicy: Never
                        command: ["sh", "-c", "trap 'exit 0' TERM; echo hello from $(hostname); while :; do sleep 1 & wait $!; done"]
                    """.getBytes(), "apply", "-f", "-").ok();
            Kubectl.poll(Duration.ofSeconds(180), () -> k.run("get", "pod", "bb", "-n", "team-a", "-o", "jsonpath={.status.phase}"),
                    r -> r.stdout().equals("Running"));

            // the pod's VM: a QEMU process named in the pod's events
            String events = Kubectl.poll(Duration.ofSeconds(30), () -> k.run("get", "events", "-n", "team-a",
                    "--field-selector", "reason=StartedPodVM", "-o", "jsonpath={.items[*].message}"), r -> QEMU_PID.matcher(r.stdout()).find()).stdout();
            Matcher m = QEMU_PID.matcher(events);
            assertThat(m.find()).isTrue();
            long pid = Long.parseLong(m.group(1));
            assertThat(Files.readString(Path.of("/proc/" + pid + "/cmdline"))).contains("qemu-system-x86_64").contains("microvm");

            Kubectl.poll(Duration.ofSeconds(30), () -> k.run("logs", "bb", "-n", "team-a"), r -> r.stdout().contains("hello from bb"));
            // exec runs inside the VM: its own kernel's view, the container's root file system
            Kubectl.Result inside = k.run("exec", "bb", "-n", "team-a", "--", "sh", "-c", "hostname; cat /proc/1/cmdline; ls /bin/busybox").ok();
            assertThat(inside.stdout()).contains("bb").contains("sh").contains("/bin/busybox");
            assertThat(k.run("exec", "bb", "-n", "team-a", "--", "sh", "-c", "exit 3").exit()).isEqualTo(3);
            long before = System.nanoTime();
            Kubectl.Result missing = k.run("exec", "bb", "-n", "team-a", "--", "no-such-command");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.stdout() + missing.stderr()).contains("not found");
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(20)); // at once, not a timeout
            assertThat(k.run(java.util.Map.of(), "piped\n".getBytes(), "exec", "-i", "bb", "-n", "team-a", "--", "cat").ok().stdout()).isEqualTo("piped\n");

            k.run("delete", "pod", "bb", "-n", "team-a", "--wait=true").ok();
            Kubectl.poll(Duration.ofSeconds(30), () -> new Kubectl.Result(Files.exists(Path.of("/proc/" + pid)) ? 1 : 0, "", ""), r -> r.exit() == 0);
        } finally {
            // pod VMs outlive `up` by design (a restart reattaches them): a test leaves none behind
            Processes.run(Processes.stopVms(data, "vm-1", "hye2e0"));
        }
    }
}
