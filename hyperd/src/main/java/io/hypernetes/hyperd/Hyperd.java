package io.hypernetes.hyperd;

import io.grpc.BindableService;
import io.hypernetes.guest.GuestKernel;
import io.hypernetes.guest.Initramfs;
import io.hypernetes.hyperd.net.DefaultNetwork;
import io.hypernetes.hyperd.vm.Accelerator;
import io.hypernetes.hyperd.vm.HostCheck;
import io.hypernetes.hyperd.vm.VmConfig;
import io.hypernetes.hyperd.vm.VmPool;
import io.hypernetes.hyperd.vm.VmShape;
import io.hypernetes.image.ImageStore;
import io.hypernetes.image.RegistryConfig;
import io.hypernetes.runtime.v1.RuntimeCondition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hyperd: the node's runtime daemon, running every pod as a QEMU microvm with hyperstart as PID 1. It serves the
 * {@code RuntimeService} and {@code ImageService} (see {@link #services()}) to the node agent, on a unix socket when
 * it is its own process ({@code hypernetes hyperd}) or in the node agent's process.
 *
 * <p>What it keeps in {@link Config#stateDir()}: {@code guest/} the initramfs built from this build's hyperstart and
 * the host kernel's modules; {@code images/} the image store; {@code sandboxes/<id>/} each pod's record, VM, logs;
 * {@code pool/} pre-booted VMs; {@code network/} address assignments; {@code hyperd.lock}, held while a hyperd has the
 * directory open ({@link StateLock}: one hyperd per directory). VMs outlive hyperd: a new hyperd on the same state
 * directory reattaches to them.
 */
public final class Hyperd implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hyperd.class);

    /**
     * @param stateDir   where hyperd keeps everything (see the class comment)
     * @param kernel     the guest kernel; empty picks the newest {@code /boot/vmlinuz-*} with modules
     * @param podCidr    the node's pod network, on the bridge {@code bridge}; the first address is the gateway
     * @param bridge     the Linux bridge pods' taps join (created if missing)
     * @param poolSize   pre-booted VMs kept ready (0: every pod boots its VM cold)
     * @param registries registry mirrors and insecure registries
     */
    public record Config(Path stateDir, Optional<Path> kernel, String podCidr, String bridge, int poolSize,
                         RegistryConfig registries) {
        public Config {
            if (poolSize < 0 || poolSize > 64) {
                throw new IllegalArgumentException("pool size must be 0..64, got " + poolSize);
            }
        }

        public static Config defaults(Path stateDir, String podCidr) {
            return new Config(stateDir, Optional.empty(), podCidr, "hyper0", 2, RegistryConfig.DEFAULT);
        }

        public Config withPoolSize(int size) {
            return new Config(stateDir, kernel, podCidr, bridge, size, registries);
        }

        public Config withBridge(String name) {
            return new Config(stateDir, kernel, podCidr, name, poolSize, registries);
        }

        public Config withKernel(Path vmlinuz) {
            return new Config(stateDir, Optional.of(vmlinuz), podCidr, bridge, poolSize, registries);
        }

        public Config withRegistries(RegistryConfig config) {
            return new Config(stateDir, kernel, podCidr, bridge, poolSize, config);
        }
    }

    private final ImageStore images;
    private final DefaultNetwork network;
    private final VmPool pool;
    private final PodVms pods;

    private final String description;

    private final StateLock lock;

    private Hyperd(StateLock lock, ImageStore images, DefaultNetwork network, VmPool pool, PodVms pods, String description) {
        this.lock = lock;
        this.description = description;
        this.images = images;
        this.network = network;
        this.pool = pool;
        this.pods = pods;
    }

    /** Prepares the guest, finds the accelerator, opens the stores, reattaches to running pod VMs, fills the pool. */
    public static Hyperd open(Config config) throws IOException {
        Path state = config.stateDir().toAbsolutePath();
        Files.createDirectories(state);
        StateLock lock = StateLock.acquire(state);
        try {
            return open(config, state, lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static Hyperd open(Config config, Path state, StateLock lock) throws IOException {
        GuestKernel kernel = config.kernel().map(GuestKernel::of).or(GuestKernel::find).orElseThrow(() -> new IOException(
                "no guest kernel: no /boot/vmlinuz-* with modules in /lib/modules (apt-get install linux-image-cloud-amd64)"));
        Path initramfs = initramfs(state.resolve("guest"), kernel);
        VmConfig vmConfig = VmConfig.of(kernel.vmlinuz(), initramfs, state);
        Accelerator.Decision accelerator = Accelerator.detect(vmConfig);
        vmConfig = vmConfig.withAccelerator(accelerator.accelerator());
        ImageStore images = new ImageStore(state.resolve("images"), config.registries());
        DefaultNetwork network = DefaultNetwork.open(config.bridge(), config.podCidr(), state.resolve("network"));
        VmPool pool = new VmPool(vmConfig, config.poolSize(), VmShape.forPod(0, 0), VmPool.Nics.of(network), PodVms.READY).start();
        PodVms pods = new PodVms(state, vmConfig, pool, network, images);
        pods.restore();
        Hyperd hyperd = new Hyperd(lock, images, network, pool, pods, accelerator.accelerator() + " (" + accelerator.reason()
                + "), guest kernel " + kernel.version() + ", pool of " + config.poolSize() + ", pods on " + config.podCidr() + " via " + config.bridge());
        log.info("hyperd: {}", hyperd.description);
        return hyperd;
    }

    /**
     * Checks this host for what hyperd needs (QEMU, the guest kernel and its modules, hyperstart, KVM or TCG, taps and
     * bridges, cgroups, disk), without starting anything: {@code hypernetes doctor}.
     */
    public static List<HostCheck.Finding> check(Config config) {
        Path state = config.stateDir().toAbsolutePath();
        Path kernel = config.kernel().or(() -> GuestKernel.find().map(GuestKernel::vmlinuz))
                .orElse(Path.of("/boot/vmlinuz (none with modules found)"));
        return HostCheck.run(VmConfig.of(kernel, state.resolve("guest").resolve("initramfs.img"), state));
    }

    /** The initramfs for this kernel and this build's hyperstart, built once (its name carries both). */
    private static Path initramfs(Path dir, GuestKernel kernel) throws IOException {
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Initramfs.hyperstart())).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path file = dir.resolve("initramfs-" + kernel.version() + "-" + hash + ".img");
        if (!Files.exists(file)) {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "initramfs", ".tmp");
            Initramfs.write(tmp, kernel);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return file;
    }

    /** The {@code RuntimeService} and {@code ImageService}, to serve with a {@code RuntimeEndpoint}. */
    public BindableService[] services() {
        return new BindableService[] {new HyperdRuntimeService(pods, this::networkCondition), new HyperdImageService(images)};
    }

    private RuntimeCondition networkCondition() {
        return network.ready()
                ? RuntimeCondition.newBuilder().setType("NetworkReady").setStatus(true).build()
                : RuntimeCondition.newBuilder().setType("NetworkReady").setStatus(false).setReason("NoPodNetwork")
                        .setMessage(network.notReadyReason()).build();
    }

    /** One line for people: accelerator and why, kernel, pool, network. */
    public String describe() {
        return description;
    }

    /** Stops every pod VM and every pooled one and removes the bridge: for tests, and for taking a node down for good. */
    public void shutdown() {
        pool.close();
        for (PodVm pod : pods.sandboxes()) {
            pods.removeSandbox(pod.id);
        }
        pods.close();
        try {
            network.removeBridge();
        } catch (IOException e) {
            log.warn("removing bridge: {}", e.getMessage());
        }
        lock.close();
    }

    /** Waits until the pool holds {@code count} ready VMs (at most 3 minutes): benchmarks measure pool starts. */
    public void awaitPool(int count) throws InterruptedException {
        pool.awaitAvailable(count, java.time.Duration.ofMinutes(3));
    }

    public ImageStore images() {
        return images;
    }

    /** Closes connections and the pool's background work. Pod VMs keep running: a new hyperd reattaches to them. */
    @Override
    public void close() {
        pool.leave();
        pods.close();
        lock.close();
    }
}
