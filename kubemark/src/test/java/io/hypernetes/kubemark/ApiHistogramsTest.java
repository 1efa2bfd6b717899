package io.hypernetes.kubemark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ApiHistogramsTest {
    private static final String BEFORE = """
            # HELP apiserver_request_duration_seconds Response latency by verb and resource
            # TYPE apiserver_request_duration_seconds histogram
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="0.005"} 10
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="0.025"} 10
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="+Inf"} 10
            apiserver_request_duration_seconds_count{resource="pods",subresource="",verb="POST"} 10
            """;
    private static final String AFTER = """
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="0.005"} 60
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="0.025"} 110
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="+Inf"} 110
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="status",verb="PATCH",le="0.8"} 0
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="status",verb="PATCH",le="1.0"} 90
            apiserver_request_duration_seconds_bucket{resource="pods",subresource="status",verb="PATCH",le="+Inf"} 100
            apiserver_request_duration_seconds_bucket{resource="nodes",subresource="",verb="LIST",le="0.005"} 0
            apiserver_request_duration_seconds_bucket{resource="nodes",subresource="",verb="LIST",le="+Inf"} 0
            apiserver_request_duration_seconds_max{resource="pods",subresource="",verb="POST"} 0.02
            """;

    @Test
    void subtractsTheFirstScrapeAndInterpolatesInsideBuckets() {
        List<Report.ApiLatency> s = ApiHistograms.parse(AFTER).minus(ApiHistograms.parse(BEFORE)).summaries();
        // LIST nodes saw no request: left out
        assertThat(s).extracting(Report.ApiLatency::verb).containsExactly("PATCH", "POST");
        Report.ApiLatency post = s.get(1);
        assertThat(post.count()).isEqualTo(100);
        assertThat(post.p50Seconds()).isCloseTo(0.005, within(1e-9)); // 50 of 100 in the first bucket
        assertThat(post.p99Seconds()).isCloseTo(0.005 + 0.020 * 49 / 50, within(1e-9));
        assertThat(post.sloP99Seconds()).isEqualTo(1.0);
        // 10 of 100 beyond the last finite bound: the +Inf bucket answers that bound, as histogram_quantile does
        Report.ApiLatency patch = s.get(0);
        assertThat(patch.subresource()).isEqualTo("status");
        assertThat(patch.p50Seconds()).isCloseTo(0.8 + 0.2 * 50 / 90, within(1e-9));
        assertThat(patch.p99Seconds()).isEqualTo(1.0);
    }

    @Test
    void quantileOfNothingIsNaN() {
        assertThat(ApiHistograms.quantile(0.99, new TreeMap<>())).isNaN();
    }

    @Test
    void textWithoutTheHistogramHasNoSeries() {
        assertThat(ApiHistograms.parse("jvm_memory_used_bytes{area=\"heap\"} 1.0\n").summaries()).isEmpty();
    }
}
