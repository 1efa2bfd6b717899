package io.hypernetes.api.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import io.hypernetes.api.SeedYaml;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldValidationTest {

    private static final String WEB_POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-5d9f7c
              namespace: ns1
              generateName: web-
              labels: {app.kubernetes.io/name: web, pod-template-hash: 5d9f7c}
              annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}', prometheus.io/scrape: "true"}
              ownerReferences:
              - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9f7c, uid: 0b3c, controller: true, blockOwnerDeletion: true}
              finalizers: [example.com/keep]
            spec:
              restartPolicy: Always
              terminationGracePeriodSeconds: 30
              dnsPolicy: ClusterFirst
              serviceAccountName: default
              automountServiceAccountToken: false
              nodeSelector: {kubernetes.io/os: linux}
              priorityClassName: high
              hostAliases: [{ip: 10.0.0.5, hostnames: [db.local]}]
              dnsConfig: {nameservers: [1.1.1.1], searches: [svc.local], options: [{name: ndots, value: "2"}]}
              imagePullSecrets: [{name: regcred}]
              securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: {type: RuntimeDefault},
                                sysctls: [{name: net.ipv4.ip_local_port_range, value: "1024 65535"}]}
              tolerations:
              - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                    - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a, b]}]
                  preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 10
                    preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}
                podAntiAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 100
                    podAffinityTerm:
                      labelSelector: {matchLabels: {app.kubernetes.io/name: web}}
                      topologyKey: kubernetes.io/hostname
              topologySpreadConstraints:
              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
                 labelSelector: {matchLabels: {app.kubernetes.io/name: web}}, matchLabelKeys: [pod-template-hash]}
              schedulingGates: [{name: example.com/quota}]
              readinessGates: [{conditionType: example.com/lb-ready}]
              os: {name: linux}
              overhead: {cpu: 100m, memory: 64Mi}
              initContainers:
              - name: migrate
                image: registry.local/web:1.2.3
                command: [sh, -c]
                args: ["./migrate && echo done"]
              - name: log-shipper
                image: fluent-bit:3
                restartPolicy: Always
              containers:
              - name: web
                image: registry.local/web:1.2.3
                imagePullPolicy: IfNotPresent
                workingDir: /app
                ports:
                - {name: http, containerPort: 8080, protocol: TCP}
                - {containerPort: 9090, hostPort: 9090, hostIP: 0.0.0.0}
                env:
                - {name: MODE, value: production}
                - name: POD_NAME
                  valueFrom: {fieldRef: {fieldPath: metadata.name, apiVersion: v1}}
                - name: MEM_LIMIT
                  valueFrom: {resourceFieldRef: {containerName: web, resource: limits.memory, divisor: 1Mi}}
                - name: DB_PASSWORD
                  valueFrom: {secretKeyRef: {name: db, key: password, optional: false}}
                - name: LEVEL
                  valueFrom: {configMapKeyRef: {name: cfg, key: level}}
                envFrom:
                - configMapRef: {name: cfg}
                  prefix: CFG_
                - secretRef: {name: extra, optional: true}
                resources:
                  requests: {cpu: 250m, memory: 128Mi, ephemeral-storage: 1Gi}
                  limits: {cpu: 1, memory: 256Mi, example.com/gpu: 1}
                resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
                volumeMounts:
                - {name: data, mountPath: /data, subPath: web, readOnly: false, mountPropagation: None}
                - {name: config, mountPath: /etc/web, recursiveReadOnly: Disabled, readOnly: true}
                volumeDevices: [{name: raw, devicePath: /dev/xvdb}]
                livenessProbe:
                  httpGet: {path: /healthz, port: http, scheme: HTTP, httpHeaders: [{name: X-Probe, value: "1"}]}
                  initialDelaySeconds: 5
                  periodSeconds: 10
                  timeoutSeconds: 2
                  failureThreshold: 3
                readinessProbe:
                  tcpSocket: {port: 8080}
                startupProbe:
                  grpc: {port: 9090, service: health}
                  failureThreshold: 30
                lifecycle:
                  postStart: {exec: {command: [touch, /tmp/started]}}
                  preStop: {sleep: {seconds: 5}}
                securityContext:
                  allowPrivilegeEscalation: false
                  readOnlyRootFilesystem: true
                  capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
                  runAsGroup: 3000
                terminationMessagePath: /dev/termination-log
                terminationMessagePolicy: FallbackToLogsOnError
                stdin: false
                tty: false
              volumes:
              - name: data
                persistentVolumeClaim: {claimName: web-data}
              - name: config
                projected:
                  defaultMode: 0444
                  sources:
                  - configMap: {name: cfg, items: [{key: app.yaml, path: app.yaml, mode: 0400}]}
                  - secret: {name: tls}
                  - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
                  - serviceAccountToken: {audience: vault, expirationSeconds: 3600, path: token}
              - name: scratch
                emptyDir: {medium: Memory, sizeLimit: 64Mi}
              - name: host
                hostPath: {path: /var/log, type: Directory}
              - name: share
                nfs: {server: nfs.local, path: /exports, readOnly: true}
              - name: raw
                ephemeral:
                  volumeClaimTemplate:
                    metadata: {labels: {tier: raw}}
                    spec: {accessModes: [ReadWriteOnce], volumeMode: Block, resources: {requests: {storage: 10Gi}}}
              - name: inline
                csi: {driver: inline.csi.example.com, volumeAttributes: {size: 1Gi}}
              - name: cfgfiles
                configMap: {name: cfg, defaultMode: 420, optional: true}
              - name: secretfiles
                secret: {secretName: tls, items: [{key: tls.crt, path: cert.pem}]}
              - name: disk
                cinder: {volumeID: 651b2a7b-683e-47e1-bdd6-e3c62e8f91c0, fsType: ext4, readOnly: true}
            status:
              phase: Running
              podIP: 10.0.0.7
              podIPs: [{ip: 10.0.0.7}]
              hostIP: 192.168.1.2
              hostIPs: [{ip: 192.168.1.2}]
              qosClass: Burstable
              startTime: "2025-01-02T03:04:05Z"
              conditions:
              - {type: Ready, status: "True", lastTransitionTime: "2025-01-02T03:04:06Z", lastProbeTime: null}
              containerStatuses:
              - name: web
                ready: true
                started: true
                restartCount: 2
                image: registry.local/web:1.2.3
                imageID: registry.local/web@sha256:abc
                containerID: hyperd://123
                state: {running: {startedAt: "2025-01-02T03:04:06Z"}}
                lastState: {terminated: {exitCode: 137, reason: OOMKilled, startedAt: "2025-01-02T03:00:00Z", finishedAt: "2025-01-02T03:04:00Z"}}
            """;

    @Test
    void theSeedManifestsPass() throws IOException {
        List<JsonNode> docs = yamlDocs(SeedYaml.TEXT);
        assertThat(docs).hasSize(3);
        for (JsonNode doc : docs) {
            Definition d = SchemaRegistry.core().forKind(doc.get("apiVersion").asText(), doc.get("kind").asText()).orElseThrow();
            assertThat(FieldValidation.check(d.name(), doc).issues()).as(d.name()).isEmpty();
        }
    }

    @Test
    void aRealisticPodPasses() throws IOException {
        assertThat(FieldValidation.check("io.k8s.api.core.v1.Pod", yamlDocs(WEB_POD).getFirst()).issues()).isEmpty();
    }

    @Test
    void otherKindsPass() throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  type: LoadBalancer
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080, appProtocol: http}]
                  sessionAffinity: ClientIP
                  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
                  ipFamilyPolicy: SingleStack
                  ipFamilies: [IPv4]
                  externalTrafficPolicy: Local
                status:
                  loadBalancer: {ingress: [{ip: 203.0.113.9, ipMode: VIP, ports: [{port: 80, protocol: TCP}]}]}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: cfg}
                data: {app.yaml: "a: 1", LEVEL: debug}
                binaryData: {blob: aGVsbG8=}
                immutable: true
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: db}
                type: Opaque
                data: {password: c2VjcmV0}
                stringData: {user: admin}
                ---
                apiVersion: v1
                kind: Network
                metadata: {name: net1}
                spec:
                  tenantID: t1
                  providerNetworkID: br-1
                  subnets: {default: {cidr: 10.0.0.0/24, gateway: 10.0.0.1}}
                status: {phase: Active}
                ---
                apiVersion: v1
                kind: Event
                metadata: {name: nginx.1, namespace: ns1}
                involvedObject: {kind: Pod, namespace: ns1, name: nginx, uid: u1, apiVersion: v1, resourceVersion: "5", fieldPath: "spec.containers{nginx}"}
                reason: Scheduled
                message: assigned
                source: {component: scheduler, host: n1}
                firstTimestamp: "2025-01-02T03:04:05Z"
                lastTimestamp: "2025-01-02T03:04:05Z"
                eventTime: "2025-01-02T03:04:05.123456Z"
                series: {count: 2, lastObservedTime: "2025-01-02T03:04:05.123456Z"}
                count: 1
                type: Normal
                reportingComponent: hypernetes.io/scheduler
                reportingInstance: n1
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: n1}
                spec: {podCIDR: 10.1.0.0/24, taints: [{key: k, value: v, effect: NoSchedule}], unschedulable: false}
                status:
                  capacity: {cpu: "2", memory: 24Gi, pods: "110"}
                  allocatable: {cpu: 1900m, memory: 23Gi, pods: "110"}
                  conditions: [{type: Ready, status: "True", reason: KubeletReady, lastHeartbeatTime: "2025-01-02T03:04:05Z"}]
                  addresses: [{type: InternalIP, address: 192.168.1.2}, {type: Hostname, address: n1}]
                  nodeInfo: {machineID: m, systemUUID: s, bootID: b, kernelVersion: "6.1", osImage: Debian, containerRuntimeVersion: "hyperd://0.1",
                             kubeletVersion: v1.33.0, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
                  images: [{names: [nginx], sizeBytes: 1000}]
                  daemonEndpoints: {kubeletEndpoint: {Port: 10250}}
                ---
                apiVersion: v1
                kind: Binding
                metadata: {name: nginx, namespace: ns1}
                target: {kind: Node, name: n1, apiVersion: v1}
                """;
        for (JsonNode doc : yamlDocs(yaml)) {
            Definition d = SchemaRegistry.core().forKind(doc.get("apiVersion").asText(), doc.get("kind").asText()).orElseThrow();
            assertThat(FieldValidation.check(d.name(), doc).issues()).as(d.name()).isEmpty();
        }
    }

    @Test
    void typosAreReportedWithTheDecodersPath() throws IOException {
        JsonNode pod = yamlDocs("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p, lables: {app: x}}
                spec:
                  containers:
                  - name: a
                    image: nginx
                  - name: b
                    imagee: nginx
                    ports: [{containerPort: 80, protocl: TCP}]
                    resources: {limits: {cpu: 1}, request: {cpu: 1}}
                  volumes:
                  - name: v
                    cinder: {volumeId: x}
                  extra: 1
                """).getFirst();
        FieldValidation.Report r = FieldValidation.check("io.k8s.api.core.v1.Pod", pod);
        assertThat(r.unknownFields()).extracting(FieldValidation.Issue::path).containsExactly(
                "metadata.lables", "spec.containers[1].imagee", "spec.containers[1].ports[0].protocl",
                "spec.containers[1].resources.request", "spec.volumes[0].cinder.volumeId", "spec.extra");
        assertThat(r.hasTypeMismatch()).isFalse();
        assertThat(r.warnings()).first().isEqualTo("unknown field \"metadata.lables\"");
        assertThat(r.strictError()).startsWith(
                "strict decoding error: unknown field \"metadata.lables\", unknown field \"spec.containers[1].imagee\", ");
    }

    @Test
    void fieldsInsideMapValuesCarryTheKey() throws IOException {
        JsonNode net = yamlDocs("""
                apiVersion: v1
                kind: Network
                metadata: {name: n}
                spec: {tenantID: t, subnets: {s1: {cidr: 10.0.0.0/24, gatway: 10.0.0.1}}}
                """).getFirst();
        assertThat(FieldValidation.check("io.k8s.api.core.v1.Network", net).warnings())
                .containsExactly("unknown field \"spec.subnets.s1.gatway\"");
    }

    @Test
    void freeFormMapsAndScalarFormsAreAccepted() throws IOException {
        JsonNode pod = yamlDocs("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                  labels: {any.key/with-slash: v, "": empty}
                  annotations: {x: y}
                  managedFields: [{manager: kubectl, operation: Apply, fieldsType: FieldsV1, fieldsV1: {"f:spec": {"f:anything": {}}}}]
                spec:
                  containers:
                  - name: a
                    ports: [{containerPort: 80}]
                    livenessProbe: {httpGet: {port: 8080}}
                    readinessProbe: {httpGet: {port: http}}
                    resources: {limits: {cpu: 0.5, memory: 1e9}, requests: {cpu: "+1.5", memory: 1Gi}}
                """).getFirst();
        assertThat(FieldValidation.check("io.k8s.api.core.v1.Pod", pod).issues()).isEmpty();
    }

    @Test
    void typeMismatchesAreHardErrors() throws IOException {
        JsonNode pod = yamlDocs("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p, labels: {version: 1}}
                spec:
                  containers: nginx
                """).getFirst();
        FieldValidation.Report r = FieldValidation.check("io.k8s.api.core.v1.Pod", pod);
        assertThat(r.hasTypeMismatch()).isTrue();
        assertThat(r.typeMismatches()).extracting(FieldValidation.Issue::path).containsExactly("metadata.labels.version", "spec.containers");
        assertThat(r.typeMismatches().get(1).message())
                .isEqualTo("json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container");
        assertThat(r.typeMismatches().get(0).message())
                .isEqualTo("json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
        assertThat(r.decodeError("v1", "Pod")).isEqualTo("Pod in version \"v1\" cannot be handled as a Pod: "
                + "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
        assertThat(r.strictError()).isNull();
    }

    @Test
    void scalarChecks() throws IOException {
        JsonNode pod = yamlDocs("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p, creationTimestamp: yesterday}
                spec:
                  hostNetwork: "true"
                  activeDeadlineSeconds: 1.5
                  containers:
                  - name: a
                    ports: [{containerPort: "80"}, {containerPort: 4294967296}]
                    resources: {limits: {cpu: lots}}
                    stdin: {}
                """).getFirst();
        FieldValidation.Report r = FieldValidation.check("io.k8s.api.core.v1.Pod", pod);
        assertThat(r.typeMismatches()).extracting(FieldValidation.Issue::path).containsExactly(
                "metadata.creationTimestamp", "spec.hostNetwork", "spec.activeDeadlineSeconds",
                "spec.containers[0].ports[0].containerPort", "spec.containers[0].ports[1].containerPort",
                "spec.containers[0].resources.limits.cpu", "spec.containers[0].stdin");
        assertThat(r.typeMismatches().get(3).message()).isEqualTo(
                "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32");
        assertThat(r.typeMismatches().get(2).message()).contains("cannot unmarshal number 1.5 into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64");
        assertThat(r.typeMismatches().get(5).message()).startsWith("quantities must match the regular expression");
    }

    @Test
    void secretDataMustBeBase64() throws IOException {
        JsonNode secret = yamlDocs("""
                apiVersion: v1
                kind: Secret
                metadata: {name: s}
                data: {ok: aGVsbG8=, bad: "not base64!"}
                """).getFirst();
        FieldValidation.Report r = FieldValidation.check("io.k8s.api.core.v1.Secret", secret);
        assertThat(r.typeMismatches()).extracting(FieldValidation.Issue::path).containsExactly("data.bad");
        assertThat(r.typeMismatches().getFirst().message()).isEqualTo("illegal base64 data at input byte 3");
    }

    @Test
    void nullIsAcceptedAnywhereAndNothingBelowAMismatchIsReported() throws IOException {
        JsonNode pod = yamlDocs("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p, labels: null}
                spec: {containers: [{name: a, image: null, securityContext: [{bogus: 1}]}]}
                """).getFirst();
        FieldValidation.Report r = FieldValidation.check("io.k8s.api.core.v1.Pod", pod);
        assertThat(r.issues()).extracting(FieldValidation.Issue::path).containsExactly("spec.containers[0].securityContext");
    }

    static List<JsonNode> yamlDocs(String yaml) throws IOException {
        try (MappingIterator<JsonNode> it = Json.YAML.readerFor(JsonNode.class).readValues(yaml)) {
            return it.readAll();
        }
    }
}
