package io.hypernetes.cli;

import io.hypernetes.kubemark.ChildControlPlane;
import io.hypernetes.kubemark.ControlPlane;
import io.hypernetes.kubemark.ExistingControlPlane;
import io.hypernetes.kubemark.Kubemark;
import io.hypernetes.kubemark.Report;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hypernetes kubemark}: N hollow nodes (the real node agent on the hollow runtime) against a control plane,
 * P pods through Deployments, and a report of pod startup and API call latency, scheduler throughput and what the
 * control plane and the hollow nodes cost, judged against Kubernetes' scalability SLOs. Exits 0 when both SLOs
 * hold, 3 when the run finished and one did not.
 */
@Command(name = "kubemark", mixinStandardHelpOptions = true,
        description = {"Run N hollow nodes against a control plane, create P pods through Deployments and report latency, "
                + "throughput and cost against the scalability SLOs (JSON and HTML report).",
                "By default it starts `hypernetes up` as a child process on a fresh data directory; --kubeconfig and "
                        + "--data-dir load an existing control plane instead."})
final class KubemarkCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "50", description = "Hollow nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--pods", defaultValue = "1000", description = "Pods to create through Deployments (default: ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--namespaces", defaultValue = "4", description = "Namespaces the pods are spread over (default: ${DEFAULT-VALUE}).")
    int namespaces;

    @Option(names = "--qps", defaultValue = "1.5",
            description = "Deployment creates per second (default: ${DEFAULT-VALUE}; with --deployment-size, pods are asked for at up to qps x size per second).")
    double qps;

    @Option(names = "--deployment-size", defaultValue = "20", description = "Replicas per Deployment (default: ${DEFAULT-VALUE}).")
    int deploymentSize;

    @Option(names = "--timeout", defaultValue = "5m", converter = Up.DurationConverter.class,
            description = "How long to wait, once the last Deployment is created, for every pod to be Running (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--settle", defaultValue = "15s", converter = Up.DurationConverter.class,
            description = "How long to hold still afterwards to measure the idle hollow nodes (default: ${DEFAULT-VALUE}).")
    Duration settle;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Where the reports go (default: .data/kubemark/<date-time>).")
    Path output;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Load this existing control plane (admin credentials) instead of starting one.")
    Path kubeconfig;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The existing control plane's data directory (its pki/ signs the hollow nodes' certificates); with --kubeconfig.")
    Path dataDir;

    @Option(names = "--control-plane-pid", paramLabel = "PID", description = "The existing control plane's process, to measure its CPU and memory.")
    Long controlPlanePid;

    @Option(names = "--control-plane-java-opts", paramLabel = "OPTS",
            description = "JVM options of the control plane started as a child (default: inherit HYPERNETES_JAVA_OPTS).")
    String controlPlaneJavaOpts;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((kubeconfig == null) != (dataDir == null)) {
            throw new ParameterException(spec.commandLine(), "--kubeconfig and --data-dir go together (an existing control plane and its CA)");
        }
        if (controlPlanePid != null && kubeconfig == null) {
            throw new ParameterException(spec.commandLine(), "--control-plane-pid needs --kubeconfig (a started control plane is measured anyway)");
        }
        Kubemark.Config config;
        Path out = output != null ? output
                : Path.of(".data", "kubemark", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            config = new Kubemark.Config(nodes, pods, namespaces, qps, deploymentSize, timeout, settle, out.toAbsolutePath());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        // hundreds of node agents log a line per pod event at INFO: thousands of lines that would bury the figures and
        // cost the hollow nodes CPU; their warnings still show (set before the first node agent's logger exists)
        if (System.getProperty("org.slf4j.simpleLogger.log.io.hypernetes.kubelet") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.io.hypernetes.kubelet", "warn");
        }
        AtomicReference<ControlPlane> started = new AtomicReference<>();
        // Ctrl-C: the child control plane must not outlive us (the hollow nodes die with this JVM)
        Thread hook = new Thread(() -> {
            ControlPlane cp = started.getAndSet(null);
            if (cp != null) cp.close();
        }, "kubemark-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ControlPlane cp;
            if (kubeconfig != null) {
                cp = new ExistingControlPlane(kubeconfig.toAbsolutePath(), dataDir.toAbsolutePath(),
                        controlPlanePid == null ? OptionalLong.empty() : OptionalLong.of(controlPlanePid));
            } else {
                String root = System.getProperty("hypernetes.root");
                if (root == null) throw new IllegalStateException("hypernetes.root is not set: run kubemark through ./hypernetes, or give --kubeconfig");
                System.out.println("starting the control plane (hypernetes up) as a child process...");
                cp = ChildControlPlane.start(Path.of(root, "hypernetes"), config.output().resolve("control-plane"), controlPlaneJavaOpts);
            }
            started.set(cp);
            Report report = Kubemark.run(config, cp, System.out);
            return report.verdict().equals("PASS") ? 0 : 3;
        } finally {
            ControlPlane cp = started.getAndSet(null);
            if (cp != null) cp.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
    }
}
