package io.hypernetes.api.selector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hypernetes.api.json.Json;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FieldSelectorTest {
    static final JsonNode POD;
    static final JsonNode EVENT;

    static {
        try {
            POD = Json.MAPPER.readTree("""
                    {"metadata": {"name": "nginx", "namespace": "ns1"},
                     "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
                     "status": {"phase": "Running", "podIP": "10.0.0.5"}}""");
            EVENT = Json.MAPPER.readTree("""
                    {"metadata": {"name": "e", "namespace": "ns1"},
                     "involvedObject": {"kind": "Pod", "name": "nginx", "uid": "u-1"},
                     "source": {"component": "kubelet"}, "type": "Normal"}""");
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''|true",
        "metadata.name=nginx|true",
        "metadata.name==nginx|true",
        "metadata.name!=nginx|false",
        "metadata.name=nginx,metadata.namespace=ns1|true",
        "metadata.name=nginx,metadata.namespace=ns2|false",
        "spec.nodeName=|false",
        "spec.nodeName!=|true",
        "status.nominatedNodeName=|true",
        "status.phase!=Succeeded,status.phase!=Failed|true",
        "spec.hostNetwork=false|true",
        "metadata.name=nginx,|true",
        "status.podIP=10.0.0.5|true"
    })
    void podMatches(String selector, boolean expected) {
        assertThat(FieldSelector.parse(selector).matches(POD)).isEqualTo(expected);
    }

    @Test
    void eventFields() {
        assertThat(FieldSelector.parse("involvedObject.uid=u-1,source=kubelet,type=Normal").matches(EVENT)).isTrue();
        assertThat(FieldSelector.parse("involvedObject.namespace=").matches(EVENT)).isTrue();
        assertThat(FieldSelector.parse("source=scheduler").matches(EVENT)).isFalse();
    }

    @Test
    void escaping() throws Exception {
        JsonNode obj = Json.MAPPER.readTree("{\"metadata\": {\"name\": \"a,b=c\\\\d\"}}");
        FieldSelector sel = FieldSelector.parse("metadata.name=a\\,b\\=c\\\\d");
        assertThat(sel.requirements()).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("metadata.name");
            assertThat(r.value()).isEqualTo("a,b=c\\d");
        });
        assertThat(sel.matches(obj)).isTrue();
        assertThat(FieldSelector.parse(sel.toString())).isEqualTo(sel);
        assertThat(FieldSelector.escape("a,b")).isEqualTo("a\\,b");
    }

    @ParameterizedTest(name = "''{0}''")
    @CsvSource(delimiter = '|', value = {
        "metadata.name|invalid selector: 'metadata.name'; can't understand 'metadata.name'",
        "a=b,c|can't understand 'c'",
        "a=b\\x|invalid escape sequence",
        "a=b\\|invalid escape sequence",
        "a==b=c|unescaped character in value: '='"
    })
    void parseErrors(String selector, String message) {
        assertThatThrownBy(() -> FieldSelector.parse(selector)).isInstanceOf(SelectorException.class)
                .hasMessageContaining(message);
    }

    @Test
    void requirementsAndExactMatch() {
        FieldSelector sel = FieldSelector.parse("metadata.name=nginx,status.phase!=Failed,spec.nodeName==n1");
        assertThat(sel.fields()).containsExactly("metadata.name", "status.phase", "spec.nodeName");
        assertThat(sel.requirements()).extracting(FieldSelector.Requirement::operator)
                .containsExactly(Operator.EQUALS, Operator.NOT_EQUALS, Operator.DOUBLE_EQUALS);
        assertThat(sel.exactValue("metadata.name")).contains("nginx");
        assertThat(sel.exactValue("spec.nodeName")).contains("n1");
        assertThat(sel.exactValue("status.phase")).isEqualTo(Optional.empty());
        assertThat(sel.exactValue("metadata.namespace")).isEmpty();
        assertThat(FieldSelector.parse("").isEmpty()).isTrue();
    }
}
