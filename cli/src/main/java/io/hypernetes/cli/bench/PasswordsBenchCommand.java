package io.hypernetes.cli.bench;

import io.hypernetes.identity.PasswordsBench;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code hypernetes bench passwords}: time per Argon2id password hash (see {@link PasswordsBench} for its arguments). */
@Command(name = "passwords", description = "Argon2id hash time: [ROUNDS] or [MEMORY_KIB ITERATIONS PARALLELISM ROUNDS].")
public final class PasswordsBenchCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        PasswordsBench.main(args.toArray(String[]::new));
        return 0;
    }
}
