package io.hypernetes.hyperd.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's pod network until tenant networks exist: one Linux bridge ({@value #DEFAULT_BRIDGE} by default) holding
 * the pod CIDR's first address as the pods' gateway, and one tap per VM on it.
 *
 * <p>Addresses come from the pod CIDR, never the network, gateway or broadcast address, never twice; next-fit, so a
 * just-freed address is the last to be reused. Assignments are kept in {@code network.json} (written atomically), so a
 * restarted hyperd gives each surviving VM the address it had.
 *
 * <p>A host that cannot create the bridge or taps (no CAP_NET_ADMIN, no /dev/net/tun) gets a network that is not
 * {@link #ready()}, with the reason; {@link #attach} then returns empty and pods run with loopback only.
 */
public final class DefaultNetwork {
    private static final Logger log = LoggerFactory.getLogger(DefaultNetwork.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String DEFAULT_BRIDGE = "hyper0";
    static final String FILE = "network.json";

    private final String bridge;
    private final PodCidr cidr;
    private final Path stateFile;
    private final String notReady;
    /** VM id → address (as an offset from the network address). */
    private final Map<String, Integer> assigned = new TreeMap<>();
    private int next = PodCidr.FIRST;

    /** What {@code network.json} holds. */
    record State(String cidr, Map<String, String> assignments) {
    }

    private DefaultNetwork(String bridge, PodCidr cidr, Path stateFile, String notReady) {
        this.bridge = bridge;
        this.cidr = cidr;
        this.stateFile = stateFile;
        this.notReady = notReady;
    }

    /**
     * Sets up (or finds) the bridge with the gateway address and loads the assignments kept in {@code stateDir}. A bad
     * CIDR or bridge name is an {@link IllegalArgumentException}; a host that cannot do it gives a not-ready network.
     */
    public static DefaultNetwork open(String bridge, String podCidr, Path stateDir) throws IOException {
        if (bridge == null || !bridge.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("bridge name must be 1..15 of [A-Za-z0-9_.-]: " + bridge);
        }
        PodCidr cidr = PodCidr.parse(podCidr);
        Files.createDirectories(stateDir);
        Path file = stateDir.resolve(FILE);
        String why = "";
        try {
            setUpBridge(bridge, cidr);
        } catch (IOException e) {
            why = "cannot set up bridge " + bridge + ": " + e.getMessage();
            log.warn("pod network not ready, pods get loopback only: {}", why);
        }
        if (why.isEmpty() && !Files.isWritable(Path.of("/dev/net/tun"))) {
            why = "/dev/net/tun is missing or not writable (modprobe tun)";
            log.warn("pod network not ready, pods get loopback only: {}", why);
        }
        DefaultNetwork network = new DefaultNetwork(bridge, cidr, file, why);
        network.load();
        return network;
    }

    private static void setUpBridge(String bridge, PodCidr cidr) throws IOException {
        if (!Files.exists(Path.of("/sys/class/net", bridge))) {
            ip("link", "add", bridge, "type", "bridge");
        }
        ip("addr", "replace", cidr.gateway() + "/" + cidr.prefix(), "dev", bridge);
        ip("link", "set", bridge, "up");
    }

    private void load() throws IOException {
        if (!Files.exists(stateFile)) {
            return;
        }
        State state = JSON.readValue(stateFile.toFile(), State.class);
        if (!cidr.text().equals(state.cidr())) {
            log.warn("pod CIDR changed from {} to {}: forgetting {} address assignments", state.cidr(), cidr.text(),
                    state.assignments().size());
            return;
        }
        state.assignments().forEach((vm, address) -> assigned.put(vm, cidr.offsetOf(address)));
    }

    private void save() throws IOException {
        Map<String, String> out = new TreeMap<>();
        assigned.forEach((vm, offset) -> out.put(vm, cidr.address(offset)));
        Path tmp = stateFile.resolveSibling(FILE + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new State(cidr.text(), out)));
        Files.move(tmp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public boolean ready() {
        return notReady.isEmpty();
    }

    /** Why pods get no network ("" when {@link #ready()}): what NetworkReady=false reports. */
    public String notReadyReason() {
        return notReady;
    }

    public String bridge() {
        return bridge;
    }

    public String gateway() {
        return cidr.gateway();
    }

    /**
     * The tap for a VM: its address (the one it had if it already has one), a tap device on the bridge, up. Empty when
     * the network is not ready: the pod runs with loopback only.
     */
    public synchronized Optional<Tap> attach(String vmId) throws IOException {
        if (!ready()) {
            return Optional.empty();
        }
        Integer offset = assigned.get(vmId);
        boolean fresh = offset == null;
        if (fresh) {
            offset = allocate(vmId);
            assigned.put(vmId, offset);
        }
        Tap tap = tapFor(vmId, offset);
        try {
            if (!Files.exists(Path.of("/sys/class/net", tap.name()))) {
                ip("tuntap", "add", "dev", tap.name(), "mode", "tap");
            }
            ip("link", "set", tap.name(), "master", bridge);
            ip("link", "set", tap.name(), "up");
            save();
        } catch (IOException e) {
            deleteTap(tap.name());
            if (fresh) {
                assigned.remove(vmId);
            }
            throw new IOException("cannot attach VM " + vmId + " to " + bridge + ": " + e.getMessage(), e);
        }
        return Optional.of(tap);
    }

    /** The tap a VM has, without creating anything. */
    public synchronized Optional<Tap> tapOf(String vmId) {
        Integer offset = assigned.get(vmId);
        return offset == null ? Optional.empty() : Optional.of(tapFor(vmId, offset));
    }

    /** Deletes the VM's tap (if still there) and frees its address. Idempotent. */
    public synchronized void release(String vmId) throws IOException {
        Integer offset = assigned.remove(vmId);
        if (offset != null) {
            deleteTap(tapFor(vmId, offset).name());
            save();
        }
    }

    /**
     * Frees the VM's address but leaves its tap device alone: the tap moved onto a tenant Network's bridge
     * ({@link TenantAttachment#plug}) and belongs to the VM from now on, which deletes it when it stops. Idempotent.
     */
    public synchronized void releaseAddress(String vmId) throws IOException {
        if (assigned.remove(vmId) != null) {
            save();
        }
    }

    /** The VMs holding addresses. */
    public synchronized Map<String, String> assignments() {
        Map<String, String> out = new TreeMap<>();
        assigned.forEach((vm, offset) -> out.put(vm, cidr.address(offset)));
        return out;
    }

    /** Deletes the bridge (a node's teardown): its taps go with their VMs. */
    public void removeBridge() throws IOException {
        if (Files.exists(Path.of("/sys/class/net", bridge))) {
            ip("link", "del", bridge);
        }
    }

    private int allocate(String vmId) throws IOException {
        int size = cidr.last() - PodCidr.FIRST + 1;
        for (int i = 0; i < size; i++) {
            int candidate = PodCidr.FIRST + Math.floorMod(next - PodCidr.FIRST + i, size);
            if (!assigned.containsValue(candidate)) {
                next = candidate + 1 > cidr.last() ? PodCidr.FIRST : candidate + 1;
                return candidate;
            }
        }
        throw new IOException("pod CIDR " + cidr.text() + " is full (" + size + " addresses); VM " + vmId + " gets none");
    }

    private Tap tapFor(String vmId, int offset) {
        return new Tap(tapName(vmId), mac(vmId), cidr.address(offset), cidr.prefix(), cidr.gateway());
    }

    /** "hn" + 13 hex digits of the VM id's hash: unique enough per node and within the kernel's 15 characters. */
    static String tapName(String vmId) {
        return "hn" + HexFormat.of().formatHex(hash(vmId)).substring(0, 13);
    }

    /**
     * "02:68:" + 4 bytes of the VM id's hash. Not derived from the address: a VM that moves onto a tenant Network
     * gives its address back while its NIC keeps its MAC (fixed at boot), so a MAC made of the address would come
     * back on the next VM given that address, and two such VMs on one tenant Network would share it.
     */
    static String mac(String vmId) {
        byte[] h = hash(vmId);
        return String.format("02:68:%02x:%02x:%02x:%02x", h[8], h[9], h[10], h[11]);
    }

    private static byte[] hash(String vmId) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(vmId.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTap(String name) {
        if (Files.exists(Path.of("/sys/class/net", name))) {
            try {
                ip("link", "del", name);
            } catch (IOException e) {
                log.warn("cannot delete tap {}: {}", name, e.getMessage());
            }
        }
    }

    static void ip(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }
}
