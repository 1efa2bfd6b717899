package io.hypernetes.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads an ext4 image with e2fsprogs' debugfs, without mounting it. */
final class Debugfs {
    private Debugfs() {}

    /** One directory entry as {@code ls -p} prints it: {@code /inode/mode/uid/gid/name/size/}. */
    record Entry(String name, int mode, int uid, int gid, long size) {}

    static List<Entry> ls(Path image, String path) throws Exception {
        List<Entry> out = new ArrayList<>();
        for (String line : run(image, "ls -p " + path).split("\n")) {
            String[] parts = line.split("/", -1);
            if (parts.length >= 7 && !parts[5].equals(".") && !parts[5].equals("..")) {
                out.add(new Entry(parts[5], Integer.parseInt(parts[2], 8), Integer.parseInt(parts[3]), Integer.parseInt(parts[4]),
                        parts[6].isEmpty() ? 0 : Long.parseLong(parts[6])));
            }
        }
        return out;
    }

    static List<String> names(Path image, String path) throws Exception {
        return ls(image, path).stream().map(Entry::name).sorted().toList();
    }

    static String stat(Path image, String path) throws Exception {
        return run(image, "stat " + path);
    }

    static String cat(Path image, String path) throws Exception {
        return run(image, "cat " + path);
    }

    static String label(Path image) throws Exception {
        return TestRegistry.run(List.of("/usr/sbin/e2label", image.toString())).strip();
    }

    static String run(Path image, String request) throws Exception {
        return TestRegistry.run(List.of("/usr/sbin/debugfs", "-R", request, image.toString())).replaceFirst("^debugfs [^\n]*\n", "");
    }
}
