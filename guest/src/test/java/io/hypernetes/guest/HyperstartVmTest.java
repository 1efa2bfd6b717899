package io.hypernetes.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * hyperstart in a real microvm (QEMU TCG), driven through {@link AgentConnection}. One VM
 * for the class: booting one takes seconds under TCG on this machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HyperstartVmTest {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final long WAIT = 60;

    private Path dir;
    private TestVm vm;
    private AgentConnection agent;
    private final Disk image = new Disk(TestVm.IMAGE_TARGET, "ext4");

    @BeforeAll
    void boot() throws Exception {
        assumeTrue(TestVm.available(), "needs qemu-system-x86_64, a kernel in /boot with modules, busybox and mkfs.ext4");
        dir = Files.createTempDirectory("hyperstart-vm");
        long start = System.nanoTime();
        vm = TestVm.boot(dir);
        try {
            agent = AgentConnection.connect(vm.agentSocket, BOOT);
            GuestInfo ready = agent.awaitReady(BOOT);
            long wall = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("hyperstart READY: guest uptime %d ms, QEMU start to READY %d ms (TCG)%n", ready.bootMillis(), wall);
            assertThat(ready.version()).startsWith("hyperstart ");
            agent.startPod(new PodConfig("pod-one", List.of("10.0.0.2"), List.of("ns1.svc.cluster.local"), List.of("ndots:5"),
                    "127.0.0.1\tlocalhost\n10.1.2.3\tpod-one\n",
                    Optional.of(new PodConfig.Interface("eth0", "10.0.2.15", 24, Optional.of("10.0.2.2"), 1400))));
        } catch (Exception | AssertionError e) {
            System.out.println("console:\n" + vm.consoleTail());
            throw e;
        }
    }

    @AfterAll
    void shutdown() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (vm != null) {
            if (vm.alive()) {
                System.out.println("console tail:\n" + vm.consoleTail());
            }
            vm.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private GuestProcess start(ProcessSpec spec, Collector c) throws AgentException {
        return agent.startProcess(spec, c);
    }

    private static int exit(Collector c) throws Exception {
        try {
            return c.exit.get(WAIT, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no exit; stdout so far: " + c.stdout() + " stderr: " + c.stderr());
        }
    }

    private String run(String container, String... args) throws Exception {
        Collector c = new Collector();
        start(ProcessSpec.exec(container, List.of(args)), c);
        assertThat(exit(c)).as("exit of %s; stderr %s", List.of(args), c.stderr()).isZero();
        return c.stdout();
    }

    @Test
    @Order(1)
    void containerOutputGoesToTheRightStreamsBeforeTheExitCode() throws Exception {
        agent.newContainer(new ContainerSpec("exit3", image, List.of()));
        Collector c = new Collector();
        start(ProcessSpec.init("exit3", List.of("sh", "-c", "echo out; echo err >&2; exit 3"), List.of()), c);
        assertThat(exit(c)).isEqualTo(3);
        assertThat(c.stdout()).isEqualTo("out\n");
        assertThat(c.stderr()).isEqualTo("err\n");
        assertThat(agent.state()).anySatisfy(p -> {
            assertThat(p.containerId()).isEqualTo("exit3");
            assertThat(p.running()).isFalse();
            assertThat(p.exitCode()).isEqualTo(3);
        });
        agent.removeContainer("exit3");
        assertThat(agent.state()).noneMatch(p -> p.containerId().equals("exit3"));
        assertThat(agent.containers()).doesNotContain("exit3");
    }

    @Test
    @Order(2)
    void stdinReachesTheProcessAndClosingItEndsCat() throws Exception {
        agent.newContainer(new ContainerSpec("cat", image, List.of()));
        Collector c = new Collector();
        GuestProcess cat = start(ProcessSpec.init("cat", List.of("cat"), List.of()).withStdin(true), c);
        cat.write("hello guest\n".getBytes(StandardCharsets.UTF_8));
        cat.write("second line\n".getBytes(StandardCharsets.UTF_8));
        cat.closeStdin();
        assertThat(exit(c)).isZero();
        assertThat(c.stdout()).isEqualTo("hello guest\nsecond line\n");
        agent.removeContainer("cat");

        // four times the stdin window: writing waits for the guest's WINDOW grants
        agent.newContainer(new ContainerSpec("counter", image, List.of()));
        Collector count = new Collector();
        GuestProcess wc = start(ProcessSpec.init("counter", List.of("wc", "-c"), List.of()).withStdin(true), count);
        byte[] chunk = new byte[100_000];
        for (int i = 0; i < 10; i++) {
            wc.write(chunk);
        }
        wc.closeStdin();
        assertThat(exit(count)).isZero();
        assertThat(count.stdout().strip()).isEqualTo("1000000");
        agent.removeContainer("counter");
    }

    @Test
    @Order(3)
    void execRunsInTheContainersRootfsAndDiesWithItsInit() throws Exception {
        agent.newContainer(new ContainerSpec("sleeper", image, List.of()));
        Collector init = new Collector();
        GuestProcess main = start(ProcessSpec.init("sleeper", List.of("sleep", "600"), List.of()), init);
        assertThat(run("sleeper", "cat", "/etc/image-marker")).isEqualTo("original\n");
        assertThat(run("sleeper", "sh", "-c", "test -e /modules/load && echo initramfs || echo container")).isEqualTo("container\n");
        assertThat(run("sleeper", "cat", "/etc/hostname")).isEqualTo("pod-one\n");
        assertThat(run("sleeper", "hostname")).isEqualTo("pod-one\n");
        // START_POD set the guest's clock (no RTC in the VM): not 1970, but the host's, give or take a slow exec
        long guestSeconds = Long.parseLong(run("sleeper", "date", "+%s").strip());
        assertThat(guestSeconds).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
        assertThat(run("sleeper", "cat", "/etc/resolv.conf"))
                .isEqualTo("nameserver 10.0.0.2\nsearch ns1.svc.cluster.local\noptions ndots:5\n");
        assertThat(run("sleeper", "cat", "/etc/hosts")).contains("10.1.2.3\tpod-one");
        // the exec shares the init's PID namespace: the init is PID 1 there
        assertThat(run("sleeper", "cat", "/proc/1/cmdline")).isEqualTo("sleep\0" + "600\0");
        assertThat(run("sleeper", "ls", "/dev")).contains("null", "urandom", "pts", "shm", "fd", "tty");
        assertThat(run("sleeper", "sh", "-c", "touch /sys/x 2>&1; true")).contains("Read-only file system");
        // the pod's network, configured by START_POD, is the container's
        assertThat(run("sleeper", "ip", "addr", "show", "eth0")).contains("inet 10.0.2.15/24", "mtu 1400");
        assertThat(run("sleeper", "ip", "route")).contains("default via 10.0.2.2 dev eth0");
        // requests from many threads at once are matched to their replies
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> outputs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String word = "w" + i;
                outputs.add(pool.submit((Callable<String>) () -> run("sleeper", "echo", word)));
                pool.submit(() -> {
                    agent.ping();
                    return agent.state();
                });
            }
            for (int i = 0; i < 8; i++) {
                assertThat(outputs.get(i).get(WAIT, TimeUnit.SECONDS)).isEqualTo("w" + i + "\n");
            }
        }

        Collector second = new Collector();
        start(ProcessSpec.exec("sleeper", List.of("sleep", "600")), second);
        main.signal(9);
        assertThat(exit(init)).isEqualTo(137);
        assertThat(exit(second)).as("an exec dies with its container's PID namespace").isEqualTo(137);
        assertThatThrownBy(() -> start(ProcessSpec.exec("sleeper", List.of("true")), new Collector()))
                .isInstanceOf(AgentException.class).hasMessageContaining("not running");
        agent.removeContainer("sleeper");
    }

    @Test
    @Order(4)
    void aCommandThatCannotRunFailsAtOnceWithDockersExitCodes() throws Exception {
        agent.newContainer(new ContainerSpec("missing", image, List.of()));
        assertThatThrownBy(() -> start(ProcessSpec.init("missing", List.of("nosuch"), List.of()), new Collector()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(127))
                .hasMessage("exec: \"nosuch\": executable file not found in $PATH");
        Collector init = new Collector();
        start(ProcessSpec.init("missing", List.of("sleep", "600"), List.of()), init);
        assertThatThrownBy(() -> start(ProcessSpec.exec("missing", List.of("/etc/passwd")), new Collector()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(126))
                .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> start(ProcessSpec.exec("missing", List.of("/no/such/file")), new Collector()))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo(127))
                .hasMessageContaining("no such file or directory");
        assertThatThrownBy(() -> start(ProcessSpec.exec("missing", List.of("id")).withUser("nobody-here"), new Collector()))
                .isInstanceOf(AgentException.class).hasMessageContaining("unable to find user nobody-here");
        assertThatThrownBy(() -> start(ProcessSpec.exec("no-such-container", List.of("id")), new Collector()))
                .isInstanceOf(AgentException.class).hasMessageContaining("container no-such-container not found");
        agent.signal(init.hashCode() == 0 ? 0 : findInit("missing"), 9);
        assertThat(exit(init)).isEqualTo(137);
        agent.removeContainer("missing");
    }

    private int findInit(String container) throws AgentException {
        return agent.state().stream().filter(p -> p.containerId().equals(container) && p.init()).findFirst().orElseThrow().id();
    }

    @Test
    @Order(5)
    void aTtyProcessHasATerminalOfTheRequestedSize() throws Exception {
        agent.newContainer(new ContainerSpec("tty", image, List.of()));
        Collector c = new Collector();
        GuestProcess p = start(ProcessSpec.init("tty", List.of("sh", "-c", "stty size; test -t 0 && echo terminal; read line; echo got $line"),
                List.of()).withTty(100, 30).withStdin(true), c);
        p.write("typed\n".getBytes(StandardCharsets.UTF_8));
        assertThat(exit(c)).isZero();
        assertThat(c.stdout()).contains("30 100\r\n", "terminal\r\n", "got typed\r\n");
        assertThat(c.stderr()).isEmpty();
        agent.removeContainer("tty");
    }

    @Test
    @Order(6)
    void sigtermReachesAnInitThatTrapsIt() throws Exception {
        agent.newContainer(new ContainerSpec("term", image, List.of()));
        Collector c = new Collector();
        GuestProcess p = start(ProcessSpec.init("term", List.of("sh", "-c", "trap 'echo bye; exit 42' TERM; echo up; while true; do sleep 0.1; done"),
                List.of()), c);
        awaitOutput(c, "up\n");
        p.signal(15);
        assertThat(exit(c)).isEqualTo(42);
        assertThat(c.stdout()).isEqualTo("up\nbye\n");
        agent.removeContainer("term");
    }

    private static void awaitOutput(Collector c, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!c.stdout().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in output: " + c.stdout());
            }
            Thread.sleep(20);
        }
    }

    @Test
    @Order(7)
    void usersAreResolvedFromTheContainersOwnPasswdAndGroup() throws Exception {
        agent.newContainer(new ContainerSpec("users", image, List.of()));
        Collector init = new Collector();
        start(ProcessSpec.init("users", List.of("sleep", "600"), List.of()).withUser("app"), init);
        Collector id = new Collector();
        start(ProcessSpec.exec("users", List.of("id")).withUser("app"), id);
        assertThat(exit(id)).isZero();
        assertThat(id.stdout()).startsWith("uid=1000(app) gid=1000(app)").contains("50(staff)");
        Collector group = new Collector();
        start(ProcessSpec.exec("users", List.of("sh", "-c", "id -u; id -g; echo $HOME")).withUser("app:staff"), group);
        assertThat(exit(group)).isZero();
        assertThat(group.stdout()).isEqualTo("1000\n50\n/home/app\n");
        Collector numeric = new Collector();
        start(ProcessSpec.exec("users", List.of("id", "-u")).withUser("4242:4242"), numeric);
        assertThat(exit(numeric)).isZero();
        assertThat(numeric.stdout()).isEqualTo("4242\n");
        assertThat(run("users", "sh", "-c", "ps -o user,comm | grep sleep")).contains("app");
        agent.signal(findInit("users"), 9);
        assertThat(exit(init)).isEqualTo(137);
        agent.removeContainer("users");
    }

    @Test
    @Order(8)
    void writesGoToTheWritableLayerNotTheImage() throws Exception {
        agent.newContainer(new ContainerSpec("writer", image, List.of()));
        Collector w = new Collector();
        start(ProcessSpec.init("writer", List.of("sh", "-c", "echo changed > /etc/image-marker; cat /etc/image-marker"), List.of()), w);
        assertThat(exit(w)).isZero();
        assertThat(w.stdout()).isEqualTo("changed\n");
        agent.newContainer(new ContainerSpec("reader", image, List.of()));
        Collector r = new Collector();
        start(ProcessSpec.init("reader", List.of("cat", "/etc/image-marker"), List.of()), r);
        assertThat(exit(r)).isZero();
        assertThat(r.stdout()).isEqualTo("original\n");
        agent.removeContainer("writer");
        agent.removeContainer("reader");
    }

    @Test
    @Order(8)
    void aHotPluggedImageDiskIsFoundByItsScsiTarget() throws Exception {
        Path copy = dir.resolve("hot.ext4");
        Files.copy(vm.image, copy);
        vm.hotPlugDisk(copy, 5);
        agent.newContainer(new ContainerSpec("hot", new Disk(5, "ext4"), List.of()));
        Collector c = new Collector();
        start(ProcessSpec.init("hot", List.of("cat", "/etc/image-marker"), List.of()), c);
        assertThat(exit(c)).isZero();
        assertThat(c.stdout()).isEqualTo("original\n");
        agent.removeContainer("hot");
    }

    @Test
    @Order(9)
    void podVolumesAndDisksAreMountedIntoTheContainer() throws Exception {
        agent.writeFile("config", "app", 0755, FileType.DIRECTORY, new byte[0]);
        agent.writeFile("config", "app/settings.conf", 0640, FileType.FILE, "key=value\n".getBytes(StandardCharsets.UTF_8));
        agent.writeFile("config", "current", 0777, FileType.SYMLINK, "app/settings.conf".getBytes(StandardCharsets.UTF_8));
        byte[] big = new byte[100_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        agent.writeFile("config", "deep/er/big.txt", 0644, FileType.FILE, big);
        assertThatThrownBy(() -> agent.request(Protocol.WRITE_FILE, Tlv.writer().string(Protocol.TAG_VOLUME, "config")
                .string(Protocol.TAG_PATH, "../../etc/passwd").bytes(Protocol.TAG_DATA, new byte[1]).toByteArray()))
                .isInstanceOf(AgentException.class).hasMessageContaining("must be relative and stay inside the volume");
        assertThatThrownBy(() -> agent.request(Protocol.WRITE_FILE, Tlv.writer().string(Protocol.TAG_VOLUME, "../run")
                .string(Protocol.TAG_PATH, "x").toByteArray()))
                .isInstanceOf(AgentException.class).hasMessageContaining("volume name");
        // a symlink inside a volume does not let a later write escape it
        agent.writeFile("config", "escape", 0777, FileType.SYMLINK, "/etc".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> agent.writeFile("config", "escape/passwd", 0644, FileType.FILE, new byte[1]))
                .isInstanceOf(AgentException.class);

        agent.newContainer(new ContainerSpec("volumes", image, List.of(
                new Mount(new Mount.VolumeSource("config"), "/etc/config", true),
                new Mount(new Mount.VolumeSource("scratch"), "/work", false),
                new Mount(new Mount.DiskSource(new Disk(TestVm.DATA_TARGET, "ext4")), "/data", false))));
        Collector c = new Collector();
        start(ProcessSpec.init("volumes", List.of("sh", "-c",
                "cat /etc/config/current; stat -c '%a' /etc/config/app/settings.conf; wc -c < /etc/config/deep/er/big.txt; "
                        + "cat /data/hello.txt; touch /etc/config/new 2>/dev/null || echo read-only; echo kept > /work/file; cat /work/file"),
                List.of()), c);
        assertThat(exit(c)).as("stderr: %s", c.stderr()).isZero();
        assertThat(c.stdout()).isEqualTo("key=value\n640\n100000\nfrom the data disk\nread-only\nkept\n");
        agent.removeContainer("volumes");
        assertThatThrownBy(() -> agent.newContainer(new ContainerSpec("nodisk", new Disk(9, "ext4"), List.of())))
                .isInstanceOf(AgentException.class).hasMessageContaining("no disk at SCSI target 9");
        assertThat(agent.containers()).doesNotContain("nodisk");
    }

    @Test
    @Order(10)
    void aSlowListenerBackPressuresTheProcessAndLosesNothing() throws Exception {
        agent.newContainer(new ContainerSpec("flood", image, List.of()));
        int lines = 1_400_000;
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 1; i <= lines; i++) {
            expected.writeBytes((i + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        Collector slow = new Collector() {
            @Override
            public synchronized void stdout(byte[] data) {
                super.stdout(data);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        long t0 = System.nanoTime();
        start(ProcessSpec.init("flood", List.of("seq", "1", String.valueOf(lines)), List.of()), slow);
        assertThat(slow.exit.get(300, TimeUnit.SECONDS)).isZero();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        byte[] got;
        synchronized (slow) {
            got = slow.out.toByteArray();
        }
        System.out.printf("flow control: %d bytes through a 2 ms/frame listener in %d ms (%.1f MB/s)%n",
                got.length, ms, got.length / 1000.0 / Math.max(1, ms));
        assertThat(got.length).isEqualTo(expected.size()).isGreaterThan(10_000_000);
        assertThat(got).isEqualTo(expected.toByteArray());
        agent.removeContainer("flood");
    }

    @Test
    @Order(11)
    void processesKeepRunningAcrossAReconnect() throws Exception {
        agent.newContainer(new ContainerSpec("ticker", image, List.of()));
        Collector before = new Collector();
        GuestProcess p = start(ProcessSpec.init("ticker", List.of("sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"),
                List.of()), before);
        awaitOutput(before, "tick 2\n");
        agent.close();
        assertThat(agent.isOpen()).isFalse();
        agent = AgentConnection.connect(vm.agentSocket, BOOT);
        assertThat(agent.state()).anySatisfy(s -> {
            assertThat(s.id()).isEqualTo(p.id());
            assertThat(s.running()).isTrue();
        });
        Collector after = new Collector();
        agent.reattach(p.id(), after);
        awaitOutput(after, "tick");
        String first = after.stdout().lines().findFirst().orElseThrow();
        int resumedAt = Integer.parseInt(first.replace("tick ", ""));
        assertThat(resumedAt).isGreaterThan(2);
        agent.signal(p.id(), 9);
        assertThat(exit(after)).isEqualTo(137);
        agent.removeContainer("ticker");
    }

    @Test
    @Order(12)
    void hostileBytesGetErrorsAndHyperstartSurvives() throws Exception {
        agent.close();
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(vm.agentSocket));
            RawPeer peer = new RawPeer(raw);
            peer.send("garbage before any SYNC \u0001\u0002 and more".getBytes(StandardCharsets.UTF_8));
            peer.sync(7);
            // a length no frame may have: ERROR, then hyperstart waits for a SYNC
            peer.send(ByteBuffer.allocate(9).putInt(0x7FFFFFF0).put((byte) 1).putInt(5).array());
            assertThat(peer.message(peer.frameOfType(Protocol.ERROR))).contains("frame length");
            peer.send(new Frame(Protocol.PING, 6, new byte[0]).encode()); // ignored: not synchronised
            peer.sync(8);
            peer.send(new Frame(0x7E, 9, new byte[0]).encode());
            Frame unknown = peer.frameOfType(Protocol.ERROR);
            assertThat(unknown.id()).isEqualTo(9);
            assertThat(peer.message(unknown)).contains("unknown frame type 0x7e");
            peer.send(new Frame(Protocol.START_PROCESS, 10, new byte[] {0, 42, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1}).encode());
            assertThat(peer.message(peer.frameOfType(Protocol.ERROR))).contains("malformed");
            peer.send(new Frame(Protocol.START_POD, 11, Tlv.writer().integer(999, 1).toByteArray()).encode());
            assertThat(peer.message(peer.frameOfType(Protocol.ERROR))).contains("unknown tag 999");
            peer.send(new Frame(Protocol.NEW_CONTAINER, 12, Tlv.writer().string(Protocol.TAG_CONTAINER, "../../x")
                    .integer(Protocol.TAG_ROOTFS_TARGET, 1).toByteArray()).encode());
            assertThat(peer.message(peer.frameOfType(Protocol.ERROR))).contains("is not valid");
            peer.send(new Frame(Protocol.PING, 13, new byte[0]).encode());
            assertThat(peer.frameOfType(Protocol.OK).id()).isEqualTo(13);
            // random requests with plausible tags and random values: every one answered, none fatal
            java.util.Random random = new java.util.Random(5);
            int[] types = {Protocol.PING, Protocol.START_POD, Protocol.WRITE_FILE, Protocol.NEW_CONTAINER, Protocol.REMOVE_CONTAINER,
                    Protocol.START_PROCESS, Protocol.SIGNAL, Protocol.WINSIZE, Protocol.CLOSE_STDIN, Protocol.STATE, Protocol.ATTACH,
                    Protocol.STDIN, Protocol.WINDOW, Protocol.OK, Protocol.READY, 0x00, 0x99};
            int[] tags = {3, 10, 14, 15, 16, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47, 48,
                    49, 50, 54, 55, 1000};
            for (int batch = 0; batch < 20; batch++) {
                for (int i = 0; i < 50; i++) {
                    Tlv.Writer w = Tlv.writer();
                    for (int t = random.nextInt(5); t > 0; t--) {
                        int tag = tags[random.nextInt(tags.length)];
                        if (random.nextBoolean()) {
                            w.integer(tag, random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(300) - 20);
                        } else {
                            byte[] v = new byte[random.nextInt(24)];
                            random.nextBytes(v);
                            w.bytes(tag, random.nextBoolean() ? v : ("x" + random.nextInt(3)).getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    byte[] payload = w.toByteArray();
                    if (random.nextInt(10) == 0 && payload.length > 2) {
                        payload = java.util.Arrays.copyOf(payload, payload.length - 1 - random.nextInt(2)); // truncated TLV
                    }
                    peer.send(new Frame(types[random.nextInt(types.length)], 1000 + i, payload).encode());
                }
                peer.send(new Frame(Protocol.PING, 900_000 + batch, new byte[0]).encode());
                Frame pong;
                do {
                    pong = peer.frameOfType(Protocol.OK);
                } while (pong.id() != 900_000 + batch);
            }
            // half a frame, then the host goes away: the fragment is dropped
            peer.send(ByteBuffer.allocate(6).putInt(100).put((byte) 1).put((byte) 0).array());
        }
        agent = AgentConnection.connect(vm.agentSocket, BOOT);
        agent.ping();
        assertThat(vm.alive()).isTrue();
    }

    @Test
    @Order(99)
    void destroyPodPowersTheVmOff() throws Exception {
        agent.newContainer(new ContainerSpec("last", image, List.of()));
        start(ProcessSpec.init("last", List.of("sleep", "600"), List.of()), new Collector());
        agent.destroyPod();
        assertThat(vm.awaitExit(WAIT)).as("QEMU exits after DESTROY_POD").isTrue();
        assertThat(Files.readString(vm.console, StandardCharsets.ISO_8859_1)).contains("power off");
    }

    /** The host side spoken by hand, to send what AgentConnection never would. */
    private static final class RawPeer {
        private final SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocate(1 << 17);

        RawPeer(SocketChannel ch) {
            this.ch = ch;
            in.flip();
        }

        void send(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        void sync(long nonce) throws IOException {
            send(ByteBuffer.allocate(16).put(Protocol.SYNC_MAGIC).putLong(nonce).array());
            byte[] ack = ByteBuffer.allocate(16).put(Protocol.ACK_MAGIC).putLong(nonce).array();
            while (true) {
                fill(16);
                byte[] head = new byte[16];
                in.get(in.position(), head);
                if (java.util.Arrays.equals(head, ack)) {
                    in.position(in.position() + 16);
                    return;
                }
                in.get(); // skip one byte: whatever was before the ACK
            }
        }

        Frame frameOfType(int type) throws Exception {
            while (true) {
                fill(4);
                Frame f;
                while ((f = Frame.decode(in)) == null) {
                    fill(in.remaining() + 1);
                }
                if (f.type() == type) {
                    return f;
                }
            }
        }

        String message(Frame f) {
            return Tlv.parse(f.payload()).string(Protocol.TAG_MESSAGE, "");
        }

        private void fill(int atLeast) throws IOException {
            while (in.remaining() < atLeast) {
                in.compact();
                if (ch.read(in) < 0) {
                    throw new IOException("guest closed");
                }
                in.flip();
            }
        }
    }
}
