package io.hypernetes.api.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NamesTest {
    static Stream<Arguments> cases() {
        Function<String, List<String>> label = Names::dns1123Label;
        Function<String, List<String>> sub = Names::dns1123Subdomain;
        Function<String, List<String>> l1035 = Names::dns1035Label;
        Function<String, List<String>> qn = Names::qualifiedName;
        Function<String, List<String>> lv = Names::labelValue;
        Function<String, List<String>> iana = Names::ianaServiceName;
        Function<String, List<String>> env = Names::envVarName;
        Function<String, List<String>> key = Names::configMapKey;
        return Stream.of(
                Arguments.of("label", label, "my-name", true), Arguments.of("label", label, "123-abc", true),
                Arguments.of("label", label, "a".repeat(63), true), Arguments.of("label", label, "a".repeat(64), false),
                Arguments.of("label", label, "-a", false), Arguments.of("label", label, "a-", false),
                Arguments.of("label", label, "a.b", false), Arguments.of("label", label, "A", false),
                Arguments.of("label", label, "", false),
                Arguments.of("subdomain", sub, "example.com", true), Arguments.of("subdomain", sub, "a..b", false),
                Arguments.of("subdomain", sub, "a".repeat(253), true), Arguments.of("subdomain", sub, "a".repeat(254), false),
                Arguments.of("subdomain", sub, ".a", false), Arguments.of("subdomain", sub, "a_b", false),
                Arguments.of("1035", l1035, "abc-123", true), Arguments.of("1035", l1035, "1abc", false),
                Arguments.of("qualified", qn, "MyName", true), Arguments.of("qualified", qn, "my.name", true),
                Arguments.of("qualified", qn, "example.com/MyName", true), Arguments.of("qualified", qn, "/a", false),
                Arguments.of("qualified", qn, "a/", false), Arguments.of("qualified", qn, "Example.com/a", false),
                Arguments.of("qualified", qn, "a/b/c", false), Arguments.of("qualified", qn, "a".repeat(64), false),
                Arguments.of("qualified", qn, "_a", false),
                Arguments.of("label value", lv, "", true), Arguments.of("label value", lv, "my_value", true),
                Arguments.of("label value", lv, "a b", false), Arguments.of("label value", lv, "a".repeat(64), false),
                Arguments.of("iana", iana, "http", true), Arguments.of("iana", iana, "h2c-alt", true),
                Arguments.of("iana", iana, "80", false), Arguments.of("iana", iana, "a--b", false),
                Arguments.of("iana", iana, "-a", false), Arguments.of("iana", iana, "HTTP", false),
                Arguments.of("iana", iana, "abcdefghijklmnop", false),
                Arguments.of("env", env, "MY_ENV.NAME", true), Arguments.of("env", env, "my-env", true),
                Arguments.of("env", env, "1A", false), Arguments.of("env", env, "A=B", false), Arguments.of("env", env, "..", false),
                Arguments.of("key", key, "key.name", true), Arguments.of("key", key, "KEY_NAME", true),
                Arguments.of("key", key, "a/b", false), Arguments.of("key", key, "..", false),
                Arguments.of("key", key, "..a", false), Arguments.of("key", key, "a".repeat(254), false));
    }

    @ParameterizedTest(name = "{0} {2} -> {3}")
    @MethodSource("cases")
    void rules(String rule, Function<String, List<String>> check, String value, boolean valid) {
        assertThat(check.apply(value).isEmpty()).as(rule + " " + value + " " + check.apply(value)).isEqualTo(valid);
    }

    @org.junit.jupiter.api.Test
    void messagesReadLikeKubernetes() {
        assertThat(Names.dns1123Subdomain("Foo")).containsExactly("a lowercase RFC 1123 subdomain must consist of lower case"
                + " alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g."
                + " 'example.com', regex used for validation is"
                + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        assertThat(Names.dns1123Label("a".repeat(64))).first().isEqualTo("must be no more than 63 characters");
        assertThat(Names.qualifiedName("/x")).containsExactly("prefix part must be non-empty");
        assertThat(Names.asPrefix(Names::dns1123Subdomain, "web-")).isEmpty();
        var err = FieldError.invalid("metadata.name", "Foo", Names.dns1123Subdomain("Foo").getFirst());
        assertThat(err.message()).startsWith("metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain");
    }
}
