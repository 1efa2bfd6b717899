package io.hypernetes.client.informer;

import io.hypernetes.client.KubeClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The informers of one process (or one set of components in it): one {@link Informer}, so one list and one watch,
 * per collection path and selectors, whoever asks for it, started on first use. Components add their own handlers
 * to the shared informer and remove them ({@link Informer.Registration#close}) when they stop; {@link #close}
 * stops every informer.
 */
public final class InformerFactory implements AutoCloseable {
    private record Key(String path, String labelSelector, String fieldSelector) {}

    private final KubeClient client;
    private final Informer.Options options;
    private final Map<Key, Informer> informers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public InformerFactory(KubeClient client) {
        this(client, Informer.Options.DEFAULT);
    }

    public InformerFactory(KubeClient client, Informer.Options options) {
        this.client = client;
        this.options = options;
    }

    /** The client the informers read with, for the components' writes. */
    public KubeClient client() {
        return client;
    }

    /** The shared informer of every object of {@code path}. */
    public Informer informer(String path) {
        return informer(path, null, null);
    }

    /** The shared informer of {@code path}'s objects matching the selectors (null or empty for none), started. */
    public Informer informer(String path, String labelSelector, String fieldSelector) {
        if (closed) throw new IllegalStateException("informer factory closed");
        Key key = new Key(path, labelSelector == null ? "" : labelSelector.strip(), fieldSelector == null ? "" : fieldSelector.strip());
        Informer informer = informers.computeIfAbsent(key, k -> new Informer(client, k.path(), k.labelSelector(), k.fieldSelector(), options));
        informer.start();
        if (closed) informer.close(); // raced with close(): leave nothing running
        return informer;
    }

    /** The informers made so far. */
    public List<Informer> informers() {
        return List.copyOf(informers.values());
    }

    /** Stops every informer (the client stays open: it is the caller's). */
    @Override
    public void close() {
        closed = true;
        informers.values().forEach(Informer::close);
    }
}
