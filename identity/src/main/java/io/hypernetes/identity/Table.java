package io.hypernetes.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.store.KeyExistsException;
import io.hypernetes.store.KeyNotFoundException;
import io.hypernetes.store.KeyValue;
import io.hypernetes.store.RevisionMismatchException;
import io.hypernetes.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * One kind of identity object in the Store: {@code /identity/<kind>/<id>} holds the JSON, and
 * {@code /identity/names/<kind>/<scope>/<name>} holds the id, so names stay unique.
 *
 * <p>The Store has no multi-key transactions, so the object key is the truth and the name key is a claim on a
 * name, taken with create-if-absent <em>before</em> the object is written and released after it is gone.
 * A crash in between leaves a claim whose object is missing or now has another name; such an orphan is
 * recognised on the next use of that name (the object it points at does not carry it) and cleared by a
 * conditional delete, so a crash can block a name only until someone wants it. A claim looks exactly like that
 * while its create or rename is still in flight, so a claim is judged orphaned only once it is older than
 * {@link #ORPHAN_AFTER}: writes finish in milliseconds, and a crashed claim costs that name a minute at most.
 */
final class Table<T> {
    static final String ROOT = "/identity/";
    private static final int ATTEMPTS = 16;
    static final java.time.Duration ORPHAN_AFTER = java.time.Duration.ofMinutes(1);

    /** How one kind maps to JSON and to its name claim. */
    interface Codec<T> {
        String kind();

        String id(T value);

        String name(T value);

        /** Where the name must be unique: a domain id, or "-" for kinds unique everywhere. */
        String nameScope(T value);

        ObjectNode toJson(T value);

        T fromJson(JsonNode json);
    }

    record Versioned<T>(T value, long modRevision) {}

    private final Store store;
    private final Codec<T> codec;
    private final java.time.Clock clock;
    /**
     * Writers to one id in this process take turns, so optimistic retries are only needed against other
     * processes; without this, twenty concurrent updates of one project can each lose the race sixteen times.
     */
    private final ReentrantLock[] writeLocks = new ReentrantLock[64];

    Table(Store store, Codec<T> codec, java.time.Clock clock) {
        this.store = store;
        this.codec = codec;
        this.clock = clock;
        for (int i = 0; i < writeLocks.length; i++) writeLocks[i] = new ReentrantLock();
    }

    private ReentrantLock writeLock(String id) {
        return writeLocks[Math.floorMod(id.hashCode(), writeLocks.length)];
    }

    /** A claim's value: the id it is for and when it was taken. */
    static byte[] claim(String id, java.time.Instant at) {
        return (id + " " + at.toEpochMilli()).getBytes(StandardCharsets.US_ASCII);
    }

    private static String claimHolder(KeyValue claim) {
        String value = new String(claim.value(), StandardCharsets.US_ASCII);
        int space = value.indexOf(' ');
        return space < 0 ? value : value.substring(0, space);
    }

    private boolean claimOldEnough(KeyValue claim) {
        String value = new String(claim.value(), StandardCharsets.US_ASCII);
        int space = value.indexOf(' ');
        try {
            long at = space < 0 ? 0 : Long.parseLong(value.substring(space + 1));
            return clock.millis() - at > ORPHAN_AFTER.toMillis();
        } catch (NumberFormatException e) {
            return true;
        }
    }

    String key(String id) {
        return ROOT + codec.kind() + "/" + id;
    }

    String nameKey(String scope, String name) {
        return ROOT + "names/" + codec.kind() + "/" + scope + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    private String nameKey(T value) {
        return nameKey(codec.nameScope(value), codec.name(value));
    }

    T create(T value) {
        String id = codec.id(value);
        KeyValue claim = claimName(value);
        try {
            store.create(key(id), Json.bytes(codec.toJson(value)));
        } catch (KeyExistsException e) {
            release(claim.key(), id);
            throw new ConflictException(codec.kind() + " id " + id + " already exists");
        }
        return value;
    }

    Optional<Versioned<T>> get(String id) {
        return store.get(key(id)).map(this::decode);
    }

    Optional<T> byName(String scope, String name) {
        // Names from requests are unchecked: nothing longer than any valid name may become a Store key.
        if (name == null || name.isEmpty() || name.length() > 2 * User.MAX_NAME) return Optional.empty();
        return store.get(nameKey(scope, name))
                .flatMap(claim -> get(claimHolder(claim)))
                .map(Versioned::value)
                .filter(found -> codec.name(found).equals(name) && codec.nameScope(found).equals(scope));
    }

    List<T> list() {
        String prefix = ROOT + codec.kind() + "/";
        List<T> out = new ArrayList<>();
        for (KeyValue kv : store.range(prefix, Store.prefixEnd(prefix), 0, 0).kvs()) {
            out.add(decode(kv).value());
        }
        return out;
    }

    /** Applies {@code change} to the current value, retrying if someone else wrote in between. */
    T update(String id, UnaryOperator<T> change) {
        var lock = writeLock(id);
        lock.lock();
        try {
            return updateLocked(id, change);
        } finally {
            lock.unlock();
        }
    }

    private T updateLocked(String id, UnaryOperator<T> change) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Versioned<T> current = get(id).orElseThrow(() -> notFound(id));
            T next = change.apply(current.value());
            if (!codec.id(next).equals(id)) throw new ValidationException(codec.kind() + " id cannot change");
            if (!codec.nameScope(next).equals(codec.nameScope(current.value()))) {
                throw new ValidationException(codec.kind() + " domain_id cannot change");
            }
            boolean renamed = !nameKey(next).equals(nameKey(current.value()));
            KeyValue claim = renamed ? claimName(next) : null;
            try {
                store.update(key(id), Json.bytes(codec.toJson(next)), current.modRevision());
            } catch (RevisionMismatchException | KeyNotFoundException e) {
                if (claim != null) release(claim.key(), id);
                continue;
            }
            if (renamed) release(nameKey(current.value()), id);
            return next;
        }
        throw new ConflictException(codec.kind() + " " + id + " is changing too fast; try again");
    }

    /** Deletes the object if {@code allowed} accepts its current value (which throws to refuse). */
    T delete(String id, java.util.function.Consumer<T> allowed) {
        var lock = writeLock(id);
        lock.lock();
        try {
            return deleteLocked(id, allowed);
        } finally {
            lock.unlock();
        }
    }

    private T deleteLocked(String id, java.util.function.Consumer<T> allowed) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Versioned<T> current = get(id).orElseThrow(() -> notFound(id));
            allowed.accept(current.value());
            try {
                store.delete(key(id), current.modRevision());
            } catch (RevisionMismatchException e) {
                continue;
            } catch (KeyNotFoundException e) {
                throw notFound(id);
            }
            release(nameKey(current.value()), id);
            return current.value();
        }
        throw new ConflictException(codec.kind() + " " + id + " is changing too fast; try again");
    }

    NotFoundException notFound(String id) {
        return new NotFoundException("Could not find " + codec.kind().replaceAll("s$", "") + ": " + id + ".");
    }

    private KeyValue claimName(T value) {
        String key = nameKey(value);
        byte[] id = claim(codec.id(value), clock.instant());
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                return store.create(key, id);
            } catch (KeyExistsException e) {
                KeyValue held = store.get(key).orElse(null);
                if (held == null) continue;
                String holder = claimHolder(held);
                boolean orphan = claimOldEnough(held)
                        && get(holder).map(v -> !nameKey(v.value()).equals(key)).orElse(true);
                if (!orphan) {
                    throw new ConflictException("Conflict occurred attempting to store " + codec.kind().replaceAll("s$", "")
                            + " - Duplicate entry: name '" + codec.name(value) + "' is taken"
                            + (codec.nameScope(value).equals("-") ? "" : " in domain " + codec.nameScope(value)) + ".");
                }
                try {
                    store.delete(key, held.modRevision());
                } catch (RevisionMismatchException | KeyNotFoundException raced) {
                    // someone else cleared or re-claimed it; look again
                }
            }
        }
        throw new ConflictException(codec.kind() + " name " + codec.name(value) + " is contended; try again");
    }

    /** Drops a name claim if it is still ours: a rename or re-create by someone else may already hold it. */
    private void release(String key, String id) {
        store.get(key).ifPresent(held -> {
            if (claimHolder(held).equals(id)) {
                try {
                    store.delete(key, held.modRevision());
                } catch (RevisionMismatchException | KeyNotFoundException raced) {
                    // changed hands meanwhile: not ours any more
                }
            }
        });
    }

    private Versioned<T> decode(KeyValue kv) {
        try {
            return new Versioned<>(codec.fromJson(Json.parse(kv.value())), kv.modRevision());
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt identity record at " + kv.key(), e);
        }
    }
}
