package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {

    @Test
    void printsRowsTokensRateAndEtaUntilClosed() throws InterruptedException {
        Phi4Metrics metrics = Phi4Metrics.create(SparkTestSession.spark(), "progress-test");
        List<String> lines = new CopyOnWriteArrayList<>();
        try (ProgressReporter p = ProgressReporter.start(metrics, 200, Duration.ofMillis(50), lines::add)) {
            metrics.rows().add(50);
            metrics.generatedTokens().add(1000);
            long until = System.currentTimeMillis() + 5000;
            while (lines.stream().noneMatch(l -> l.contains("50/200")) && System.currentTimeMillis() < until) {
                Thread.sleep(20);
            }
        }
        int count = lines.size();
        Thread.sleep(200);
        assertThat(lines).hasSize(count); // stopped
        String last = lines.get(lines.size() - 1);
        assertThat(last).startsWith("phi4 progress: 50/200 rows (25.0%), 0 errors, 1000 tokens generated, ")
                .containsPattern("[0-9.]+ tokens/s, elapsed \\d+s, ETA \\d+s");
    }

    @Test
    void withoutATotalThereIsNoEta() {
        Phi4Metrics metrics = Phi4Metrics.create(SparkTestSession.spark(), "progress-test-2");
        try (ProgressReporter p = ProgressReporter.start(metrics, -1, Duration.ofHours(1), s -> { })) {
            metrics.rows().add(3);
            assertThat(p.line()).startsWith("phi4 progress: 3 rows, 0 errors").doesNotContain("ETA");
        }
        assertThat(ProgressReporter.duration(3725)).isEqualTo("1h02m");
        assertThat(ProgressReporter.duration(125)).isEqualTo("2m05s");
    }
}
