package io.hypernetes.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hypernetes bench}: benchmarks that print figures. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print figures.", subcommands = {io.hypernetes.cli.bench.ApiBench.class, io.hypernetes.cli.bench.StoreBenchCommand.class,
        io.hypernetes.cli.bench.CodecBench.class, io.hypernetes.cli.bench.PasswordsBenchCommand.class,
        io.hypernetes.cli.bench.TenancyBench.class, io.hypernetes.cli.bench.SchedulerBench.class,
        io.hypernetes.cli.bench.HyperdBench.class, io.hypernetes.cli.bench.NetworkBench.class})
final class Bench implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
