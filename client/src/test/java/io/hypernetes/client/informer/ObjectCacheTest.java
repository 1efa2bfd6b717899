package io.hypernetes.client.informer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hypernetes.api.json.Json;
import io.hypernetes.client.informer.ObjectCache.Delta;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectCacheTest {
    @Test
    void keysByNamespaceAndName() {
        assertThat(ObjectCache.key(pod("a", "ns", "1", null))).isEqualTo("ns/a");
        assertThat(ObjectCache.key("", "node-1")).isEqualTo("node-1");
        assertThat(ObjectCache.key(null, "node-1")).isEqualTo("node-1");
    }

    @Test
    void watchEventsBecomeDeltas() {
        ObjectCache c = new ObjectCache();
        ObjectNode v1 = pod("a", "ns", "1", null);
        ObjectNode v2 = pod("a", "ns", "2", null);
        assertThat(c.apply("ADDED", v1)).isEqualTo(new Delta.Added(v1));
        assertThat(c.apply("MODIFIED", v2)).isEqualTo(new Delta.Updated(v1, v2));
        // the same version again (a replay) changes nothing
        assertThat(c.apply("MODIFIED", v2.deepCopy())).isNull();
        assertThat(c.get("ns/a")).isEqualTo(v2);
        ObjectNode gone = pod("a", "ns", "3", null);
        assertThat(c.apply("DELETED", gone)).isEqualTo(new Delta.Deleted(gone));
        assertThat(c.get("ns/a")).isNull();
        // deleting what was never seen tells nobody
        assertThat(c.apply("DELETED", pod("b", "ns", "4", null))).isNull();
        // MODIFIED of an unknown object is an add
        ObjectNode b = pod("b", "ns", "5", null);
        assertThat(c.apply("MODIFIED", b)).isEqualTo(new Delta.Added(b));
    }

    @Test
    void replaceAnswersTheDifferences() {
        ObjectCache c = new ObjectCache();
        ObjectNode kept = pod("kept", "ns", "1", null);
        ObjectNode changed = pod("changed", "ns", "2", null);
        ObjectNode gone = pod("gone", "ns", "3", null);
        assertThat(c.replace(List.of(kept, changed, gone))).hasSize(3).allMatch(d -> d instanceof Delta.Added);

        ObjectNode changed2 = pod("changed", "ns", "7", null);
        ObjectNode fresh = pod("fresh", "ns", "8", null);
        List<Delta> deltas = c.replace(List.of(kept.deepCopy(), changed2, fresh));
        assertThat(deltas).containsExactlyInAnyOrder(
                new Delta.Deleted(gone), new Delta.Updated(changed, changed2), new Delta.Added(fresh));
        assertThat(c.list()).hasSize(3);
        assertThat(c.get("ns/gone")).isNull();
    }

    @Test
    void indexesFollowChanges() {
        ObjectCache c = new ObjectCache();
        c.apply("ADDED", pod("early", "ns", "1", "node-1"));
        c.addIndex("node", Informer.fieldIndex("spec.nodeName"));
        assertThat(c.byIndex("node", "node-1")).extracting(ObjectCache::key).containsExactly("ns/early");

        c.apply("ADDED", pod("a", "ns", "2", "node-1"));
        c.apply("ADDED", pod("b", "ns", "3", null));
        assertThat(c.byIndex("node", "node-1")).extracting(ObjectCache::key).containsExactlyInAnyOrder("ns/early", "ns/a");
        c.apply("MODIFIED", pod("b", "ns", "4", "node-2"));
        c.apply("MODIFIED", pod("a", "ns", "5", "node-2"));
        assertThat(c.byIndex("node", "node-1")).extracting(ObjectCache::key).containsExactly("ns/early");
        assertThat(c.byIndex("node", "node-2")).extracting(ObjectCache::key).containsExactlyInAnyOrder("ns/a", "ns/b");
        c.apply("DELETED", pod("a", "ns", "6", "node-2"));
        c.replace(List.of(pod("b", "ns", "4", "node-2")));
        assertThat(c.byIndex("node", "node-1")).isEmpty();
        assertThat(c.byIndex("node", "node-2")).extracting(ObjectCache::key).containsExactly("ns/b");
    }

    static ObjectNode pod(String name, String namespace, String rv, String node) {
        ObjectNode o = Json.object().put("apiVersion", "v1").put("kind", "Pod");
        o.putObject("metadata").put("name", name).put("namespace", namespace).put("resourceVersion", rv);
        if (node != null) o.putObject("spec").put("nodeName", node);
        return o;
    }
}
