package io.hypernetes.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the tenant-network tests deploy and how they look into it: the seed's manifests (a Network, a Namespace on
 * it, a Service, busybox pods as web servers and clients, each a VM), commands run inside a pod's VM, and what a
 * host may hold afterwards.
 */
final class TenantWorkloads {
    private static final Pattern IPV4 = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)");
    /** {@code plugged into network NAME (IP) in N ms}, the kubelet's line for a pod's port set up by kubestack. */
    private static final Pattern PLUGGED = Pattern.compile("plugged into network \\S+ \\(\\S+\\) in (\\d+) ms");

    private TenantWorkloads() {}

    /** The seed's Network ({@code spec.tenantID} only: its subnet defaults to 10.0.0.0/24) and a Namespace on it. */
    static String network(String network, String namespace, String tenantId) {
        return """
                apiVersion: v1
                kind: Network
                metadata: {name: %1$s}
                spec: {tenantID: %3$s}
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %2$s
                  labels: {hypernetes.io/tenant: %3$s}
                spec: {network: %1$s}
                """.formatted(network, namespace, tenantId);
    }

    /** A ClusterIP Service on port 80 for the pods labelled {@code app: web}, which serve on 8080. */
    static String webService(String namespace) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: %s}
                spec:
                  selector: {app: web}
                  ports: [{port: 80, targetPort: 8080}]
                """.formatted(namespace);
    }

    /**
     * A pod labelled {@code app: web} answering {@code greeting} over HTTP on 8080, and draining whatever is sent
     * to port 9000 (for throughput), on {@code node} (null: where the scheduler puts it).
     */
    static String web(String namespace, String name, String greeting, String node) {
        return pod(namespace, name, node, "{app: web}", "mkdir -p /www && echo '" + greeting + "' > /www/index.html && "
                + "httpd -p 8080 -h /www && exec nc -ll -p 9000 -e dd of=/dev/null bs=64k");
    }

    /** A pod that only waits, to run commands in. */
    static String sleeper(String namespace, String name, String node) {
        return pod(namespace, name, node, "{}", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done");
    }

    private static String pod(String namespace, String name, String node, String labels, String command) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s, labels: %s}
                spec:
                  terminationGracePeriodSeconds: 2
                %s  containers:
                  - name: main
                    image: localhost/busybox:latest
                    imagePullPolicy: Never
                    command: ["sh", "-c", "%s"]
                """.formatted(name, namespace, labels, node == null ? "" : "  nodeSelector: {kubernetes.io/hostname: " + node + "}\n", command);
    }

    /** Waits until {@code namespace} has {@code count} pods, all Running. */
    static void awaitRunning(Kubectl k, String namespace, int count, Duration timeout) {
        Kubectl.poll(timeout, () -> k.run("get", "pods", "-n", namespace, "-o", "jsonpath={.items[*].status.phase}"),
                r -> !r.stdout().isBlank() && r.stdout().strip().split(" ").length == count && r.stdout().replace("Running", "").isBlank());
    }

    static String podIp(Kubectl k, String namespace, String pod) {
        String ip = k.run("get", "pod", pod, "-n", namespace, "-o", "jsonpath={.status.podIP}").ok().stdout();
        Matcher m = IPV4.matcher(ip);
        assertThat(m.matches()).as("pod " + namespace + "/" + pod + " has an IPv4 address: " + ip).isTrue();
        return ip;
    }

    /**
     * An HTTP GET as a shell command ({@code host} or {@code host port}, port 80 by default). busybox nc, not wget:
     * Debian's static busybox wget crashes on every request.
     */
    static String http(String hostAndPort) {
        return "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + hostAndPort + (hostAndPort.contains(" ") ? "" : " 80");
    }

    /** A shell command inside a pod's VM. */
    static Kubectl.Result sh(Kubectl k, String namespace, String pod, String command) {
        return k.run("exec", pod, "-n", namespace, "--", "sh", "-c", command);
    }

    /** The same, until it succeeds: the first request may race the Service's first programming. */
    static Kubectl.Result poll(Kubectl k, String namespace, String pod, String command) {
        return Kubectl.poll(Duration.ofSeconds(30), () -> sh(k, namespace, pod, command), r -> r.exit() == 0);
    }

    /** Where the linux provider puts a Network's router on the host side: the .2 of the vni-th /30 of 100.64.0.0/10. */
    static String routerTransitAddress(int vni) {
        long a = (100L << 24 | 64L << 16) + 4L * vni + 2;
        return (a >> 24 & 255) + "." + (a >> 16 & 255) + "." + (a >> 8 & 255) + "." + (a & 255);
    }

    /** What a host's links may be after its tenant pods are gone: as before, plus the VM pool's taps on {@code bridge}. */
    static List<String> withPool(List<String> before, List<String> after, String bridge) {
        List<String> expected = new ArrayList<>(before);
        after.stream().filter(l -> !before.contains(l) && (l.equals(bridge) || l.matches("hn[0-9a-f]{13}"))).forEach(expected::add);
        return expected;
    }

    /** The host's own table of kubestack stays while the network node runs; a Network's rules live in it or its router. */
    static List<String> withHostTable(List<String> before, List<String> after) {
        List<String> allowed = new ArrayList<>(before);
        after.stream().filter(t -> t.endsWith(" hypernetes")).forEach(allowed::add);
        return allowed;
    }

    /** The pod port set-up times (ms) a node's output logged, in order. */
    static List<Long> plugTimes(String output) {
        List<Long> times = new ArrayList<>();
        Matcher m = PLUGGED.matcher(output);
        while (m.find()) times.add(Long.parseLong(m.group(1)));
        return times;
    }
}
