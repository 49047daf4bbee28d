package dev.phi4spark.jobs.reliability;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Counts the rows the model ran on, from the {@code phi4spark.rows} accumulator updates of every
 * successful task of the session: how much generation a command really did.
 */
final class GenerationCounter extends SparkListener {

    private final AtomicLong rows = new AtomicLong();

    static GenerationCounter register(SparkSession spark) {
        GenerationCounter c = new GenerationCounter();
        spark.sparkContext().addSparkListener(c);
        return c;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!end.taskInfo().successful()) {
            return;
        }
        for (AccumulableInfo info : CollectionConverters.asJava(end.taskInfo().accumulables())) {
            if (info.name().isDefined() && info.name().get().equals("phi4spark.rows") && info.update().isDefined()) {
                rows.addAndGet(((Number) info.update().get()).longValue());
            }
        }
    }

    /** Rows counted so far. */
    long rows() {
        return rows.get();
    }

    /** Rows counted while {@code action} ran (the listener bus is drained first). */
    long during(SparkSession spark, Runnable action) throws InterruptedException {
        drain(spark);
        long before = rows();
        action.run();
        drain(spark);
        return rows() - before;
    }

    static void drain(SparkSession spark) throws InterruptedException {
        try {
            spark.sparkContext().listenerBus().waitUntilEmpty(60_000);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot count rows: the listener bus did not drain in 60 s", e);
        }
    }

    void remove(SparkSession spark) {
        spark.sparkContext().removeSparkListener(this);
    }
}
