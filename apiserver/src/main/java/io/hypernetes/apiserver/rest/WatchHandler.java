package io.hypernetes.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.api.json.Meta;
import io.hypernetes.api.protobuf.Protobuf;
import io.hypernetes.apiserver.ApiException;
import io.hypernetes.http.HttpExchange;
import io.hypernetes.apiserver.registry.ResourceStore;
import io.hypernetes.store.CompactedException;
import io.hypernetes.store.Store;
import io.hypernetes.store.WatchClosedException;
import io.hypernetes.store.WatchEvent;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Watch as Kubernetes streams it: a chunked response of {@code {"type": ..., "object": ...}} lines.
 *
 * <p>Without a resourceVersion (or with "0") the stream opens with ADDED events for every current object, then
 * follows changes; with one, it replays every change after it, or sends a 410 Expired ERROR event when that
 * history is compacted (clients then relist). Selectors apply to both sides of a change, so an object that stops
 * matching is reported DELETED and one that starts matching ADDED, as the Kubernetes watch cache does.
 * Bookmarks carry the latest revision when nothing else happens; the stream ends after {@code timeoutSeconds}.
 */
final class WatchHandler {
    /** Kubernetes' default: a watch lasts between the minimum request timeout and twice that. */
    private static final Duration MIN_REQUEST_TIMEOUT = Duration.ofMinutes(30);

    private final Store store;
    private final ObjectChecks checks;
    private final Duration bookmarkInterval;
    private final AtomicInteger open = new AtomicInteger();
    private final EventCache cache = new EventCache();
    private final PodsByNodeWatch podsByNode;

    WatchHandler(Store store, ObjectChecks checks, Duration bookmarkInterval) {
        this.store = store;
        this.checks = checks;
        this.bookmarkInterval = bookmarkInterval;
        this.podsByNode = new PodsByNodeWatch(store, cache);
    }

    int openWatches() {
        return open.get();
    }

    void watchOne(HttpExchange ex, Target t, ResourceStore resources) throws InterruptedException {
        Predicate<JsonNode> sel = ResourceHandler.selector(checks, ex, t);
        String name = t.name();
        Predicate<JsonNode> byName = o -> Meta.name(o).equals(name);
        watch(ex, t, resources, sel == null ? byName : byName.and(sel));
    }

    void watch(HttpExchange ex, Target t, ResourceStore resources) throws InterruptedException {
        watch(ex, t, resources, ResourceHandler.selector(checks, ex, t));
    }

    private void watch(HttpExchange ex, Target t, ResourceStore resources, Predicate<JsonNode> selected) throws InterruptedException {
        // the initial list filters by visibility itself; changes are filtered here, on both sides, like selectors
        Predicate<JsonNode> visible = resources.visibility();
        Predicate<JsonNode> filter = visible == null ? selected : selected == null ? visible : visible.and(selected);
        MediaTypes.Output out = MediaTypes.negotiate(ex.header("Accept"), true);
        String rv = ex.query("resourceVersion");
        long from = ResourceHandler.parseResourceVersion(rv);
        boolean bookmarks = ex.queryBool("allowWatchBookmarks", false);
        boolean initialEvents = ex.queryBool("sendInitialEvents", false);
        if (ex.query("sendInitialEvents") != null) {
            // the end of the initial events is a bookmark, so a client that cannot take bookmarks cannot ask
            if (!"NotOlderThan".equals(ex.query("resourceVersionMatch"))) {
                throw ApiException.badRequest("sendInitialEvents is forbidden unless resourceVersionMatch is NotOlderThan");
            }
            if (!bookmarks) throw ApiException.badRequest("sendInitialEvents requires setting allowWatchBookmarks to true");
        }
        long spread = MIN_REQUEST_TIMEOUT.toSeconds();
        Duration timeout = ResourceHandler.timeout(ex, Duration.ofSeconds(spread + ThreadLocalRandom.current().nextLong(spread)));
        Instant deadline = Instant.now().plus(timeout);

        List<ObjectNode> initial = List.of();
        long start;
        if (from == 0 || initialEvents) {
            ResourceStore.Page<ObjectNode> page = resources.list(t.namespace(), selected, 0, null, 0);
            initial = page.items();
            start = page.revision() + 1;
        } else {
            start = from + 1;
        }
        String prefix = watchPrefix(t);
        EventEncoder encoder = new EventEncoder(t, out, ex.query("includeObject"), cache);
        Store.Watch w;
        try {
            // a node's pods: from the shared index by spec.nodeName rather than a cursor of its own over every pod change
            String node = prefix.equals(PodsByNodeWatch.PREFIX) ? PodsByNodeWatch.node(ex.query("fieldSelector")) : null;
            w = node != null ? podsByNode.watch(node, start) : store.watch(prefix, Store.prefixEnd(prefix), start);
        } catch (CompactedException e) {
            HttpExchange.Stream s = ex.stream(200, encoder.contentType());
            s.write(encoder.encode("ERROR", ApiException.gone("too old resource version: " + from + " (" + e.compactedRevision() + ")").status()));
            s.close();
            return;
        }
        Runnable forget = ex.onClose(w::close);
        HttpExchange.Stream stream;
        try {
            stream = ex.stream(200, encoder.contentType());
        } catch (RuntimeException e) {
            forget.run();
            w.close();
            throw e;
        }
        open.incrementAndGet();
        try {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (ObjectNode o : initial) batch.writeBytes(encoder.event("ADDED", o));
            if (initialEvents) {
                ObjectNode b = bookmark(t, start - 1);
                Meta.metadata(b).putObject("annotations").put("k8s.io/initial-events-end", "true");
                batch.writeBytes(encoder.encode("BOOKMARK", b));
            }
            if (batch.size() > 0) stream.write(batch.toByteArray());
            Instant lastSent = Instant.now();
            while (ex.isOpen()) {
                Duration left = Duration.between(Instant.now(), deadline);
                if (left.isNegative() || left.isZero()) break;
                List<WatchEvent> events = w.poll(bookmarks && left.compareTo(bookmarkInterval) > 0 ? bookmarkInterval : left);
                batch.reset();
                for (WatchEvent e : events) {
                    byte[] line = encoder.change(e, filter);
                    if (line != null) batch.writeBytes(line);
                }
                if (batch.size() > 0) {
                    stream.write(batch.toByteArray());
                    lastSent = Instant.now();
                } else if (bookmarks && Duration.between(lastSent, Instant.now()).compareTo(bookmarkInterval) >= 0) {
                    stream.write(encoder.encode("BOOKMARK", bookmark(t, w.progressRevision())));
                    lastSent = Instant.now();
                }
            }
        } catch (CompactedException e) {
            stream.write(encoder.encode("ERROR", ApiException.gone("too old resource version: " + from + " (" + e.compactedRevision() + ")").status()));
        } catch (WatchClosedException e) {
            // the client went away or the server is stopping
        } finally {
            open.decrementAndGet();
            forget.run();
            w.close();
            stream.close();
        }
    }

    private static String watchPrefix(Target t) {
        String base = "/registry/" + t.type().plural() + "/";
        return t.type().namespaced() && t.namespace() != null ? base + t.namespace() + "/" : base;
    }

    private static ObjectNode bookmark(Target t, long revision) {
        ObjectNode b = Json.object().put("kind", t.type().kind()).put("apiVersion", t.type().apiVersion());
        b.putObject("metadata").put("resourceVersion", Long.toString(revision));
        return b;
    }

    static byte[] line(String type, JsonNode object) {
        ObjectNode e = Json.object().put("type", type);
        e.set("object", object);
        byte[] json = Json.bytes(e);
        byte[] withNewline = Arrays.copyOf(json, json.length + 1);
        withNewline[json.length] = '\n';
        return withNewline;
    }

    /**
     * Store changes decoded once, and their plain-object events encoded once, for every watcher of the server: with
     * W watchers of a resource an update costs one decode and one encoding per representation, not W. Keyed by
     * revision, which names one change of one key. Bounded by count and by the stored size of the changes it holds,
     * oldest out first, so watchers a few thousand changes behind still hit it and large objects cannot exhaust
     * memory; a miss only costs a decode.
     */
    static final class EventCache {
        private static final int MAX_CHANGES = 4096;
        private static final long MAX_BYTES = 64L << 20;

        /** One change, decoded; objects here are shared and must not be modified. */
        record Change(ObjectNode prev, ObjectNode cur, Map<String, byte[]> encoded, long bytes) {}

        private final ConcurrentSkipListMap<Long, Change> changes = new ConcurrentSkipListMap<>();
        private final AtomicLong bytes = new AtomicLong();

        Change change(WatchEvent e) {
            long revision = e.revision();
            Change c = changes.get(revision);
            if (c != null) return c;
            long size = (e.prevKv() == null ? 0 : e.prevKv().value().length)
                    + (e.type() == WatchEvent.Type.DELETE ? 0 : e.kv().value().length);
            c = new Change(
                    e.prevKv() == null ? null : ResourceStore.decode(e.prevKv().value(), revision),
                    e.type() == WatchEvent.Type.DELETE ? null : ResourceStore.decode(e.kv().value(), revision),
                    new ConcurrentHashMap<>(), size);
            Change raced = changes.putIfAbsent(revision, c);
            if (raced != null) return raced;
            // the encodings at most triple what the stored values take, so the value size stands for the entry
            bytes.addAndGet(size * 3);
            while (changes.size() > MAX_CHANGES || bytes.get() > MAX_BYTES) {
                Map.Entry<Long, Change> oldest = changes.pollFirstEntry();
                if (oldest == null) break;
                bytes.addAndGet(-oldest.getValue().bytes() * 3);
            }
            return c;
        }
    }

    /** Turns store changes into watch events in the representation the client asked for. */
    private static final class EventEncoder {
        private final Target target;
        private final MediaTypes.Output out;
        private final String includeObject;
        private final EventCache cache;
        private boolean columnsSent;

        EventEncoder(Target target, MediaTypes.Output out, String includeObject, EventCache cache) {
            this.target = target;
            this.out = out;
            this.includeObject = includeObject;
            this.cache = cache;
        }

        /** Kubernetes streams protobuf events length-prefixed, JSON events one per line. */
        String contentType() {
            return out.protobuf() ? MediaTypes.PROTOBUF + ";stream=watch" : MediaTypes.JSON;
        }

        byte[] encode(String type, JsonNode object) {
            return out.protobuf() ? Protobuf.frame(Protobuf.core().encodeWatchEvent(type, object)) : line(type, object);
        }

        byte[] event(String type, ObjectNode obj) {
            JsonNode body = switch (out.shape()) {
                case TABLE -> {
                    ObjectNode table = Tables.table(target.type(), List.of(obj), includeObject, !columnsSent);
                    columnsSent = true;
                    Meta.metadata(table).put("resourceVersion", Meta.resourceVersion(obj));
                    yield table;
                }
                case METADATA -> Tables.partialMetadata(obj);
                case OBJECT -> obj;
            };
            return encode(type, body);
        }

        /** The event of a shared change; plain objects are encoded once for all watchers that want the same bytes. */
        private byte[] event(String type, ObjectNode obj, EventCache.Change change) {
            if (out.shape() != MediaTypes.Shape.OBJECT) return event(type, obj);
            return change.encoded().computeIfAbsent(type + " " + out.contentType(), k -> event(type, obj));
        }

        /** The event for one store change, or null when the selector hides it on both sides. */
        byte[] change(WatchEvent e, Predicate<JsonNode> filter) {
            EventCache.Change c = cache.change(e);
            ObjectNode prev = c.prev();
            boolean prevMatches = prev != null && (filter == null || filter.test(prev));
            if (e.type() == WatchEvent.Type.DELETE) {
                return prevMatches ? event("DELETED", prev, c) : null;
            }
            ObjectNode cur = c.cur();
            boolean curMatches = filter == null || filter.test(cur);
            if (curMatches) return event(prev == null || !prevMatches ? "ADDED" : "MODIFIED", cur, c);
            // as Kubernetes' watch cache: the object as the watcher last saw it, at the revision it left the selector
            return prevMatches ? event("DELETED", prev, c) : null;
        }
    }
}
