package dev.phi4spark.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The report's HTML without Spark: empty data, a full run, and the chart helpers. */
class ReportWriterTest {

    private static final Instant T0 = Instant.parse("2025-01-02T03:04:05Z");

    static RunReport empty() {
        return new RunReport("r-empty", "generate", "failed", "tiny@abc", T0, null, "Cannot generate: <boom>", "",
                Map.of(), Map.of(), new double[0], new double[0], new double[0], "nothing", List.of());
    }

    static RunReport full() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("synthetic_raw", 100L);
        counts.put("removed:pii", 0L);
        counts.put("removed:exact_dedup", 10L);
        counts.put("removed:gopher_repetition", 30L);
        counts.put("synthetic_curated", 60L);
        counts.put("synthetic_rejected", 40L);
        counts.put("corpus_scores", 60L);
        return new RunReport("r-full", "pipeline", "succeeded", "phi-4@123", T0, T0.plusSeconds(125), null,
                "{\n  \"warehouse\" : \"/wh\"\n}", counts, Map.of("textbook_section", 70L, "self_revision", 30L),
                new double[] {0.5, 1.2, 3.3, 3.4, 4.9}, new double[] {3.2, 5.5, 8.1, 12.0}, new double[] {100, 200, 220},
                "completion_tokens", List.of(new RunReport.Chunk(T0.plusSeconds(60), 30, 3000, 30),
                        new RunReport.Chunk(T0.plusSeconds(90), 30, 1500, 35)),
                Map.of("generate:prompt_tokens", 4000.0, "generate:generated_tokens", 6000.0,
                        "generate:cached_prompt_tokens", 2500.0, "generate:seconds", 50.0,
                        "generate:tokens_per_second", 200.0, "commit_retries", 1.0),
                Map.of("textbook_section", List.of(new RunReport.Example("id-1", "Write about <b>tides</b>",
                        "Tides & the moon", true), new RunReport.Example("id-2", "p", "c", false))));
    }

    @Test
    void emptyDataRendersNoDataPanelsAndNoCharts() {
        String html = ReportWriter.render(empty());
        assertThat(Pattern.compile("class=\"nodata\"").matcher(html).results().count()).isEqualTo(9);
        assertThat(html).doesNotContain("<svg").contains("No data: this run did not filter")
                .contains("No data: the runs row has no config").contains("not ended")
                .contains("Cannot generate: &lt;boom&gt;").contains("status failed");
    }

    @Test
    void aFullRunDrawsEveryChart() {
        String html = ReportWriter.render(full());
        assertThat(html).doesNotContain("class=\"nodata\"").contains("took 2m 05s").contains("&quot;warehouse&quot;");
        assertThat(Pattern.compile("<svg class=\"chart\"").matcher(html).results().count()).isEqualTo(7);
        assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("@import")
                .doesNotContain("https:");
    }

    @Test
    void theFunnelStartsAtTheFilterInputAndDropsByEachStep() {
        String svg = ReportWriter.funnel(full());
        assertThat(svg).contains("<title>input: 100</title>").contains("<title>pii: 100</title>")
                .contains("<title>exact_dedup: 90</title>").contains("<title>gopher_repetition: 60</title>")
                .contains(">removed 30</text>");
    }

    @Test
    void aRerunsFunnelStartsAtTheInputTheFilterPrinted() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("removed:exact_dedup", 2L);
        counts.put("synthetic_curated", 0L); // a rerun inserts nothing new
        counts.put("funnel:input", 12L);
        counts.put("funnel:kept", 10L);
        RunReport rerun = new RunReport("r", "filter", "succeeded", "m", T0, T0, null, "", counts, Map.of(),
                new double[0], new double[0], new double[0], "", List.of());
        assertThat(ReportWriter.funnel(rerun)).contains("<title>input: 12</title>")
                .contains("<title>exact_dedup: 10</title>");
    }

    @Test
    void generationThroughputAndEscapedExamples() {
        String html = ReportWriter.render(full());
        assertThat(ReportWriter.stages(full())).contains("<title>generate: 200</title>")
                .contains("<td>generate</td><td>4000</td><td>2500</td><td>6000</td><td>50</td><td>200</td>")
                .contains("Delta commit retries: 1");
        assertThat(html).contains("Write about &lt;b&gt;tides&lt;/b&gt;").contains("Tides &amp; the moon")
                .doesNotContain("<b>tides</b>").contains("id-2 &middot; rejected by its recipe");
    }

    @Test
    void throughputIsTokensOverTheChunksDuration() {
        assertThat(full().chunks().get(0).tokensPerSecond()).isEqualTo(100.0);
        assertThat(new RunReport.Chunk(T0, 1, 10, 0).tokensPerSecond()).isZero();
    }

    @Test
    void histogramsBinLinearlyOrOnLogsWhenTheRangeIsWide() {
        List<Svg.Bar> linear = Histogram.fixed(new double[] {0, 0.4, 2.5, 5, 7, Double.NaN}, 0, 5, 5);
        assertThat(linear).extracting(Svg.Bar::value).containsExactly(2.0, 0.0, 1.0, 0.0, 2.0);
        assertThat(linear.get(0).label()).isEqualTo("0–1");
        List<Svg.Bar> log = Histogram.auto(new double[] {1, 10, 100, 1000, 10000}, 4);
        assertThat(log).extracting(Svg.Bar::label).containsExactly("1–10", "10–100", "100–1000", "1000–10k");
        assertThat(Histogram.auto(new double[] {7, 7}, 10)).containsExactly(new Svg.Bar("7", 2, null));
        assertThat(Histogram.auto(new double[0], 10)).isEmpty();
        assertThatThrownBy(() -> Histogram.fixed(new double[0], 1, 1, 3))
                .hasMessage("Cannot bin values: need bins > 0 and max > min (3, 1.0, 1.0)");
    }

    @Test
    void axesEndOnRoundNumbers() {
        assertThat(Svg.niceMax(0)).isEqualTo(1);
        assertThat(Svg.niceMax(7)).isEqualTo(10);
        assertThat(Svg.niceMax(130)).isEqualTo(200);
        assertThat(Svg.niceMax(2000)).isEqualTo(2000);
        assertThat(Svg.number(12345)).isEqualTo("12.3k");
        assertThat(Svg.number(0.0421)).isEqualTo("0.0421");
        assertThatThrownBy(() -> Svg.barChart("x", "y", List.of(), "#000"))
                .hasMessage("Cannot draw a bar chart: no bars (x)");
    }
}
