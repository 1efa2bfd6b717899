package io.hypernetes.api.quantity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hypernetes.api.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantityTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "100m, 100m", "0.5, 500m", ".5, 500m", "1Gi, 1Gi", "512Mi, 512Mi", "1e3, 1e3", "1E3, 1e3", "1k, 1k",
        "2M, 2M", "1000, 1k", "1500, 1500", "1.5Gi, 1536Mi", "1024, 1024", "1Ki, 1Ki", "0.5Ki, 512",
        "1.5Ki, 1536", "0, 0", "0Gi, 0", "-100m, -100m", "+5, 5", "1e-3, 1e-3", "12e2, 1200", "0.0001, 100u",
        "1n, 1n", "0.1n, 1n", "1E, 1E", "1000E, 1000E", "1e21, 1e21", "2048Ki, 2Mi", "1.0, 1", "5., 5",
        "1000000m, 1k", "0.001k, 1", "3Ti, 3Ti", "1Ei, 1Ei", "1024Ei, 1024Ei", "123456789, 123456789"
    })
    void canonicalForm(String in, String out) {
        assertThat(Quantity.parse(in).toString()).isEqualTo(out);
        // The canonical form reads back to the same amount.
        assertThat(Quantity.parse(out)).isEqualTo(Quantity.parse(in));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "1.2.3", "1K", "1 Gi", " 1", "Gi", "1e", "1ee3", "--1", "1Gib", "1e9999", "1mi",
        "1e3.5", ".", "+", "1,5", "0x10", "1Mi3"})
    void invalid(String in) {
        assertThatThrownBy(() -> Quantity.parse(in)).isInstanceOf(QuantityFormatException.class)
                .hasMessageContaining("unable to parse quantity");
    }

    @Test
    void formatMessageNamesTheRule() {
        assertThatThrownBy(() -> Quantity.parse("abc")).hasMessageContaining("quantities must match the regular expression");
    }

    @ParameterizedTest
    @CsvSource({"100m, 100, 1", "1, 1000, 1", "0.0001, 1, 1", "1Gi, 1073741824000, 1073741824", "1.5, 1500, 2",
        "-1.5, -1500, -2", "250m, 250, 1", "64Mi, 67108864000, 67108864"})
    void units(String in, long milli, long value) {
        Quantity q = Quantity.parse(in);
        assertThat(q.milliValue()).isEqualTo(milli);
        assertThat(q.value()).isEqualTo(value);
    }

    @Test
    void arithmeticAndOrder() {
        assertThat(Quantity.parse("1Gi")).isEqualTo(Quantity.parse("1073741824"));
        assertThat(Quantity.parse("1Gi").hashCode()).isEqualTo(Quantity.parse("1073741824").hashCode());
        assertThat(Quantity.parse("1Gi").add(Quantity.parse("512Mi")).toString()).isEqualTo("1536Mi");
        assertThat(Quantity.parse("100m").add(Quantity.parse("900m")).toString()).isEqualTo("1");
        assertThat(Quantity.ZERO.add(Quantity.parse("1Ki")).toString()).isEqualTo("1Ki");
        assertThat(Quantity.parse("1Ki").compareTo(Quantity.parse("1k"))).isPositive();
        assertThat(Quantity.parse("999m").lessThan(Quantity.parse("1"))).isTrue();
        assertThat(Quantity.parse("2").subtract(Quantity.parse("500m")).toString()).isEqualTo("1500m");
        assertThat(Quantity.ofMilli(250).toString()).isEqualTo("250m");
        assertThat(Quantity.ofBytes(1 << 20).toString()).isEqualTo("1Mi");
    }

    @Test
    void json() throws Exception {
        assertThat(Quantity.fromJson(Json.MAPPER.readTree("0.5")).toString()).isEqualTo("500m");
        assertThat(Quantity.fromJson(Json.MAPPER.readTree("2")).toString()).isEqualTo("2");
        assertThat(Quantity.fromJson(Json.MAPPER.readTree("\"1Gi\"")).toString()).isEqualTo("1Gi");
        assertThat(Json.MAPPER.writeValueAsString(Quantity.parse("1000"))).isEqualTo("\"1k\"");
        assertThat(Json.MAPPER.readValue("\"128Mi\"", Quantity.class)).isEqualTo(Quantity.parse("134217728"));
    }
}
