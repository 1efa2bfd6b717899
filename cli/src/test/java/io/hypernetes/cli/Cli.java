package io.hypernetes.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.function.Consumer;
import picocli.CommandLine;

/** Runs a {@code hypernetes} subcommand in-process as {@link Hypernetes#main} would, capturing stdout and stderr. */
final class Cli {
    record Result(int exitCode, String out, String err) {}

    private Cli() {}

    /** @param configure sets the subcommand's test seams before it runs */
    @SuppressWarnings("unchecked")
    static <T> Result run(Class<T> command, Consumer<T> configure, String... args) {
        CommandLine root = new CommandLine(new Hypernetes());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        root.setOut(new PrintWriter(out, true));
        root.setErr(new PrintWriter(err, true));
        // the same one-line error reporting as Hypernetes.main
        root.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            String message = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + message);
            return 1;
        });
        String name = command.getAnnotation(CommandLine.Command.class).name();
        configure.accept((T) root.getSubcommands().get(name).getCommand());
        String[] all = new String[args.length + 1];
        all[0] = name;
        System.arraycopy(args, 0, all, 1, args.length);
        int code = root.execute(all);
        return new Result(code, out.toString(), err.toString());
    }
}
