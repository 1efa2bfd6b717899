/**
 * The node agent's HTTPS server: how {@code kubectl logs}, {@code exec} and {@code attach} reach a container.
 *
 * <h2>The path</h2>
 * <pre>
 *  kubectl ──HTTPS──▶ API server ─────────────HTTPS (mutual TLS)────────────▶ KubeletServer ──gRPC──▶ runtime
 *          pods/log: GET, chunked text           GET /containerLogs/{ns}/{pod}/{c}      ContainerLogs (server stream)
 *          pods/exec, pods/attach:               GET /exec|attach/{ns}/{pod}/{c}        Exec / Attach (bidi streams)
 *            WebSocket v5/v4.channel.k8s.io        WebSocket (v5, or v4 as the client)
 *            or SPDY/3.1 (v4.channel.k8s.io)
 * </pre>
 *
 * <ol>
 *   <li><b>API server</b> ({@code apiserver/rest/NodeProxy}): authenticates kubectl, authorizes the request as
 *       Kubernetes does (reading a log is {@code get} on {@code pods/log}; exec and attach are {@code create} on
 *       {@code pods/exec}, {@code pods/attach}, so a tenant's reader may read logs but not exec; another tenant's
 *       pod is a 404), checks the options and the container name, reads the pod (it must have a node) and the
 *       Node's {@code status.addresses} (InternalIP first) and {@code status.daemonEndpoints.kubeletEndpoint.Port}.
 *   <li><b>API server to node</b> ({@code apiserver/stream/KubeletClient}): HTTPS with the API server's own client
 *       certificate ({@code system:kube-apiserver-kubelet-client}, group {@code system:masters}); the node's serving
 *       certificate must chain to the cluster CA and name {@code system:node:<the pod's node>}. Exec and attach are
 *       always a WebSocket here; {@code apiserver/stream/RemoteCommandRelay} relays WebSocket clients message for
 *       message and translates SPDY clients' streams to v5 channels, so a node never speaks SPDY.
 *   <li><b>Node</b> ({@link io.hypernetes.kubelet.server.KubeletServer}): lets in only {@code system:masters}
 *       certificates of the cluster CA, finds the container in the runtime by the labels the node agent puts on
 *       it ({@code io.kubernetes.pod.namespace}, {@code io.kubernetes.pod.name}, {@code io.kubernetes.container.name};
 *       the highest {@code attempt} is the current instance, the next lower one {@code --previous}) and bridges
 *       to the runtime's streams: log lines (timestamps, tail, since, limit), or stdin/stdout/stderr/resize and
 *       the exit code, which goes back on channel 3 as the {@code Status} kubectl turns into its own exit code.
 * </ol>
 *
 * <h2>Cost</h2>
 * One {@code HttpServer} (Netty event loops, a virtual thread per request) per node agent, and nothing at all when
 * the agent does not start it — Kubemark's hundreds of hollow nodes in one JVM leave it off.
 */
package io.hypernetes.kubelet.server;
