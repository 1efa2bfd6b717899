package io.hypernetes.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hypernetes} command: one entry point for the cluster's processes and tools. */
@Command(name = "hypernetes", mixinStandardHelpOptions = true, version = "hypernetes 0.1.0",
        description = "Kubernetes for hard multi-tenancy: every pod a VM, every tenant its own network.",
        subcommands = {Up.class, Bench.class})
public final class Hypernetes implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Hypernetes()).execute(args));
    }
}
