package dev.phi4spark.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's preference-pair panel: pairs made, by how, and their margins. */
class PairsReportTest {

    private static final Instant T0 = Instant.parse("2025-01-02T03:04:05Z");

    @Test
    void aRunThatMadePairsShowsTheirCountsAndMargins() {
        Map<String, Long> pairs = new LinkedHashMap<>();
        pairs.put("correctness", 2L);
        pairs.put("judge", 1L);
        RunReport r = new RunReport("r-pairs", "generate", "succeeded", "phi-4@1", T0, T0.plusSeconds(10), null, "",
                Map.of(), Map.of(), new double[0], new double[0], new double[0], "none", List.of(), pairs,
                new double[] {1.0, 1.0, 4.0});
        assertThat(ReportWriter.pairsCaption(r)).isEqualTo("3 preference pair(s) made in this run (correctness 2,"
                + " judge 1); margin = chosen score - rejected score, from 1.00 to 4.00, mean 2.00.");
        String html = ReportWriter.render(r);
        assertThat(html).contains("<h2>Preference pairs</h2>").contains(ReportWriter.pairsCaption(r));
        assertThat(ReportWriter.render(ReportWriterTest.empty())).doesNotContain("Preference pairs");
    }
}
