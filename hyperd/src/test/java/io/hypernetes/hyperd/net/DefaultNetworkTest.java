package io.hypernetes.hyperd.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real bridge and taps (iproute2) on this host; the bridge has a name of its own and is removed at the end. */
class DefaultNetworkTest {
    private static final String BRIDGE = "hntest0";
    @TempDir
    Path state;

    @Test
    void givesEachVmItsOwnAddressKeepsThemAcrossRestartsAndRemovesTaps() throws Exception {
        Set<String> before = links();
        DefaultNetwork net = DefaultNetwork.open(BRIDGE, "10.250.7.0/29", state);
        Assumptions.assumeTrue(net.ready(), net.notReadyReason());
        try {
            Tap a = net.attach("pod-a").orElseThrow();
            Tap b = net.attach("pod-b").orElseThrow();
            assertThat(a.gateway()).isEqualTo("10.250.7.1");
            assertThat(a.prefix()).isEqualTo(29);
            assertThat(Set.of(a.ip(), b.ip())).hasSize(2).doesNotContain("10.250.7.0", "10.250.7.1", "10.250.7.7");
            assertThat(a.mac()).isNotEqualTo(b.mac()).startsWith("02:");
            assertThat(links()).contains(a.name(), b.name(), BRIDGE);
            assertThat(run("ip", "-o", "link", "show", a.name())).contains("master " + BRIDGE);
            assertThat(net.attach("pod-a")).contains(a); // asked again: the same tap

            DefaultNetwork restarted = DefaultNetwork.open(BRIDGE, "10.250.7.0/29", state);
            assertThat(restarted.tapOf("pod-a")).contains(a);
            assertThat(restarted.tapOf("pod-b")).contains(b);
            for (String pod : new String[] {"pod-c", "pod-d", "pod-e"}) {
                restarted.attach(pod);
            }
            assertThat(new HashSet<>(restarted.assignments().values())).hasSize(5);
            assertThatThrownBy(() -> restarted.attach("pod-f")).hasMessageContaining("is full");
            assertThat(links()).doesNotContain(DefaultNetwork.tapName("pod-f"));

            restarted.release("pod-a");
            assertThat(links()).doesNotContain(a.name());
            assertThat(restarted.attach("pod-f").orElseThrow().ip()).isEqualTo(a.ip());
            for (String pod : restarted.assignments().keySet()) {
                restarted.release(pod);
            }
            restarted.release("pod-a"); // idempotent
        } finally {
            net.removeBridge();
        }
        assertThat(links()).isEqualTo(before);
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        Set<String> before = links();
        assertThatThrownBy(() -> DefaultNetwork.open(BRIDGE, "10.250.7.1/29", state)).hasMessageContaining("host bits");
        assertThatThrownBy(() -> DefaultNetwork.open(BRIDGE, "10.250.7.0/31", state)).hasMessageContaining("outside 8..30");
        assertThatThrownBy(() -> DefaultNetwork.open("a-much-too-long-bridge", "10.250.7.0/29", state)).hasMessageContaining("bridge name");
        assertThat(links()).isEqualTo(before);
    }

    private static Set<String> links() {
        Set<String> names = new HashSet<>();
        for (String line : run("ip", "-o", "link").split("\n")) {
            String[] f = line.split(": ");
            if (f.length > 1) {
                names.add(f[1].split("@")[0]);
            }
        }
        return names;
    }

    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
