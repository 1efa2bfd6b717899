package io.hypernetes.api.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An apply that would change fields other managers own, refused because it was not forced. The message is worded
 * as Kubernetes words it, since kubectl prints it verbatim and adds its own advice after it.
 */
public final class ApplyConflictException extends RuntimeException {

    /**
     * One contested field. {@code manager} is the owner as Kubernetes prints it, quoted, with
     * {@code using <apiVersion>} for updaters: {@code "kubectl-label" using v1}.
     */
    public record Conflict(String manager, FieldPath path) {
        public String message() {
            return "conflict with " + manager;
        }
    }

    private final List<Conflict> conflicts;

    ApplyConflictException(List<Conflict> conflicts) {
        super(message(conflicts));
        this.conflicts = List.copyOf(conflicts);
    }

    public List<Conflict> conflicts() {
        return conflicts;
    }

    private static String message(List<Conflict> conflicts) {
        if (conflicts.size() == 1) {
            Conflict c = conflicts.getFirst();
            return "Apply failed with 1 conflict: conflict with " + c.manager() + ": " + c.path();
        }
        Map<String, List<FieldPath>> byManager = new TreeMap<>();
        for (Conflict c : conflicts) byManager.computeIfAbsent(c.manager(), k -> new ArrayList<>()).add(c.path());
        List<String> lines = new ArrayList<>();
        byManager.forEach((m, paths) -> {
            lines.add("conflicts with " + m + ":");
            paths.forEach(p -> lines.add("- " + p));
        });
        return "Apply failed with " + conflicts.size() + " conflicts: " + String.join("\n", lines);
    }
}
