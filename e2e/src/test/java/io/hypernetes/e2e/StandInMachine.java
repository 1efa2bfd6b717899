package io.hypernetes.e2e;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A second machine on this one, a named stand-in: a network namespace with its own network stack (same kernel,
 * same files). A veth pair is its cable to this host over the underlay, a /30 of 198.51.100.0/24 (TEST-NET-2);
 * {@code /etc/netns/NAME/hosts} names this host by its host name at its underlay address, so a node in it reaches
 * the API server by the name the server's certificate carries. Commands run in it through {@link #wrapper()}.
 */
final class StandInMachine implements AutoCloseable {
    private static final Path NETNS_ETC = Path.of("/etc/netns");

    final String name;
    /** This machine's underlay address. */
    final String address;
    /** This host's address on the underlay, where the stand-in's default route points. */
    final String hostAddress;
    private final String hostLink;

    private StandInMachine(String name, int index) {
        this.name = name;
        this.address = "198.51.100." + (4 * index + 2);
        this.hostAddress = "198.51.100." + (4 * index + 1);
        this.hostLink = "hnm" + index;
    }

    /** Machine {@code index} (0–62): its netns {@code name}, its host-side link {@code hnm<index>}. */
    static StandInMachine create(String name, int index) throws Exception {
        StandInMachine m = new StandInMachine(name, index);
        m.remove(); // what a killed run left
        try {
            Processes.run(List.of("ip", "netns", "add", name));
            Processes.run(List.of("ip", "link", "add", m.hostLink, "type", "veth", "peer", "name", "eth0", "netns", name));
            Processes.run(List.of("ip", "addr", "add", m.hostAddress + "/30", "dev", m.hostLink));
            Processes.run(List.of("ip", "link", "set", m.hostLink, "up"));
            Processes.run(List.of("ip", "-n", name, "addr", "add", m.address + "/30", "dev", "eth0"));
            Processes.run(List.of("ip", "-n", name, "link", "set", "eth0", "up"));
            Processes.run(List.of("ip", "-n", name, "link", "set", "lo", "up"));
            Processes.run(List.of("ip", "-n", name, "route", "add", "default", "via", m.hostAddress));
            Path etc = NETNS_ETC.resolve(name);
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n" + m.hostAddress + " " + hostName() + "\n");
        } catch (Exception | AssertionError e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** The name this host goes by, and its API server's certificate with it. */
    static String hostName() throws Exception {
        return InetAddress.getLocalHost().getHostName();
    }

    /** The prefix that runs a command on this machine. */
    List<String> wrapper() {
        return List.of("ip", "netns", "exec", name);
    }

    /** Runs a command on this machine to its end; fails the test if it fails. */
    String run(List<String> command) throws Exception {
        return Processes.run(Stream.concat(wrapper().stream(), command.stream()).toList());
    }

    /** This machine's links by name. */
    List<String> links() throws Exception {
        return Processes.linkNames(run(List.of("ip", "-o", "link", "show")));
    }

    /** Unplugs and removes the machine: its namespace (with every link in it, and so the veth) and its /etc files. */
    @Override
    public void close() throws Exception {
        remove();
    }

    private void remove() throws Exception {
        new ProcessBuilder("ip", "netns", "delete", name).redirectErrorStream(true).start().waitFor();
        new ProcessBuilder("ip", "link", "delete", hostLink).redirectErrorStream(true).start().waitFor();
        Path etc = NETNS_ETC.resolve(name);
        if (Files.exists(etc)) {
            try (var files = Files.list(etc)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(etc);
        }
    }
}
