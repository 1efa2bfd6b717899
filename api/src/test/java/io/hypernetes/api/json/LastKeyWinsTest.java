package io.hypernetes.api.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.api.json.LastKeyWins.Duplicate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LastKeyWinsTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBodyWithoutDuplicatesReadsAsTheStrictMapperReadsIt() throws IOException {
        String body = "{\"a\":1.50,\"b\":[1,2,{\"c\":true}],\"n\":12345678901234567890}";
        LastKeyWins.Parsed p = LastKeyWins.json(b(body));
        assertThat(p.duplicates()).isEmpty();
        assertThat(p.tree()).isEqualTo(Json.parse(b(body)));
    }

    @Test
    void theLastValueWinsAndEachRepetitionIsNamedByItsPath() throws IOException {
        String body = """
                {"metadata": {"name": "first", "name": "second", "labels": {"a": "1", "a": "2"}},
                 "spec": {"containers": [{"name": "c", "image": "x", "image": "y"}]},
                 "spec2": 1, "spec2": 2}""";
        LastKeyWins.Parsed p = LastKeyWins.json(b(body));
        assertThat(p.tree().at("/metadata/name").asText()).isEqualTo("second");
        assertThat(p.tree().at("/metadata/labels/a").asText()).isEqualTo("2");
        assertThat(p.tree().at("/spec/containers/0/image").asText()).isEqualTo("y");
        assertThat(p.tree().path("spec2").asInt()).isEqualTo(2);
        assertThat(p.duplicates()).extracting(Duplicate::path)
                .containsExactly("metadata.name", "metadata.labels.a", "spec.containers[0].image", "spec2");
        assertThat(p.duplicates().getFirst().line()).isEqualTo(1);
        assertThat(p.duplicates().get(2).line()).isEqualTo(2);
    }

    @Test
    void aTopLevelArrayIsIndexed() throws IOException {
        LastKeyWins.Parsed p = LastKeyWins.json(b("[{\"op\":\"add\",\"path\":\"/a\"},{\"op\":\"add\",\"path\":\"/a\",\"path\":\"/b\"}]"));
        assertThat(p.duplicates()).extracting(Duplicate::path).containsExactly("[1].path");
        assertThat(p.tree().at("/1/path").asText()).isEqualTo("/b");
    }

    @Test
    void yamlDuplicatesCarryTheLineOfTheLastValue() throws IOException {
        String yaml = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: a
                  name: b
                data:
                  k: one
                  k:
                    two
                """;
        LastKeyWins.Parsed p = LastKeyWins.yaml(b(yaml));
        assertThat(p.tree().at("/metadata/name").asText()).isEqualTo("b");
        assertThat(p.tree().at("/data/k").asText()).isEqualTo("two");
        assertThat(p.duplicates()).containsExactly(new Duplicate("metadata.name", "name", 5), new Duplicate("data.k", "k", 9));
    }

    @Test
    void otherSyntaxErrorsStillThrow() {
        assertThatThrownBy(() -> LastKeyWins.json(b("{\"a\":1,\"a\":2,}"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> LastKeyWins.json(b("{\"a\":1} {}"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> LastKeyWins.json(b("{\"a\":"))).isInstanceOf(IOException.class);
    }

    @Test
    void findingsStopAtKubernetesCap() throws IOException {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < 150; i++) s.append(i == 0 ? "" : ",").append("\"k\":").append(i);
        LastKeyWins.Parsed p = LastKeyWins.json(b(s.append("}").toString()));
        assertThat(p.duplicates()).hasSize(LastKeyWins.MAX_DUPLICATES);
        assertThat(p.tree().path("k").asInt()).isEqualTo(149);
    }
}
