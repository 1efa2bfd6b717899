package io.hypernetes.client.informer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Meta;
import io.hypernetes.client.KubeClient;
import io.hypernetes.client.informer.ObjectCache.Delta;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A list + watch cache of one resource collection, as client-go's shared informer: the current objects of
 * {@code path} (e.g. {@code /api/v1/pods}, {@code /api/v1/namespaces/x/pods}, {@code /api/v1/nodes}) that match
 * its label and field selectors, kept in memory, and handlers told of every change.
 *
 * <p>How it stays current: it lists the collection in pages ({@link Options#pageSize}, {@code limit}+{@code continue}),
 * then watches from the list's resourceVersion with bookmarks, and records the last resourceVersion it saw (events
 * and bookmarks). When a watch ends (the server's {@code timeoutSeconds}, a dropped connection, the API server
 * down) it watches again from that resourceVersion without relisting; only when the server answers 410 Gone (as
 * an HTTP status or an {@code ERROR} event: the history it needs is compacted) does it list again, and then it
 * tells the handlers the differences (adds, updates, deletes) so they converge. Failures are retried with capped
 * exponential backoff and jitter ({@link Options#initialBackoff} .. {@link Options#maxBackoff}). A watch that
 * stays silent for its timeout plus a minute (no event, no bookmark, no end) is taken for a dead connection and
 * dropped.
 *
 * <p>Threads: one virtual thread lists and watches, one virtual thread dispatches to the handlers, in order and
 * one call at a time. Reads ({@link #get}, {@link #list}, {@link #byIndex}) may come from any thread; the objects
 * are shared and must not be modified. Components normally get informers from an {@link InformerFactory}, which
 * shares one per collection and selectors.
 */
public final class Informer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Informer.class);
    /** How long past its timeout a silent watch is given before it counts as a dead connection. */
    private static final Duration STUCK_GRACE = Duration.ofMinutes(1);

    /**
     * @param watchTimeout the {@code timeoutSeconds} asked for each watch (whole seconds, at least 1); from a
     *     minute up, each watch asks a random value in {@code [t, 2t)}, as client-go does, so informers started
     *     together do not all rewatch together
     * @param pageSize {@code limit} of each list page
     * @param initialBackoff first wait after a failure, doubled per consecutive failure up to {@code maxBackoff}
     */
    public record Options(Duration watchTimeout, int pageSize, Duration initialBackoff, Duration maxBackoff) {
        public static final Options DEFAULT = new Options(Duration.ofMinutes(5), 500, Duration.ofMillis(200), Duration.ofSeconds(30));

        public Options {
            if (watchTimeout.toSeconds() < 1) throw new IllegalArgumentException("watch timeout under a second");
            if (pageSize < 1) throw new IllegalArgumentException("page size must be positive");
            new Backoff(initialBackoff, maxBackoff, () -> 0); // validates
        }

        public Options withWatchTimeout(Duration d) {
            return new Options(d, pageSize, initialBackoff, maxBackoff);
        }

        public Options withPageSize(int n) {
            return new Options(watchTimeout, n, initialBackoff, maxBackoff);
        }

        public Options withBackoff(Duration initial, Duration max) {
            return new Options(watchTimeout, pageSize, initial, max);
        }
    }

    /**
     * Counters since start: full lists (the first one and every relist after 410), list pages fetched, watches
     * opened (each resume is one), change events and bookmarks read, failures retried, handler calls that threw.
     */
    public record Stats(long lists, long pages, long watches, long events, long bookmarks, long failures, long handlerErrors) {}

    /** Removes a handler; calls already queued for it are dropped. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private final KubeClient client;
    private final String path;
    private final String labelSelector;
    private final String fieldSelector;
    private final Options options;
    private final ObjectCache cache = new ObjectCache();
    private final LinkedBlockingQueue<Runnable> dispatch = new LinkedBlockingQueue<>();
    private final CountDownLatch synced = new CountDownLatch(1);
    private final AtomicReference<KubeClient.WatchStream> stream = new AtomicReference<>();
    private final Backoff backoff;
    private final LongAdder lists = new LongAdder();
    private final LongAdder pages = new LongAdder();
    private final LongAdder watches = new LongAdder();
    private final LongAdder events = new LongAdder();
    private final LongAdder bookmarks = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder handlerErrors = new LongAdder();
    /** Written under {@code cache}'s lock, so a notification goes to exactly the handlers registered before it. */
    private volatile List<HandlerEntry> handlers = List.of();
    /** The last resourceVersion seen; null when the next step is a (re)list. */
    private volatile String resourceVersion;
    private volatile boolean running;
    private volatile boolean closed;
    private Thread reflector;
    private Thread dispatcher;

    /**
     * An informer of {@code path} (a collection path without query) with optional selectors (null or empty for
     * none); it does nothing until {@link #start}.
     */
    public Informer(KubeClient client, String path, String labelSelector, String fieldSelector, Options options) {
        if (path.contains("?")) throw new IllegalArgumentException("a collection path without query: " + path);
        this.client = client;
        this.path = path;
        this.labelSelector = labelSelector == null ? "" : labelSelector;
        this.fieldSelector = fieldSelector == null ? "" : fieldSelector;
        this.options = options;
        this.backoff = new Backoff(options.initialBackoff(), options.maxBackoff(), () -> ThreadLocalRandom.current().nextDouble());
    }

    /** Starts listing and watching (once; later calls do nothing). */
    public synchronized Informer start() {
        if (closed) throw new IllegalStateException("informer closed: " + this);
        if (running) return this;
        running = true;
        String name = "informer " + path + (labelSelector.isEmpty() ? "" : " l=" + labelSelector)
                + (fieldSelector.isEmpty() ? "" : " f=" + fieldSelector);
        dispatcher = Thread.ofVirtual().name(name + " dispatch").start(this::dispatchLoop);
        reflector = Thread.ofVirtual().name(name).start(this::run);
        return this;
    }

    public String path() {
        return path;
    }

    public String labelSelector() {
        return labelSelector;
    }

    public String fieldSelector() {
        return fieldSelector;
    }

    /**
     * Adds a handler. It is first told of every object already cached (as adds), then of every change after, in
     * order, on the dispatch thread.
     */
    public Registration addHandler(ResourceEventHandler handler) {
        HandlerEntry entry = new HandlerEntry(handler);
        synchronized (cache) {
            List<ObjectNode> existing = cache.list();
            List<HandlerEntry> next = new ArrayList<>(handlers);
            next.add(entry);
            handlers = List.copyOf(next);
            if (!existing.isEmpty()) {
                List<Delta> adds = existing.stream().<Delta>map(Delta.Added::new).toList();
                List<HandlerEntry> only = List.of(entry);
                dispatch.add(() -> deliver(adds, only));
            }
        }
        return () -> {
            entry.active = false;
            synchronized (cache) {
                List<HandlerEntry> next = new ArrayList<>(handlers);
                next.remove(entry);
                handlers = List.copyOf(next);
            }
        };
    }

    /**
     * Adds an index: {@code fn} answers the values an object is found under by {@link #byIndex} (e.g.
     * {@link #fieldIndex}{@code ("spec.nodeName")}). Cheap: kept up to date with each change. {@code fn} must not
     * modify the object.
     */
    public Informer addIndex(String name, Function<ObjectNode, Collection<String>> fn) {
        cache.addIndex(name, fn);
        return this;
    }

    /** An index function by one string field, given as a dotted path ({@code spec.nodeName}); unset = not indexed. */
    public static Function<ObjectNode, Collection<String>> fieldIndex(String dottedPath) {
        String[] parts = dottedPath.split("\\.");
        return obj -> {
            JsonNode n = obj;
            for (String p : parts) n = n.path(p);
            return n.isTextual() ? List.of(n.asText()) : List.of();
        };
    }

    /** True once the first list is in the cache and every handler registered by then has been told of it. */
    public boolean hasSynced() {
        return synced.getCount() == 0;
    }

    /** Waits until {@link #hasSynced}; false on timeout. */
    public boolean awaitSynced(Duration timeout) throws InterruptedException {
        return synced.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The cached objects (unordered). */
    public List<ObjectNode> list() {
        return cache.list();
    }

    /** A cached object; {@code namespace} null or empty for a cluster-scoped one. */
    public Optional<ObjectNode> get(String namespace, String name) {
        return Optional.ofNullable(cache.get(ObjectCache.key(namespace, name)));
    }

    public List<ObjectNode> byIndex(String index, String value) {
        return cache.byIndex(index, value);
    }

    /** The last resourceVersion seen (of the list, an event or a bookmark); null before the first list. */
    public String resourceVersion() {
        return resourceVersion;
    }

    public Stats stats() {
        return new Stats(lists.sum(), pages.sum(), watches.sum(), events.sum(), bookmarks.sum(), failures.sum(), handlerErrors.sum());
    }

    @Override
    public void close() {
        Thread r;
        Thread d;
        synchronized (this) {
            if (closed) return;
            closed = true;
            running = false;
            r = reflector;
            d = dispatcher;
        }
        KubeClient.WatchStream s = stream.get();
        if (s != null) s.close();
        for (Thread t : new Thread[] {r, d}) {
            if (t == null) continue;
            t.interrupt();
            if (t != Thread.currentThread()) {
                try {
                    t.join(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Informer[" + path + (labelSelector.isEmpty() ? "" : " labelSelector=" + labelSelector)
                + (fieldSelector.isEmpty() ? "" : " fieldSelector=" + fieldSelector) + "]";
    }

    // ---- list and watch ----

    private void run() {
        while (running) {
            try {
                if (resourceVersion == null) relist();
                if (running && !watch()) {
                    // the watch ended at once and said nothing: do not hammer the server
                    failures.increment();
                    pause(backoff.next());
                }
            } catch (RuntimeException e) {
                if (!running) break;
                failures.increment();
                Duration d = backoff.next();
                log.warn("{}: {}; retrying in {} ms ({} failures in a row)", this, e.getMessage(), d.toMillis(), backoff.failures());
                pause(d);
            }
        }
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            // close() interrupts; the loop checks running
        }
    }

    /** Lists the whole collection, replaces the cache with it and queues the differences for the handlers. */
    private void relist() {
        List<ObjectNode> items = new ArrayList<>();
        String listRv = null;
        String cont = null;
        boolean paged = true;
        do {
            Map<String, String> q = new LinkedHashMap<>();
            if (paged) q.put("limit", Integer.toString(options.pageSize()));
            if (cont != null) q.put("continue", cont);
            selectors(q);
            String url = path + query(q);
            KubeClient.Response r = client.get(url);
            if (r.code() == 410 && cont != null) {
                // the snapshot the pages came from is compacted: take the rest in one consistent answer
                log.info("{}: list continuation expired, listing again without paging", this);
                items.clear();
                cont = null;
                paged = false;
                continue;
            }
            if (r.code() != 200) throw new IllegalStateException("list " + url + ": HTTP " + r.code() + " " + r.text().strip());
            pages.increment();
            JsonNode body = r.json();
            String kind = body.path("kind").asText("");
            String itemKind = kind.endsWith("List") ? kind.substring(0, kind.length() - 4) : "";
            String apiVersion = body.path("apiVersion").asText("");
            for (JsonNode item : body.path("items")) {
                if (!(item instanceof ObjectNode o)) continue;
                // list items may leave out what their list says; watch events carry it, so the cache always does
                if (!o.has("kind") && !itemKind.isEmpty()) o.put("kind", itemKind);
                if (!o.has("apiVersion") && !apiVersion.isEmpty()) o.put("apiVersion", apiVersion);
                items.add(o);
            }
            listRv = body.path("metadata").path("resourceVersion").asText("");
            String next = body.path("metadata").path("continue").asText("");
            cont = next.isEmpty() ? null : next;
        } while (cont != null && running);
        if (!running) return;
        boolean first;
        synchronized (cache) {
            List<Delta> deltas = cache.replace(items);
            queue(deltas);
            first = lists.sum() == 0;
            lists.increment();
            if (first) dispatch.add(synced::countDown);
            resourceVersion = listRv.isEmpty() ? "0" : listRv;
        }
        log.debug("{}: listed {} objects at resourceVersion {}", this, items.size(), listRv);
    }

    /**
     * One watch from {@link #resourceVersion}. True when it ended as watches end (the server's timeout, 410 Gone:
     * relist next, closing); false when it ended at once without a word.
     */
    private boolean watch() {
        String from = resourceVersion;
        Map<String, String> q = new LinkedHashMap<>();
        q.put("watch", "true");
        q.put("allowWatchBookmarks", "true");
        long timeout = options.watchTimeout().toSeconds();
        if (timeout >= 60) timeout += ThreadLocalRandom.current().nextLong(timeout);
        q.put("timeoutSeconds", Long.toString(timeout));
        q.put("resourceVersion", from);
        selectors(q);
        KubeClient.WatchStream s = client.watch(path + query(q));
        stream.set(s);
        Thread watchdog = null;
        try {
            if (!running) return true;
            if (s.code() == 410) {
                log.info("{}: resourceVersion {} is gone (HTTP 410), relisting", this, from);
                resourceVersion = null;
                return true;
            }
            if (s.code() != 200) throw new IllegalStateException("watch " + path + ": HTTP " + s.code() + " " + s.errorText().strip());
            watches.increment();
            long stuckAfter = Duration.ofSeconds(timeout).plus(STUCK_GRACE).toMillis();
            AtomicBoolean heard = new AtomicBoolean();
            watchdog = Thread.ofVirtual().start(() -> {
                // closes the stream when it stays silent too long: a connection that died without closing
                try {
                    while (true) {
                        Thread.sleep(stuckAfter);
                        if (!heard.getAndSet(false)) break;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                log.warn("{}: watch silent for {} ms, reconnecting", this, stuckAfter);
                s.close();
            });
            Instant opened = Instant.now();
            long n = 0;
            for (Optional<JsonNode> e = s.next(); e.isPresent() && running; e = s.next()) {
                n++;
                heard.set(true);
                JsonNode ev = e.get();
                String type = ev.path("type").asText();
                JsonNode obj = ev.path("object");
                if (n == 1 && !type.equals("ERROR")) backoff.reset(); // a working watch ends a run of failures
                switch (type) {
                    case "ADDED", "MODIFIED", "DELETED" -> {
                        if (!(obj instanceof ObjectNode o)) throw new IllegalStateException("watch " + path + ": " + type + " event without an object");
                        events.increment();
                        synchronized (cache) {
                            Delta d = cache.apply(type, o);
                            if (d != null) queue(List.of(d));
                            String rv = Meta.resourceVersion(o);
                            if (!rv.isEmpty()) resourceVersion = rv;
                        }
                    }
                    case "BOOKMARK" -> {
                        bookmarks.increment();
                        String rv = obj.path("metadata").path("resourceVersion").asText("");
                        if (!rv.isEmpty()) resourceVersion = rv;
                    }
                    case "ERROR" -> {
                        int code = obj.path("code").asInt();
                        if (code == 410) {
                            log.info("{}: {} (410), relisting", this, obj.path("message").asText("resourceVersion gone"));
                            resourceVersion = null;
                            return true;
                        }
                        throw new IllegalStateException("watch " + path + ": " + obj.path("message").asText() + " (" + code + ")");
                    }
                    default -> log.debug("{}: ignoring watch event of type {}", this, type);
                }
            }
            // the server ended the watch (its timeout): the loop resumes from the last resourceVersion seen
            boolean healthy = n > 0 || Duration.between(opened, Instant.now()).toMillis() >= 500;
            if (healthy) backoff.reset();
            return healthy;
        } finally {
            stream.set(null);
            if (watchdog != null) watchdog.interrupt();
            s.close();
        }
    }

    private void selectors(Map<String, String> q) {
        if (!labelSelector.isEmpty()) q.put("labelSelector", labelSelector);
        if (!fieldSelector.isEmpty()) q.put("fieldSelector", fieldSelector);
    }

    /** A query string ({@code ?a=b&c=d}, values percent-encoded, space as {@code %20}); empty for no parameters. */
    static String query(Map<String, String> params) {
        if (params.isEmpty()) return "";
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            b.append(b.isEmpty() ? '?' : '&').append(e.getKey()).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return b.toString();
    }

    // ---- dispatch ----

    /** Caller holds {@code cache}'s lock, so notifications queue in the order of the changes. */
    private void queue(List<Delta> deltas) {
        if (deltas.isEmpty()) return;
        List<HandlerEntry> to = handlers;
        if (to.isEmpty()) return;
        dispatch.add(() -> deliver(deltas, to));
    }

    private void dispatchLoop() {
        while (running) {
            Runnable r;
            try {
                r = dispatch.take();
            } catch (InterruptedException e) {
                return;
            }
            r.run();
        }
    }

    private void deliver(List<Delta> deltas, List<HandlerEntry> to) {
        for (Delta d : deltas) {
            for (HandlerEntry h : to) {
                if (!h.active || !running) continue;
                try {
                    switch (d) {
                        case Delta.Added a -> h.handler.onAdd(a.obj());
                        case Delta.Updated u -> h.handler.onUpdate(u.oldObj(), u.newObj());
                        case Delta.Deleted x -> h.handler.onDelete(x.obj());
                    }
                } catch (RuntimeException | AssertionError e) {
                    handlerErrors.increment();
                    log.warn("{}: handler {} failed on {}", this, h.handler, describe(d), e);
                }
            }
        }
    }

    private static String describe(Delta d) {
        return switch (d) {
            case Delta.Added a -> "add of " + ObjectCache.key(a.obj());
            case Delta.Updated u -> "update of " + ObjectCache.key(u.newObj());
            case Delta.Deleted x -> "delete of " + ObjectCache.key(x.obj());
        };
    }

    private static final class HandlerEntry {
        final ResourceEventHandler handler;
        volatile boolean active = true;

        HandlerEntry(ResourceEventHandler handler) {
            this.handler = handler;
        }
    }
}
