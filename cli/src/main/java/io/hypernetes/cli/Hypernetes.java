package io.hypernetes.cli;

import io.hypernetes.store.StorageFailureException;
import java.net.BindException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hypernetes} command: one entry point for the cluster's processes and tools. */
@Command(name = "hypernetes", mixinStandardHelpOptions = true, version = "hypernetes 0.1.0",
        description = "Kubernetes for hard multi-tenancy: every pod a VM, every tenant its own network.",
        subcommands = {Up.class, NodeCommand.class, IdentityCommand.class, Login.class, Credential.class, Bench.class,
                KubemarkCommand.class, HyperdCommand.class, KubestackCommand.class, DoctorCommand.class,
                ImageCommand.class})
public final class Hypernetes implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /**
     * Prints {@code text} in one write: the log's lines, from other threads and on stderr, may come between two
     * writes but never inside one (pipe writes under 4 KiB are atomic), and scripts wait for these lines whole. How
     * every command prints its ready lines: {@code printf} writes piece by piece, and "Hypernetes is up in " once
     * reached a test with a log line after it.
     */
    static void printWhole(CharSequence text) {
        byte[] bytes = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.out.write(bytes, 0, bytes.length);
        System.out.flush();
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Hypernetes());
        // users get one line naming what went wrong; the stack trace only when they ask for it
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(e));
            if (System.getenv("HYPERNETES_DEBUG") != null) e.printStackTrace(commandLine.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    private static String describe(Throwable e) {
        if (e instanceof BindException) return "cannot listen: " + e.getMessage();
        if (e instanceof StorageFailureException && e.getMessage() != null && e.getMessage().contains("in use")) {
            return e.getMessage() + " (is another `hypernetes up` running on this data directory?)";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
