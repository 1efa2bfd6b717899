package io.hypernetes.kubemark;

import io.hypernetes.apiserver.ApiServer;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.InformerFactory;
import io.hypernetes.controllers.deployment.DeploymentController;
import io.hypernetes.controllers.replicaset.ReplicaSetController;
import io.hypernetes.scheduler.KubeScheduler;
import io.hypernetes.scheduler.SchedulerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * The test's control plane: the API server, the ReplicaSet and Deployment controllers and the scheduler in this
 * process, as {@code hypernetes up} assembles them (the cli, which starts {@code up} as a child, depends on this
 * module, not the other way round). It shares Kubemark's process, so its resources are not measured apart.
 */
final class InProcessControlPlane implements ControlPlane {
    private final ApiServer server;
    private final KubeClient client;
    private final InformerFactory informers;
    private final List<AutoCloseable> components;

    InProcessControlPlane(Path dir) throws IOException, InterruptedException {
        server = ApiServer.start(new ApiServer.Config(dir, "127.0.0.1", 0, Duration.ofSeconds(5), Duration.ofMinutes(5)));
        client = KubeClient.fromKubeconfig(server.controllersKubeconfig());
        informers = new InformerFactory(client);
        components = List.of(ReplicaSetController.start(informers), DeploymentController.start(informers),
                KubeScheduler.start(informers, SchedulerConfig.defaults(), Duration.ofSeconds(30)));
    }

    @Override
    public Path adminKubeconfig() {
        return server.kubeconfig();
    }

    @Override
    public Path nodeKubeconfig(String nodeName) {
        try {
            return server.nodeKubeconfig(nodeName);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.empty();
    }

    @Override
    public String description() {
        return "in-process API server, ReplicaSet and Deployment controllers, scheduler at " + server.url();
    }

    @Override
    public void close() {
        for (AutoCloseable c : components.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
        informers.close();
        client.close();
        server.close();
    }
}
