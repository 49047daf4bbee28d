package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.Tuple4;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

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
    void addsTheRunningTasksHeartbeatValues() {
        Phi4Metrics metrics = Phi4Metrics.create(SparkTestSession.spark(), "progress-test-3");
        try (ProgressReporter p = ProgressReporter.start(metrics, 100, Duration.ofHours(1), s -> { })) {
            metrics.rows().add(10);
            AccumulableInfo partial = new AccumulableInfo(metrics.rows().id(), Option.apply("rows"),
                    Option.apply(25L), Option.apply(25L), false, false, Option.empty());
            Tuple4<Object, Object, Object, Seq<AccumulableInfo>> task = new Tuple4<>(77L, 0, 0,
                    CollectionConverters.asScala(List.of(partial)).toList());
            p.live().onExecutorMetricsUpdate(new SparkListenerExecutorMetricsUpdate("1",
                    CollectionConverters.asScala(List.of(task)).toList(), new scala.collection.immutable.HashMap<>()));
            assertThat(p.line()).startsWith("phi4 progress: 35/100 rows (35.0%)");
            p.live().taskEnded(77L);
            assertThat(p.line()).startsWith("phi4 progress: 10/100 rows");
        }
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
