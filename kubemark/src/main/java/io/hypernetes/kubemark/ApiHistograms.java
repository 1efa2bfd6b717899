package io.hypernetes.kubemark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API server's own request latency histograms ({@code apiserver_request_duration_seconds}, cumulative buckets
 * by verb, resource and subresource) read from its {@code /metrics} text, subtracted between two scrapes so they
 * count only the run, and summarised as Prometheus' {@code histogram_quantile} does: find the bucket the rank falls
 * in and interpolate linearly inside it (from 0 in the first bucket; the +Inf bucket answers the highest finite
 * bound). A quantile is therefore only as exact as the buckets around it.
 */
final class ApiHistograms {
    private static final String METRIC = "apiserver_request_duration_seconds_bucket";
    private static final Pattern LINE = Pattern.compile("^" + METRIC + "\\{([^}]*)}\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One histogram's series key. */
    record Key(String verb, String resource, String subresource) implements Comparable<Key> {
        String label() {
            return verb + " " + resource + (subresource.isEmpty() ? "" : "/" + subresource);
        }

        @Override
        public int compareTo(Key o) {
            return label().compareTo(o.label());
        }
    }

    /** Cumulative counts by upper bound (+Inf as {@link Double#POSITIVE_INFINITY}). */
    private final Map<Key, TreeMap<Double, Double>> histograms;

    private ApiHistograms(Map<Key, TreeMap<Double, Double>> histograms) {
        this.histograms = histograms;
    }

    static ApiHistograms parse(String metricsText) {
        Map<Key, TreeMap<Double, Double>> h = new HashMap<>();
        for (String line : metricsText.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.find()) continue;
            Map<String, String> labels = new HashMap<>();
            Matcher l = LABEL.matcher(m.group(1));
            while (l.find()) labels.put(l.group(1), l.group(2));
            String le = labels.get("le");
            if (le == null) continue;
            Key key = new Key(labels.getOrDefault("verb", ""), labels.getOrDefault("resource", ""), labels.getOrDefault("subresource", ""));
            double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
            h.computeIfAbsent(key, k -> new TreeMap<>()).merge(bound, Double.parseDouble(m.group(2)), Double::sum);
        }
        return new ApiHistograms(h);
    }

    /** What happened between {@code before} and this scrape (series absent before count from zero). */
    ApiHistograms minus(ApiHistograms before) {
        Map<Key, TreeMap<Double, Double>> d = new HashMap<>();
        histograms.forEach((key, buckets) -> {
            TreeMap<Double, Double> old = before.histograms.getOrDefault(key, new TreeMap<>());
            TreeMap<Double, Double> diff = new TreeMap<>();
            buckets.forEach((le, count) -> diff.put(le, Math.max(0, count - old.getOrDefault(le, 0.0))));
            d.put(key, diff);
        });
        return new ApiHistograms(d);
    }

    /** Per series with at least one request: count and p50/p90/p99 in seconds, sorted by verb and resource. */
    List<Report.ApiLatency> summaries() {
        List<Report.ApiLatency> out = new ArrayList<>();
        histograms.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            TreeMap<Double, Double> b = e.getValue();
            double count = b.isEmpty() ? 0 : b.lastEntry().getValue();
            if (count <= 0) return;
            Key k = e.getKey();
            out.add(new Report.ApiLatency(k.verb(), k.resource(), k.subresource(), (long) count,
                    quantile(0.5, b), quantile(0.9, b), quantile(0.99, b), Slo.apiThreshold(k.verb())));
        });
        return out;
    }

    /** {@code histogram_quantile(q, …)} over cumulative buckets. */
    static double quantile(double q, TreeMap<Double, Double> cumulative) {
        if (cumulative.isEmpty()) return Double.NaN;
        double total = cumulative.lastEntry().getValue();
        if (total <= 0) return Double.NaN;
        double rank = q * total;
        double lowerBound = 0;
        double countBelow = 0;
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            double upper = e.getKey();
            double count = e.getValue();
            if (count >= rank) {
                if (Double.isInfinite(upper)) return lowerBound;
                double inBucket = count - countBelow;
                if (inBucket <= 0) return upper;
                return lowerBound + (upper - lowerBound) * (rank - countBelow) / inBucket;
            }
            lowerBound = upper;
            countBelow = count;
        }
        return lowerBound;
    }
}
