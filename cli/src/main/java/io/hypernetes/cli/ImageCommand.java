package io.hypernetes.cli;

import io.hypernetes.image.Image;
import io.hypernetes.image.ImageStore;
import io.hypernetes.image.RegistryConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hypernetes image}: the node's image store, for machines without a registry: {@code import} loads an OCI
 * image layout or a {@code docker save} archive, {@code list} shows what the node has. Run it while hyperd is
 * stopped, or on its own state directory before the first start.
 */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Import and list the node's images (for offline machines).",
        subcommands = {ImageCommand.Import.class, ImageCommand.ListImages.class})
final class ImageCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static ImageStore store(Path dataDir, String node) {
        return new ImageStore(dataDir.resolve("nodes").resolve(node).resolve("hyperd").resolve("images"), RegistryConfig.DEFAULT);
    }

    static final class Where {
        @Option(names = "--data-dir", defaultValue = ".data", description = "The cluster's data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--node", description = "The node whose store to use (default: this host's name, as `up` names its node).")
        String node;

        ImageStore store() throws Exception {
            return ImageCommand.store(dataDir, node != null ? node : Up.localNodeName());
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true, description = "Load an OCI image layout (directory or tar) or a `docker save` archive.")
    static final class Import implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Where where = new Where();

        @Parameters(paramLabel = "FILE", description = "The archive or layout directory.")
        Path file;

        @Override
        public Integer call() throws Exception {
            ImageStore store = where.store();
            List<Image> images = store.importArchive(file);
            for (Image image : images) {
                store.rootfs(image);
                System.out.printf("imported %s %s%n", image.id(), String.join(", ", image.repoTags()));
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the node's images.")
    static final class ListImages implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Where where = new Where();

        @Override
        public Integer call() throws Exception {
            for (Image image : where.store().list()) {
                System.out.printf("%-72s %s %6.1f MB%n", String.join(",", image.repoTags()), image.id().substring(0, 19), image.size() / 1e6);
            }
            return 0;
        }
    }
}
