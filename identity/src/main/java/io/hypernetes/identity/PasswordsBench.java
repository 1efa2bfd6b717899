package io.hypernetes.identity;

/**
 * Prints how long one Argon2id hash takes here, for choosing {@link Passwords#DEFAULT}:
 * {@code java -cp identity/target/classes:<bcprov.jar> io.hypernetes.identity.PasswordsBench [m_KiB t p] [rounds]}.
 */
public final class PasswordsBench {
    private PasswordsBench() {}

    public static void main(String[] args) {
        Passwords.Parameters p = args.length >= 3
                ? new Passwords.Parameters(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]))
                : Passwords.DEFAULT;
        int rounds = args.length == 4 ? Integer.parseInt(args[3]) : args.length == 1 ? Integer.parseInt(args[0]) : 20;
        Passwords passwords = new Passwords(p);
        for (int i = 0; i < 5; i++) passwords.hash("warm-up"); // let the JIT compile the compression function
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            passwords.hash("correct horse battery staple");
            nanos[i] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(nanos);
        System.out.printf("argon2id m=%d KiB t=%d p=%d: %d hashes, median %.1f ms, min %.1f ms, max %.1f ms%n",
                p.memoryKiB(), p.iterations(), p.parallelism(), rounds,
                nanos[rounds / 2] / 1e6, nanos[0] / 1e6, nanos[rounds - 1] / 1e6);
    }
}
