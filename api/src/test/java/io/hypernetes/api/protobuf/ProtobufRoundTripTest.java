package io.hypernetes.api.protobuf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** JSON → protobuf → JSON gives the same object, for realistic objects of every served kind. */
class ProtobufRoundTripTest {
    private static final Protobuf PB = Protobuf.core();

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) Json.YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> objects() {
        return Stream.of(
                Arguments.of("Pod", """
                        apiVersion: v1
                        kind: Pod
                        metadata:
                          name: web-0
                          namespace: demo
                          uid: 6f1c1b1e-2f0a-4c59-9a53-0d2b3b0c8a11
                          resourceVersion: "42"
                          generation: 3
                          creationTimestamp: "2024-01-02T15:04:05Z"
                          labels: {app: web, tier: front}
                          annotations: {note: hello}
                          finalizers: [example.com/keep]
                          ownerReferences:
                          - {apiVersion: v1, kind: ReplicationController, name: web, uid: 0a1b, controller: true, blockOwnerDeletion: false}
                          managedFields:
                          - manager: kubectl
                            operation: Update
                            apiVersion: v1
                            time: "2024-01-02T15:04:05Z"
                            fieldsType: FieldsV1
                            fieldsV1: {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
                        spec:
                          restartPolicy: Always
                          terminationGracePeriodSeconds: 0
                          activeDeadlineSeconds: 3600
                          dnsPolicy: ClusterFirst
                          nodeSelector: {disk: ssd}
                          serviceAccountName: default
                          automountServiceAccountToken: false
                          hostNetwork: true
                          priority: -5
                          securityContext:
                            runAsUser: 0
                            runAsNonRoot: false
                            supplementalGroups: [1, 2, 65534]
                            fsGroup: 2000
                            sysctls: [{name: net.ipv4.ip_forward, value: "1"}]
                          imagePullSecrets: [{name: regcred}]
                          initContainers:
                          - name: init
                            image: busybox
                            command: [sh, -c, "true"]
                          containers:
                          - name: nginx
                            image: nginx:1.27
                            imagePullPolicy: IfNotPresent
                            args: [-g, daemon off;]
                            workingDir: /srv
                            ports:
                            - {name: http, containerPort: 80, protocol: TCP}
                            - {containerPort: 0, hostPort: 8443, protocol: UDP, hostIP: 10.0.0.1}
                            env:
                            - {name: A, value: "1"}
                            - name: POD
                              valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
                            - name: PASS
                              valueFrom: {secretKeyRef: {name: creds, key: password, optional: true}}
                            envFrom:
                            - configMapRef: {name: settings}
                              prefix: CFG_
                            resources:
                              limits: {cpu: 500m, memory: 128Mi}
                              requests: {cpu: "0.25", memory: 64Mi}
                            volumeMounts:
                            - {name: data, mountPath: /var/lib/nginx, readOnly: true}
                            livenessProbe:
                              httpGet: {path: /healthz, port: http, scheme: HTTP, httpHeaders: [{name: X, value: y}]}
                              initialDelaySeconds: 5
                              periodSeconds: 10
                            readinessProbe:
                              tcpSocket: {port: 80}
                              failureThreshold: 3
                            lifecycle:
                              preStop: {exec: {command: [nginx, -s, quit]}}
                            securityContext:
                              privileged: false
                              capabilities: {add: [NET_ADMIN], drop: [ALL]}
                              readOnlyRootFilesystem: true
                          volumes:
                          - name: data
                            cinder: {volumeID: 651b2a7b-683e-47e1-bdd6-e3c62e8f91c0, fsType: ext4}
                          - name: cfg
                            configMap: {name: settings, defaultMode: 420, items: [{key: a, path: a.txt, mode: 256}]}
                          - name: scratch
                            emptyDir: {medium: Memory, sizeLimit: 1Gi}
                          - name: token
                            projected:
                              sources:
                              - serviceAccountToken: {path: token, expirationSeconds: 3600}
                          tolerations:
                          - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
                          affinity:
                            nodeAffinity:
                              requiredDuringSchedulingIgnoredDuringExecution:
                                nodeSelectorTerms:
                                - matchExpressions: [{key: zone, operator: In, values: [a, b]}]
                            podAntiAffinity:
                              preferredDuringSchedulingIgnoredDuringExecution:
                              - weight: 100
                                podAffinityTerm:
                                  topologyKey: kubernetes.io/hostname
                                  labelSelector: {matchLabels: {app: web}}
                        status:
                          phase: Running
                          podIP: 10.1.0.5
                          podIPs: [{ip: 10.1.0.5}]
                          hostIP: 192.168.1.10
                          startTime: "2024-01-02T15:04:06Z"
                          qosClass: Burstable
                          conditions:
                          - {type: Ready, status: "True", lastTransitionTime: "2024-01-02T15:04:09Z"}
                          containerStatuses:
                          - name: nginx
                            ready: true
                            started: true
                            restartCount: 0
                            image: nginx:1.27
                            imageID: sha256:abc
                            containerID: hyper://1234
                            state: {running: {startedAt: "2024-01-02T15:04:07Z"}}
                            lastState: {terminated: {exitCode: 137, signal: 9, reason: OOMKilled, finishedAt: "2024-01-02T15:04:06Z"}}
                        """),
                Arguments.of("Service", """
                        apiVersion: v1
                        kind: Service
                        metadata: {name: web, namespace: demo, labels: {app: web}}
                        spec:
                          type: NodePort
                          selector: {app: web}
                          clusterIP: 10.96.0.10
                          clusterIPs: [10.96.0.10]
                          ipFamilies: [IPv4]
                          ipFamilyPolicy: SingleStack
                          sessionAffinity: ClientIP
                          sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}
                          externalTrafficPolicy: Cluster
                          allocateLoadBalancerNodePorts: false
                          ports:
                          - {name: http, port: 80, targetPort: 8080, protocol: TCP, nodePort: 30080}
                          - {name: https, port: 443, targetPort: https, protocol: TCP, appProtocol: https}
                        status:
                          loadBalancer:
                            ingress: [{ip: 1.2.3.4, ports: [{port: 80, protocol: TCP}]}]
                        """),
                Arguments.of("Node", """
                        apiVersion: v1
                        kind: Node
                        metadata: {name: node-1, labels: {kubernetes.io/hostname: node-1}}
                        spec:
                          podCIDR: 10.1.0.0/24
                          podCIDRs: [10.1.0.0/24]
                          unschedulable: true
                          taints: [{key: dedicated, value: vm, effect: NoSchedule, timeAdded: "2024-01-02T15:04:05Z"}]
                        status:
                          capacity: {cpu: "2", memory: 24Gi, pods: "110", ephemeral-storage: 100G}
                          allocatable: {cpu: 1900m, memory: 23Gi, pods: "110"}
                          phase: Running
                          conditions:
                          - {type: Ready, status: "True", reason: KubeletReady, message: ok,
                             lastHeartbeatTime: "2024-01-02T15:04:05Z", lastTransitionTime: "2024-01-01T00:00:00Z"}
                          addresses: [{type: InternalIP, address: 192.168.1.10}, {type: Hostname, address: node-1}]
                          daemonEndpoints: {kubeletEndpoint: {Port: 10250}}
                          nodeInfo:
                            machineID: m
                            systemUUID: s
                            bootID: b
                            kernelVersion: 6.1.0
                            osImage: Debian
                            containerRuntimeVersion: hyper://1.0
                            kubeletVersion: v1.33.0
                            kubeProxyVersion: ""
                            operatingSystem: linux
                            architecture: amd64
                          images: [{names: [nginx:1.27, "nginx@sha256:abc"], sizeBytes: 67108864000}]
                          volumesAttached: [{name: vol-1, devicePath: /dev/vdb}]
                        """),
                Arguments.of("Event", """
                        apiVersion: v1
                        kind: Event
                        metadata: {name: web-0.17a, namespace: demo}
                        involvedObject: {kind: Pod, namespace: demo, name: web-0, uid: 6f1c, apiVersion: v1, fieldPath: "spec.containers{nginx}"}
                        reason: Started
                        message: Started container nginx
                        source: {component: kubelet, host: node-1}
                        firstTimestamp: "2024-01-02T15:04:05Z"
                        lastTimestamp: "2024-01-02T15:05:05Z"
                        count: 2
                        type: Normal
                        eventTime: "2024-01-02T15:04:05.123456Z"
                        series: {count: 2, lastObservedTime: "2024-01-02T15:05:05.000001Z"}
                        action: Start
                        reportingComponent: kubelet
                        reportingInstance: node-1
                        """),
                Arguments.of("ConfigMap", """
                        apiVersion: v1
                        kind: ConfigMap
                        metadata: {name: settings, namespace: demo}
                        data: {a: b, "config.yaml": "x: 1\\ny: 2\\n", empty: ""}
                        binaryData: {blob: AAECAwT/}
                        immutable: false
                        """),
                Arguments.of("Secret", """
                        apiVersion: v1
                        kind: Secret
                        metadata: {name: creds, namespace: demo}
                        type: Opaque
                        data: {password: c2VjcmV0, binary: AP8Q7w==, empty: ""}
                        immutable: true
                        """),
                Arguments.of("Namespace", """
                        apiVersion: v1
                        kind: Namespace
                        metadata: {name: ns1, labels: {kubernetes.io/metadata.name: ns1}, deletionGracePeriodSeconds: 0}
                        spec: {network: net1, finalizers: [kubernetes]}
                        status:
                          phase: Terminating
                          conditions: [{type: NamespaceDeletionContentFailure, status: "False", lastTransitionTime: "2024-01-02T15:04:05Z"}]
                        """),
                Arguments.of("Network", """
                        apiVersion: v1
                        kind: Network
                        metadata: {name: net1}
                        spec:
                          tenantID: 065f210a2ca9442aad898ab129426350
                          providerNetworkID: vxlan-17
                          subnets:
                            a: {cidr: 10.0.0.0/24, gateway: 10.0.0.1}
                            b: {cidr: 10.0.1.0/24}
                        status: {phase: Active}
                        """),
                Arguments.of("PodList", """
                        apiVersion: v1
                        kind: PodList
                        metadata: {resourceVersion: "100", continue: abc, remainingItemCount: 0}
                        items:
                        - metadata: {name: a, namespace: demo}
                          spec: {containers: [{name: c, image: busybox}]}
                        - metadata: {name: b, namespace: demo}
                          spec: {containers: [{name: c, image: busybox}]}
                        """),
                Arguments.of("Status", """
                        apiVersion: v1
                        kind: Status
                        metadata: {}
                        status: Failure
                        message: pods "x" not found
                        reason: NotFound
                        details: {name: x, kind: pods, causes: [{reason: FieldValueInvalid, message: bad, field: spec}], retryAfterSeconds: 5}
                        code: 404
                        """),
                Arguments.of("Deployment", """
                        apiVersion: apps/v1
                        kind: Deployment
                        metadata: {name: web, namespace: demo, generation: 2, labels: {app: web}}
                        spec:
                          replicas: 0
                          selector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [front]}]}
                          template:
                            metadata: {labels: {app: web, tier: front}}
                            spec:
                              containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, protocol: TCP}]}]
                              restartPolicy: Always
                          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 25%}}
                          minReadySeconds: 5
                          revisionHistoryLimit: 0
                          paused: true
                          progressDeadlineSeconds: 600
                        status:
                          observedGeneration: 2
                          replicas: 3
                          updatedReplicas: 2
                          readyReplicas: 3
                          availableReplicas: 3
                          unavailableReplicas: 1
                          terminatingReplicas: 0
                          collisionCount: 1
                          conditions:
                          - {type: Available, status: "True", lastUpdateTime: "2024-01-02T15:04:05Z", lastTransitionTime: "2024-01-02T15:04:05Z", reason: MinimumReplicasAvailable, message: ok}
                        """),
                Arguments.of("ReplicaSet", """
                        apiVersion: apps/v1
                        kind: ReplicaSet
                        metadata: {name: web-5d4f8, namespace: demo, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: 6f1c1b1e-2f0a-4c59-9a53-0d2b3b0c8a11, controller: true}]}
                        spec:
                          replicas: 2
                          minReadySeconds: 1
                          selector: {matchLabels: {app: web}}
                          template: {metadata: {labels: {app: web}}, spec: {containers: [{name: nginx, image: nginx}]}}
                        status:
                          replicas: 0
                          fullyLabeledReplicas: 2
                          readyReplicas: 1
                          availableReplicas: 1
                          observedGeneration: 4
                          conditions: [{type: ReplicaFailure, status: "False", lastTransitionTime: "2024-01-02T15:04:05Z"}]
                        """),
                Arguments.of("Lease", """
                        apiVersion: coordination.k8s.io/v1
                        kind: Lease
                        metadata: {name: node-1, namespace: kube-node-lease}
                        spec:
                          holderIdentity: node-1
                          leaseDurationSeconds: 40
                          acquireTime: "2024-01-02T15:04:05.123456Z"
                          renewTime: "2024-01-02T15:04:15.654321Z"
                          leaseTransitions: 0
                        """),
                Arguments.of("Scale", """
                        apiVersion: autoscaling/v1
                        kind: Scale
                        metadata: {name: web, namespace: demo, resourceVersion: "7"}
                        spec: {replicas: 5}
                        status: {replicas: 0, selector: app=web}
                        """),
                Arguments.of("Endpoints", """
                        apiVersion: v1
                        kind: Endpoints
                        metadata: {name: web, namespace: demo}
                        subsets:
                        - addresses: [{ip: 10.1.0.5, nodeName: node-1, targetRef: {kind: Pod, name: web-0, namespace: demo}}]
                          notReadyAddresses: [{ip: 10.1.0.6}]
                          ports: [{name: http, port: 8080, protocol: TCP}]
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objects")
    void roundTrips(String kind, String text) {
        ObjectNode original = yaml(text);
        byte[] wire = PB.encode(original);
        assertThat(Protobuf.isEnvelope(wire)).isTrue();
        ObjectNode back = PB.decode(wire);
        assertThat(back).isEqualTo(original);
        // Encoding is deterministic (sorted map keys, fields by number), so a second trip gives the same bytes.
        assertThat(PB.encode(back)).isEqualTo(wire);
    }

    /** The numbers kubectl's generated code uses: Scale spec (2) replicas (1), status (3) replicas (1) and selector (2). */
    @Test
    void scaleUsesKubernetesFieldNumbers() {
        ObjectNode scale = yaml("""
                apiVersion: autoscaling/v1
                kind: Scale
                spec: {replicas: 5}
                status: {replicas: 3, selector: a=b}
                """);
        byte[] wire = PB.encode(scale);
        byte[] object = {0x12, 0x02, 0x08, 0x05, 0x1a, 0x07, 0x08, 0x03, 0x12, 0x03, 'a', '=', 'b'};
        assertThat(indexOf(wire, object)).isGreaterThan(0);
    }

    @Test
    void deploymentFieldsTravelWithKubernetesNumbers() {
        ObjectNode d = yaml("""
                apiVersion: apps/v1
                kind: Deployment
                spec: {replicas: 3, strategy: {rollingUpdate: {maxSurge: 1}}}
                """);
        byte[] wire = PB.encode(d);
        // spec (2) { replicas (1) = 3, strategy (4) { rollingUpdate (2) { maxSurge (2) { type = 0, intVal = 1, strVal = "" } } } }
        byte[] spec = {0x12, 0x0e, 0x08, 0x03, 0x22, 0x0a, 0x12, 0x08, 0x12, 0x06, 0x08, 0x00, 0x10, 0x01, 0x1a, 0x00};
        assertThat(indexOf(wire, spec)).as(java.util.HexFormat.of().formatHex(wire)).isGreaterThan(0);
    }

    @Test
    void everyDefinitionCompiles() {
        PB.checkSchema();
    }

    @Test
    void watchEventEmbedsTheObjectAsAnEnvelope() {
        ObjectNode cm = yaml("{apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: demo}, data: {a: b}}");
        byte[] event = PB.encodeWatchEvent("ADDED", cm);
        ObjectNode back = PB.decodeWatchEvent(event);
        assertThat(back.get("type").asText()).isEqualTo("ADDED");
        assertThat(back.get("object")).isEqualTo(cm);
        byte[] framed = Protobuf.frame(event);
        assertThat(framed).hasSize(event.length + 4);
        assertThat(((framed[2] & 0xff) << 8) | (framed[3] & 0xff)).isEqualTo(event.length);
    }

    @Test
    void bytesTravelRawAndComeBackAsBase64() {
        ObjectNode secret = yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {k: AP8=}}");
        byte[] wire = PB.encode(secret);
        // The two raw bytes 0x00 0xFF appear on the wire, not their base64 text.
        assertThat(indexOf(wire, new byte[] {0x12, 0x02, 0x00, (byte) 0xFF})).isPositive();
        assertThat(Base64.getDecoder().decode(PB.decode(wire).at("/data/k").asText())).containsExactly(0x00, 0xFF);
    }

    @Test
    void timeKeepsWholeSecondsAndMicroTimeMicroseconds() {
        ObjectNode event = yaml("""
                {apiVersion: v1, kind: Event, metadata: {name: e},
                 firstTimestamp: "2024-01-02T16:04:05.999+01:00", eventTime: "2024-01-02T15:04:05.1234567Z"}""");
        JsonNode back = PB.decode(PB.encode(event));
        assertThat(back.get("firstTimestamp").asText()).isEqualTo("2024-01-02T15:04:05Z");
        assertThat(back.get("eventTime").asText()).isEqualTo("2024-01-02T15:04:05.123456Z");
    }

    @Test
    void quantityGivenAsNumberTravelsAsItsText() {
        ObjectNode node = yaml("{apiVersion: v1, kind: Node, metadata: {name: n}, status: {capacity: {cpu: 2, memory: 1.5}}}");
        JsonNode back = PB.decode(PB.encode(node));
        assertThat(back.at("/status/capacity/cpu").asText()).isEqualTo("2");
        assertThat(back.at("/status/capacity/memory").asText()).isEqualTo("1.5");
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
