package io.hypernetes.api.selector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.api.json.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelSelectorTest {
    static final Map<String, String> LABELS = Map.of("app", "web", "tier", "front", "version", "3", "empty", "");

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''|true",
        "app=web|true",
        "app==web|true",
        "app = web|true",
        "  app=web ,  tier=front  |true",
        "app=db|false",
        "app!=db|true",
        "app!=web|false",
        "missing!=x|true",
        "app in (web,db)|true",
        "app in(web)|true",
        "app in ( web , db )|true",
        "app notin (web,db)|false",
        "app notin (db)|true",
        "missing notin (db)|true",
        "app|true",
        "missing|false",
        "!missing|true",
        "!app|false",
        "! app|false",
        "app,tier|true",
        "app=web,tier=back|false",
        "version>2|true",
        "version<2|false",
        "app>2|false",
        "empty=|true",
        "empty in (,x)|true",
        "example.com/key=x|false",
        "app=in|false",
        "app in (notin)|false"
    })
    void matches(String selector, boolean expected) {
        assertThat(LabelSelector.parse(selector).matches(LABELS)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "''{0}''")
    @CsvSource(delimiter = '|', value = {
        "app=web=x|found '=', expected: ',' or 'end of string'",
        "=web|found '=', expected: !, identifier, or 'end of string'",
        "app web|found 'web', expected: '=', '!=', '==', 'in', 'notin', '>', '<'",
        "app in web|found 'web', expected: '('",
        "app in (web|found '', expected: ',' or ')'",
        "app in ()|values set can't be empty",
        "app=web,|found '', expected: identifier after ','",
        "app=web,,tier|found ',', expected: identifier after ','",
        "-app=web|key: Invalid value: \"-app\"",
        "app=-web|values[0][app]: Invalid value: \"-web\"",
        "version>a|the value must be an integer",
        "!app=web|found '=', expected: ',' or 'end of string'",
        "a/b/c=x|key: Invalid value"
    })
    void parseErrors(String selector, String message) {
        assertThatThrownBy(() -> LabelSelector.parse(selector)).isInstanceOf(SelectorException.class)
                .hasMessageStartingWith("unable to parse requirement: ").hasMessageContaining(message);
    }

    @Test
    void canonicalString() {
        assertThat(LabelSelector.parse("tier in (b, a), app = web, !x, y").toString()).isEqualTo("app=web,tier in (a,b),!x,y");
        assertThat(LabelSelector.parse("tier in (b,a),app=web")).isEqualTo(LabelSelector.parse("app=web,tier in (a,b)"));
        assertThat(LabelSelector.parse("").isEmpty()).isTrue();
    }

    @Test
    void fromObject() throws Exception {
        var sel = LabelSelector.fromObject(Json.MAPPER.readTree("""
                {"matchLabels": {"app": "web"},
                 "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]},
                                      {"key": "canary", "operator": "DoesNotExist"},
                                      {"key": "version", "operator": "Exists"}]}"""));
        assertThat(sel.matches(LABELS)).isTrue();
        assertThat(sel.matches(Map.of("app", "web", "tier", "front"))).isFalse();
        assertThat(sel.matches(Json.MAPPER.readTree("{\"app\":\"web\",\"tier\":\"back\",\"version\":\"1\"}"))).isTrue();
        assertThat(LabelSelector.fromObject(Json.MAPPER.readTree("{}")).matches(Map.of())).isTrue();
        assertThat(LabelSelector.fromObject(null).matches(Map.of())).isFalse();
        assertThat(LabelSelector.fromObject(Json.MAPPER.readTree("null")).matches(LABELS)).isFalse();
        assertThatThrownBy(() -> LabelSelector.fromObject(Json.MAPPER.readTree(
                "{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"Gt\", \"values\": [\"1\"]}]}")))
                .isInstanceOf(SelectorException.class).hasMessageContaining("\"Gt\" is not a valid label selector operator");
        assertThatThrownBy(() -> LabelSelector.fromObject(Json.MAPPER.readTree(
                "{\"matchExpressions\": [{\"key\": \"a\", \"operator\": \"In\", \"values\": []}]}")))
                .isInstanceOf(SelectorException.class).hasMessageContaining("values set can't be empty");
    }

    @Test
    void fromMap() {
        assertThat(LabelSelector.fromMap(Map.of("app", "web")).matches(LABELS)).isTrue();
        assertThat(LabelSelector.fromMap(Map.of("app", "db")).matches(LABELS)).isFalse();
        assertThat(LabelSelector.fromMap(Map.of()).matches(LABELS)).isTrue();
    }
}
