package io.hypernetes.kubelet;

import static io.hypernetes.kubelet.TestCluster.container;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** File volumes on the node: what the runtime shares into the pod, written as Kubernetes writes them. */
class PodVolumesTest extends AgentTest {
    static TestCluster.Node node;

    @BeforeAll
    static void startNode() throws Exception {
        node = cluster.node("node-v", "10.244.9.0/24", c -> c);
    }

    @Test
    void configMapSecretDownwardApiAndEmptyDirAreWrittenAndGoWithThePod() throws Exception {
        assertThat(cluster.admin.post("/api/v1/namespaces/default/configmaps", TestCluster.yaml("""
                {apiVersion: v1, kind: ConfigMap, metadata: {name: web-config}, data: {nginx.conf: "worker_processes 1;", other: x}}""")).code())
                .isEqualTo(201);
        assertThat(cluster.admin.post("/api/v1/namespaces/default/secrets", TestCluster.yaml("""
                {apiVersion: v1, kind: Secret, metadata: {name: web-tls}, data: {tls.key: c2VjcmV0}}""")).code()).isEqualTo(201);
        JsonNode created = cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: with-volumes, labels: {app: web}}
                spec:
                  nodeName: node-v
                  containers:
                  - name: c
                    image: nginx:1.27
                    volumeMounts:
                    - {name: config, mountPath: /etc/nginx}
                    - {name: tls, mountPath: /tls}
                    - {name: info, mountPath: /info}
                    - {name: scratch, mountPath: /tmp}
                  volumes:
                  - name: config
                    configMap: {name: web-config, items: [{key: nginx.conf, path: conf.d/nginx.conf, mode: 0600}]}
                  - name: tls
                    secret: {secretName: web-tls, defaultMode: 0400}
                  - name: info
                    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: name, fieldRef: {fieldPath: metadata.name}}]}
                  - name: scratch
                    emptyDir: {}
                """);
        cluster.awaitPod("with-volumes", p -> container(p, "c").path("state").has("running"));
        Path volumes = dir.resolve("nodes/node-v/pods").resolve(created.path("metadata").path("uid").asText()).resolve("volumes");
        Path conf = volumes.resolve("config/conf.d/nginx.conf");
        assertThat(Files.readString(conf)).isEqualTo("worker_processes 1;");
        assertThat(Files.getPosixFilePermissions(conf.toRealPath())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(volumes.resolve("config/other")).doesNotExist(); // items select
        assertThat(Files.isSymbolicLink(volumes.resolve("config/..data"))).isTrue(); // swapped atomically on update
        assertThat(Files.readString(volumes.resolve("tls/tls.key"))).isEqualTo("secret");
        assertThat(Files.getPosixFilePermissions(volumes.resolve("tls/tls.key").toRealPath()))
                .isEqualTo(PosixFilePermissions.fromString("r--------"));
        assertThat(Files.readString(volumes.resolve("info/labels"))).isEqualTo("app=\"web\"\n");
        assertThat(Files.readString(volumes.resolve("info/name"))).isEqualTo("with-volumes");
        assertThat(volumes.resolve("scratch")).isDirectory();

        assertThat(cluster.admin.delete("/api/v1/namespaces/default/pods/with-volumes").code()).isEqualTo(200);
        Instant end = Instant.now().plus(Duration.ofSeconds(30));
        while (Files.exists(volumes) && Instant.now().isBefore(end)) Thread.sleep(100);
        assertThat(volumes).doesNotExist();
    }

    @Test
    void aMissingConfigMapOrAHostPathKeepsTheContainerWaitingWithTheReasonAndNoPathLeavesItsVolume() throws Exception {
        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: missing-config}
                spec:
                  nodeName: node-v
                  containers: [{name: c, image: nginx:1.27, volumeMounts: [{name: config, mountPath: /etc/x}]}]
                  volumes: [{name: config, configMap: {name: does-not-exist}}]
                """);
        JsonNode missing = cluster.awaitPod("missing-config",
                p -> container(p, "c").path("state").path("waiting").path("reason").asText().equals("CreateContainerConfigError"));
        assertThat(container(missing, "c").path("state").path("waiting").path("message").asText()).contains("configmap \"does-not-exist\" not found");

        // an item path that climbs out: the API server refuses it, and the agent would too
        for (String path : new String[] {"a/../../../outside", "/etc/passwd", "..", ""}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> PodVolumes.inside(dir, path))
                    .isInstanceOf(RuntimeConfigs.ConfigError.class);
        }
        assertThat(PodVolumes.inside(dir, "conf.d/a.conf")).isEqualTo(dir.resolve("conf.d/a.conf"));

        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: host-path}
                spec:
                  nodeName: node-v
                  containers: [{name: c, image: nginx:1.27, volumeMounts: [{name: root, mountPath: /host}]}]
                  volumes: [{name: root, hostPath: {path: /}}]
                """);
        JsonNode host = cluster.awaitPod("host-path",
                p -> container(p, "c").path("state").path("waiting").path("reason").asText().equals("CreateContainerConfigError"));
        assertThat(container(host, "c").path("state").path("waiting").path("message").asText()).contains("hostPath volumes are refused");

        cluster.createPod("""
                apiVersion: v1
                kind: Pod
                metadata: {name: unsupported}
                spec:
                  nodeName: node-v
                  containers: [{name: c, image: nginx:1.27, volumeMounts: [{name: claim, mountPath: /data}]}]
                  volumes: [{name: claim, persistentVolumeClaim: {claimName: data}}]
                """);
        JsonNode unsupported = cluster.awaitPod("unsupported",
                p -> container(p, "c").path("state").path("waiting").path("reason").asText().equals("CreateContainerConfigError"));
        assertThat(container(unsupported, "c").path("state").path("waiting").path("message").asText())
                .contains("persistentVolumeClaim volumes are not supported");
    }
}
