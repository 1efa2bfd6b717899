package io.hypernetes.runtime.hollow;

import com.google.protobuf.ByteString;
import io.hypernetes.runtime.v1.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

/**
 * The hollow runtime's exec: a tiny interpreter of canned commands, since a hollow container has no files to run.
 *
 * <ul>
 * <li>{@code echo [-n] ARGS}, {@code true}, {@code false}, {@code exit [N]}, {@code hostname} (the sandbox's),
 * {@code env} (the container's environment): answer and exit at once;
 * <li>{@code cat}: copies stdin to stdout until stdin closes;
 * <li>{@code sleep N}: exits 0 after N seconds (a fraction is allowed), unless killed first;
 * <li>{@code sh -c "<one of these>"} (also {@code bash}, and {@code /bin/…}, {@code /usr/bin/…} paths): the script is
 * split into words with quotes honoured; pipes, lists, redirections and expansions are refused (exit 2);
 * <li>anything else: exit code 127 at once, {@code <cmd>: executable file not found in $PATH} on stderr. A command that
 * cannot run must fail at once, never hang a probe.
 * </ul>
 *
 * Not thread-safe: the runtime's lock guards every call, timers included.
 */
final class CannedCommand {
    /** Where a command's output goes. */
    interface Output {
        void stdout(ByteString data);

        void stderr(ByteString data);

        /** Called once, when the command exits by itself (not when it is killed). */
        void exit(int code);
    }

    /** What a command may see of its container. */
    record Context(String hostname, List<KeyValue> env, Object lock) {}

    /** Output goes out in messages of at most this many bytes, under gRPC's default 4 MiB message limit. */
    static final int MAX_CHUNK = 1 << 20;

    private final Output out;
    private boolean copyingStdin;
    private boolean done;
    private ScheduledFuture<?> timer;

    private CannedCommand(Output out) {
        this.out = out;
    }

    /** Starts {@code argv}; it may exit before this returns. */
    static CannedCommand start(List<String> argv, Context context, Output out) {
        CannedCommand command = new CannedCommand(out);
        command.run(argv, context, true);
        return command;
    }

    /** Data read from stdin: {@code cat} copies it, every other command ignores it. */
    void stdin(ByteString data) {
        if (copyingStdin && !done) {
            for (int from = 0; from < data.size(); from += MAX_CHUNK) {
                out.stdout(data.substring(from, Math.min(data.size(), from + MAX_CHUNK)));
            }
        }
    }

    void closeStdin() {
        if (copyingStdin) {
            exit(0);
        }
    }

    /** Ends the command without an exit of its own: the caller says why (cancelled, timed out, container gone). */
    void kill() {
        done = true;
        Timers.cancel(timer);
    }

    boolean done() {
        return done;
    }

    private void exit(int code) {
        if (!done) {
            done = true;
            out.exit(code);
        }
    }

    private void stdout(String text) {
        out.stdout(ByteString.copyFromUtf8(text));
    }

    private void fail(int code, String message) {
        out.stderr(ByteString.copyFromUtf8(message + "\n"));
        exit(code);
    }

    private void run(List<String> argv, Context context, boolean shellAllowed) {
        String name = argv.getFirst();
        String program = name.replaceFirst("^/(usr/)?s?bin/", "");
        List<String> args = argv.subList(1, argv.size());
        switch (program) {
            case "echo" -> {
                boolean newline = args.isEmpty() || !args.getFirst().equals("-n");
                stdout(String.join(" ", newline ? args : args.subList(1, args.size())) + (newline ? "\n" : ""));
                exit(0);
            }
            case "true" -> exit(0);
            case "false" -> exit(1);
            case "exit" -> {
                if (args.isEmpty()) {
                    exit(0);
                } else if (args.getFirst().matches("[0-9]{1,9}")) {
                    exit(Integer.parseInt(args.getFirst()) & 0xff);
                } else {
                    fail(2, "exit: Illegal number: " + args.getFirst());
                }
            }
            case "hostname" -> {
                stdout(context.hostname() + "\n");
                exit(0);
            }
            case "env" -> {
                StringBuilder text = new StringBuilder();
                for (KeyValue variable : context.env()) {
                    text.append(variable.getKey()).append('=').append(variable.getValue()).append('\n');
                }
                stdout(text.toString());
                exit(0);
            }
            case "cat" -> {
                if (args.isEmpty()) {
                    copyingStdin = true;
                } else {
                    fail(1, "cat: can't open '" + args.getFirst() + "': No such file or directory");
                }
            }
            case "sleep" -> sleep(args, context);
            case "sh", "bash" -> {
                if (shellAllowed && args.size() >= 2 && args.getFirst().equals("-c")) {
                    shell(args.get(1), context);
                } else {
                    fail(2, program + ": the hollow runtime's shell runs only: " + program + " -c \"<command>\"");
                }
            }
            default -> fail(127, name + ": executable file not found in $PATH");
        }
    }

    private void sleep(List<String> args, Context context) {
        double seconds;
        try {
            if (args.size() != 1 || !args.getFirst().matches("[0-9]+(\\.[0-9]*)?")) {
                throw new NumberFormatException();
            }
            seconds = Double.parseDouble(args.getFirst());
        } catch (NumberFormatException e) {
            fail(1, "sleep: invalid number '" + String.join(" ", args) + "'");
            return;
        }
        long millis = (long) Math.min(seconds * 1000, Long.MAX_VALUE / 2);
        if (millis == 0) {
            exit(0);
            return;
        }
        timer = Timers.after(millis, context.lock(), () -> exit(0));
    }

    private void shell(String script, Context context) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < script.length(); i++) {
            char c = script.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (quote == '"') {
                if (c == '"') {
                    quote = 0;
                } else if (c == '\\' && i + 1 < script.length() && "\"\\".indexOf(script.charAt(i + 1)) >= 0) {
                    word.append(script.charAt(++i));
                } else if (c == '$' || c == '`') {
                    fail(2, "sh: the hollow runtime's shell does not expand \"" + c + "\" in: " + script);
                    return;
                } else {
                    word.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else if (";&|<>()$`#*?".indexOf(c) >= 0) {
                fail(2, "sh: the hollow runtime's shell runs one plain command; \"" + c + "\" is not supported in: " + script);
                return;
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '\\' && i + 1 < script.length()) {
                    word.append(script.charAt(++i));
                } else {
                    word.append(c);
                }
            }
        }
        if (quote != 0) {
            fail(2, "sh: syntax error: unterminated quoted string");
            return;
        }
        if (word != null) {
            words.add(word.toString());
        }
        if (words.isEmpty()) {
            exit(0);
        } else {
            run(words, context, false);
        }
    }
}
