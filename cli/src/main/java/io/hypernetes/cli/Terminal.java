package io.hypernetes.cli;

import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Asks the person at the terminal for a password without echoing it: through {@link System#console()} when stdin
 * and stdout are the terminal, else (an exec plugin, whose stdout kubectl reads) on {@code /dev/tty} with echo
 * turned off by {@code stty}, the prompt on stderr.
 */
interface Terminal {
    /** The password typed, or empty when there is no terminal to ask on. */
    Optional<char[]> password(String prompt) throws IOException;

    Terminal SYSTEM = Terminal::ask;

    private static Optional<char[]> ask(String prompt) throws IOException {
        Console console = System.console();
        if (console != null && console.isTerminal()) {
            char[] pw = console.readPassword("%s", prompt);
            return Optional.ofNullable(pw);
        }
        File tty = new File("/dev/tty");
        InputStream in;
        try {
            in = new FileInputStream(tty);
        } catch (IOException e) {
            return Optional.empty(); // no controlling terminal
        }
        try (in) {
            String saved = stty(tty, "-g");
            if (saved == null || stty(tty, "-echo") == null) return Optional.empty(); // never read a password with echo on
            PrintStream err = System.err;
            err.print(prompt);
            err.flush();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try {
                for (int b; (b = in.read()) != -1 && b != '\n'; ) if (b != '\r') line.write(b);
            } finally {
                stty(tty, saved.strip());
                err.println();
            }
            byte[] bytes = line.toByteArray();
            CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
            Arrays.fill(bytes, (byte) 0);
            char[] pw = Arrays.copyOf(chars.array(), chars.limit());
            Arrays.fill(chars.array(), '\0');
            return Optional.of(pw);
        }
    }

    /** Runs {@code stty} on the terminal; its output, or null when it failed. */
    private static String stty(File tty, String arg) {
        try {
            Process p = new ProcessBuilder("stty", arg).redirectInput(tty).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
