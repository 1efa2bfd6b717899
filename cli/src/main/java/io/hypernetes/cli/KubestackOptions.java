package io.hypernetes.cli;

import io.hypernetes.network.NetworkException;
import io.hypernetes.network.linux.LinuxConfig;
import io.hypernetes.network.linux.LinuxProvider;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of an in-process or stand-alone kubestack (linux provider), shared by {@code up}, {@code node} and {@code kubestack}. */
final class KubestackOptions {
    @Option(names = "--network-prefix", defaultValue = LinuxConfig.DEFAULT_PREFIX, paramLabel = "PREFIX",
            description = "Starts the name of every bridge, VXLAN, router namespace and nftables table kubestack makes "
                    + "(default: ${DEFAULT-VALUE}: bridge hnb7, router netns hnr-7); one per machine.")
    String prefix;

    @Option(names = "--underlay-address", paramLabel = "IP",
            description = "This host's address on the network between hosts: the VXLAN source (default: chosen by route).")
    String underlayAddress;

    @Option(names = "--internal-cidrs", split = ",", paramLabel = "CIDR",
            description = "Where tenants' traffic never goes through their routers, besides the hosts themselves (default: "
                    + "10.96.0.0/12 Services, 10.244.0.0/16 the nodes' default pod networks, 169.254.0.0/16 link-local and a "
                    + "cloud's metadata service); name a node's --pod-cidr here when it lies outside them.")
    List<String> internalCidrs = LinuxConfig.DEFAULT_INTERNAL;

    LinuxConfig config(Path stateDir) {
        LinuxConfig config = LinuxConfig.defaults(stateDir).withPrefix(prefix).withInternalRanges(internalCidrs);
        return underlayAddress == null ? config : config.withUnderlayLocal(underlayAddress);
    }

    LinuxProvider open(Path stateDir) throws NetworkException {
        return new LinuxProvider(config(stateDir));
    }
}
