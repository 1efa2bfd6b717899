package io.hypernetes.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.protobuf.Protobuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hypernetes bench codec}: encode and decode a realistic pod as JSON and as Kubernetes protobuf, in this
 * process, one thread: time per operation (median of rounds after warm-up) and bytes on the wire.
 */
@Command(name = "codec", mixinStandardHelpOptions = true, description = "JSON vs protobuf: ns per encode/decode of a pod, and size.")
public final class CodecBench implements Callable<Integer> {
    @Option(names = "--rounds", defaultValue = "15", description = "Measured rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--ops", defaultValue = "20000", description = "Operations per round (default: ${DEFAULT-VALUE}).")
    int ops;

    @Option(names = "--list", defaultValue = "0",
            description = "Bench a PodList of this many pods instead of one pod, as a list or watch cache answers (default: one pod).")
    int list;

    @Override
    public Integer call() throws IOException {
        ObjectNode pod = list > 0 ? podList(pod(), list) : pod();
        String what = list > 0 ? "PodList of " + list + " pods" : "pod";
        Protobuf protobuf = Protobuf.core();
        byte[] json = Json.bytes(pod);
        byte[] proto = protobuf.encode(pod);
        if (!protobuf.decode(proto).equals(Json.parse(json))) throw new IllegalStateException("protobuf round trip differs from JSON");
        System.out.printf("%s: %d bytes as JSON, %d bytes as protobuf (%.2fx smaller)%n%n", what, json.length, proto.length,
                (double) json.length / proto.length);
        System.out.printf("%-18s %12s %12s %8s%n", "operation", "JSON ns/op", "proto ns/op", "ratio");
        row("encode", time(() -> Json.bytes(pod)), time(() -> protobuf.encode(pod)));
        row("decode", time(() -> parse(json)), time(() -> protobuf.decode(proto)));
        return 0;
    }

    private static JsonNode parse(byte[] json) {
        try {
            return Json.parse(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Median ns per operation over the rounds, after as many warm-up rounds. */
    private double time(Supplier<Object> op) {
        Object sink = null;
        double[] perOp = new double[rounds];
        for (int r = -rounds; r < rounds; r++) {
            long t = System.nanoTime();
            for (int i = 0; i < ops; i++) sink = op.get();
            if (r >= 0) perOp[r] = (System.nanoTime() - t) / (double) ops;
        }
        if (sink == null) throw new IllegalStateException();
        Arrays.sort(perOp);
        return perOp[rounds / 2];
    }

    private static void row(String what, double json, double proto) {
        System.out.printf("%-18s %12.0f %12.0f %7.2fx%n", what, json, proto, json / proto);
    }

    /** Copies of the pod with their own names and uids, as one page of a list. */
    private static ObjectNode podList(ObjectNode pod, int n) {
        ObjectNode list = Json.object().put("apiVersion", "v1").put("kind", "PodList");
        list.putObject("metadata").put("resourceVersion", "184467");
        var items = list.putArray("items");
        for (int i = 0; i < n; i++) {
            ObjectNode item = pod.deepCopy();
            item.remove("apiVersion");
            item.remove("kind");
            ObjectNode meta = (ObjectNode) item.get("metadata");
            meta.put("name", meta.get("name").asText() + "-" + i);
            meta.put("uid", String.format("5f0c3a9e-2b1d-4c8e-9a7f-%012d", i));
            items.add(item);
        }
        return list;
    }

    /** A pod as a node agent reports it: spec with resources, probes and volumes, and a running status. */
    private static ObjectNode pod() throws IOException {
        try (InputStream in = CodecBench.class.getResourceAsStream("pod.yaml")) {
            return (ObjectNode) Json.YAML.readTree(in);
        }
    }
}
