package io.hypernetes.cli.bench;

import io.hypernetes.store.embedded.StoreBench;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code hypernetes bench store}: the embedded store alone (see {@link StoreBench} for its options). */
@Command(name = "store", description = "Embedded store write throughput and latency: [--writers N] [--seconds S] [--value-bytes B] [--dir DIR].")
public final class StoreBenchCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        StoreBench.main(args.toArray(String[]::new));
        return 0;
    }
}
