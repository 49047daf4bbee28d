package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskKilled;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * A cancelled job's generation stops at the next decode step (not at the end of its window of rows), and
 * the executor's engine generates the same as before afterwards.
 */
class TaskKillTest {

    private static final String GROUP = "task-kill-test";

    @Test
    void aCancelledJobStopsAtTheNextDecodeStepAndTheEngineStaysSound() throws Exception {
        SparkSession spark = SparkTestSession.spark();
        // One partition, one window of the twelve prompts twice, long greedy completions: seconds of decoding.
        Phi4Generator g = new Phi4Generator().setOptions(SparkTestSession.options()).setMaxNewTokens(3000)
                .setTemperature(0).setMaxBatchRows(4).setWindowRows(64);
        Dataset<Row> prompts = Phi4GeneratorTest.prompts(1).union(Phi4GeneratorTest.prompts(1)).repartition(1);
        Phi4GeneratorTest.completions(g.copy(new ParamMap()).setMaxNewTokens(64).transform(prompts)); // warm

        long t0 = System.nanoTime();
        List<String> before = Phi4GeneratorTest.completions(g.transform(prompts));
        double full = (System.nanoTime() - t0) / 1e9;
        assertThat(full).as("an uncancelled run's seconds: long enough to cancel in the middle").isGreaterThan(0.5);

        // The driver fails a cancelled job at once; the task ends only when it stops generating.
        BlockingQueue<Long> killedAt = new LinkedBlockingQueue<>();
        SparkListener killed = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof TaskKilled) {
                    killedAt.add(System.nanoTime());
                }
            }
        };
        spark.sparkContext().addSparkListener(killed);
        ExecutorService submitter = Executors.newSingleThreadExecutor();
        try {
            Future<List<String>> job = submitter.submit(() -> {
                spark.sparkContext().setJobGroup(GROUP, "cancelled by the test", false);
                return Phi4GeneratorTest.completions(g.transform(prompts));
            });
            Thread.sleep((long) (full * 1000 / 3)); // a third of the way into the decoding
            long cancelled = System.nanoTime();
            spark.sparkContext().cancelJobGroup(GROUP);
            assertThatThrownBy(job::get).hasMessageContaining("cancelled");
            Long end = killedAt.poll((long) (full * 3000), TimeUnit.MILLISECONDS);
            assertThat(end).as("the generating task ended as killed").isNotNull();
            // Without the check it decodes to the end of its window: about two thirds of a full run.
            assertThat((end - cancelled) / 1e9).as("seconds from the cancel to the task's end; a full run took %.2f s",
                    full).isLessThan(full / 4);
        } finally {
            submitter.shutdownNow();
            spark.sparkContext().removeSparkListener(killed);
        }

        assertThat(Phi4GeneratorTest.completions(g.transform(prompts))).as("the same engine after the kill")
                .isEqualTo(before);
    }
}
