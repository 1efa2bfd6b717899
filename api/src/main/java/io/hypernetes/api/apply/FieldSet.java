package io.hypernetes.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A set of field paths, stored as a trie the way {@code FieldsV1} spells it: at each level the elements that are
 * themselves in the set ("members") and the elements with members further down ("children"). A path can be both:
 * a label map somebody created and one of its keys.
 *
 * <p>Instances are immutable once handed out; the set algebra returns new sets. Only this package builds sets
 * incrementally, through {@link #insert}, on instances it has not published yet.
 */
public final class FieldSet {
    private final TreeSet<PathElement> members = new TreeSet<>();
    private final TreeMap<PathElement, FieldSet> children = new TreeMap<>();

    FieldSet() {}

    public static FieldSet empty() {
        return new FieldSet();
    }

    public static FieldSet of(FieldPath... paths) {
        FieldSet s = new FieldSet();
        for (FieldPath p : paths) s.insert(p.elements());
        return s;
    }

    // ---- FieldsV1

    /**
     * Reads a {@code FieldsV1} object. Anything that is not one (a non-object, an unknown key form, a "." that does
     * not map to {@code {}}) is an {@link IllegalArgumentException} saying what.
     */
    public static FieldSet fromFieldsV1(JsonNode fields) {
        if (fields == null || fields.isNull()) return new FieldSet();
        if (!(fields instanceof ObjectNode o)) throw new IllegalArgumentException("FieldsV1 must be a JSON object");
        FieldSet s = new FieldSet();
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            if (e.getKey().equals(".")) continue;
            PathElement pe = PathElement.parse(e.getKey());
            JsonNode v = e.getValue();
            if (!(v instanceof ObjectNode child)) throw new IllegalArgumentException("FieldsV1 entry \"" + e.getKey() + "\" must be an object");
            if (child.has(".") && !(child.get(".") instanceof ObjectNode dot && dot.isEmpty())) {
                throw new IllegalArgumentException("FieldsV1 entry \".\" must be {}");
            }
            if (child.isEmpty() || child.has(".")) s.members.add(pe);
            FieldSet sub = fromFieldsV1(child);
            if (!sub.isEmpty()) s.children.put(pe, sub);
        }
        return s;
    }

    /** The {@code FieldsV1} spelling: elements in order, "." first where an element is a member with children. */
    public ObjectNode toFieldsV1() {
        ObjectNode out = Json.object();
        TreeSet<PathElement> all = new TreeSet<>(members);
        all.addAll(children.keySet());
        for (PathElement pe : all) {
            FieldSet child = children.get(pe);
            ObjectNode node = Json.object();
            if (child != null) {
                if (members.contains(pe)) node.putObject(".");
                node.setAll(child.toFieldsV1());
            }
            out.set(pe.fieldsV1(), node);
        }
        return out;
    }

    // ---- queries

    public boolean isEmpty() {
        return members.isEmpty() && children.isEmpty();
    }

    public boolean has(FieldPath path) {
        FieldSet s = this;
        List<PathElement> es = path.elements();
        for (int i = 0; i < es.size() - 1; i++) {
            s = s.children.get(es.get(i));
            if (s == null) return false;
        }
        return !es.isEmpty() && s.members.contains(es.getLast());
    }

    /** Every member path, in FieldsV1 order. */
    public List<FieldPath> paths() {
        List<FieldPath> out = new ArrayList<>();
        collect(new ArrayList<>(), out);
        return out;
    }

    private void collect(List<PathElement> prefix, List<FieldPath> out) {
        TreeSet<PathElement> all = new TreeSet<>(members);
        all.addAll(children.keySet());
        for (PathElement pe : all) {
            prefix.add(pe);
            if (members.contains(pe)) out.add(new FieldPath(prefix));
            FieldSet c = children.get(pe);
            if (c != null) c.collect(prefix, out);
            prefix.removeLast();
        }
    }

    boolean isMember(PathElement pe) {
        return members.contains(pe);
    }

    /** The members below {@code pe}, relative to it; empty when there are none. */
    FieldSet child(PathElement pe) {
        FieldSet c = children.get(pe);
        return c == null ? EMPTY : c;
    }

    /** Whether {@code pe} or anything below it is in the set. */
    boolean touches(PathElement pe) {
        return members.contains(pe) || children.containsKey(pe);
    }

    private static final FieldSet EMPTY = new FieldSet();

    // ---- algebra

    public FieldSet union(FieldSet other) {
        FieldSet out = copy();
        out.addAll(other);
        return out;
    }

    public FieldSet difference(FieldSet other) {
        FieldSet out = new FieldSet();
        for (PathElement m : members) if (!other.members.contains(m)) out.members.add(m);
        children.forEach((pe, c) -> {
            FieldSet o = other.children.get(pe);
            FieldSet d = o == null ? c.copy() : c.difference(o);
            if (!d.isEmpty()) out.children.put(pe, d);
        });
        return out;
    }

    public FieldSet intersection(FieldSet other) {
        FieldSet out = new FieldSet();
        for (PathElement m : members) if (other.members.contains(m)) out.members.add(m);
        children.forEach((pe, c) -> {
            FieldSet o = other.children.get(pe);
            if (o == null) return;
            FieldSet i = c.intersection(o);
            if (!i.isEmpty()) out.children.put(pe, i);
        });
        return out;
    }

    // ---- building (package-private: only on sets not yet published)

    void insert(List<PathElement> path) {
        if (path.isEmpty()) return;
        FieldSet s = this;
        for (int i = 0; i < path.size() - 1; i++) s = s.children.computeIfAbsent(path.get(i), k -> new FieldSet());
        s.members.add(path.getLast());
    }

    private void addAll(FieldSet other) {
        members.addAll(other.members);
        other.children.forEach((pe, c) -> children.computeIfAbsent(pe, k -> new FieldSet()).addAll(c));
    }

    private FieldSet copy() {
        FieldSet out = new FieldSet();
        out.addAll(this);
        return out;
    }

    // ---- identity

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldSet s && members.equals(s.members) && children.equals(s.children);
    }

    @Override
    public int hashCode() {
        return Objects.hash(members, children);
    }

    /** The member paths, one per line; for test failures and logs. */
    @Override
    public String toString() {
        return String.join("\n", paths().stream().map(FieldPath::toString).toList());
    }

    Map<PathElement, FieldSet> childrenView() {
        return Collections.unmodifiableMap(children);
    }
}
