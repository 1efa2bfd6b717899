package io.hypernetes.identity.http;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A routing table of {@code METHOD /path/{}/pattern}s. A {@code {}} segment captures one path segment (already
 * percent-decoded, so it can never contain a {@code /} that would shift the others). A path no route has is a
 * 404; a known path with another method is a 405 naming the allowed ones; {@code HEAD} runs the {@code GET}
 * route when there is no {@code HEAD} route of its own, as Keystone's Flask routes do.
 */
final class Router {
    @FunctionalInterface
    interface Action {
        Reply handle(Call call);
    }

    record Match(Action action, List<String> params) {}

    private record Route(String method, String[] pattern, Action action) {}

    private final List<Route> routes = new ArrayList<>();

    Router add(String method, String pattern, Action action) {
        routes.add(new Route(method, segments(pattern), action));
        return this;
    }

    /** @throws KeystoneError 404 for an unknown path, 405 for a method the path does not take */
    Match route(String method, String path) {
        String[] segments = segments(path);
        Set<String> allowed = new LinkedHashSet<>();
        Match getFallback = null;
        for (Route r : routes) {
            List<String> params = match(r.pattern(), segments);
            if (params == null) continue;
            if (r.method().equals(method)) return new Match(r.action(), params);
            allowed.add(r.method());
            if (method.equals("HEAD") && r.method().equals("GET")) getFallback = new Match(r.action(), params);
        }
        if (getFallback != null) return getFallback;
        if (allowed.isEmpty()) throw new KeystoneError(404, "The resource could not be found.");
        if (allowed.contains("GET")) allowed.add("HEAD");
        throw new KeystoneError(405, "The method " + Fields.printable(method) + " is not supported for this resource; allowed: "
                + String.join(", ", allowed) + ".", java.util.Map.of("Allow", String.join(", ", allowed)));
    }

    private static List<String> match(String[] pattern, String[] segments) {
        if (pattern.length != segments.length) return null;
        List<String> params = new ArrayList<>();
        for (int i = 0; i < pattern.length; i++) {
            if (pattern[i].equals("{}")) {
                if (segments[i].isEmpty()) return null;
                params.add(segments[i]);
            } else if (!pattern[i].equals(segments[i])) {
                return null;
            }
        }
        return params;
    }

    /** "/v3/projects/x/" → [v3, projects, x]: one trailing slash is tolerated (keystoneauth asks for {@code /v3/}). */
    private static String[] segments(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }
}
