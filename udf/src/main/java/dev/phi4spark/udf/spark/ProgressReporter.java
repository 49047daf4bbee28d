package dev.phi4spark.udf.spark;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.AccumulatorV2;
import scala.Tuple4;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prints the progress of a long transform on the driver every few seconds, from {@link Phi4Metrics}:
 * rows done (of the total, when the caller knows it), generated tokens per second and an ETA. A daemon
 * thread, so a forgotten reporter never keeps the JVM alive; close it to stop it and print a last line.
 *
 * <pre>{@code
 * try (ProgressReporter p = ProgressReporter.start(metrics, df.count(), Duration.ofSeconds(30), null)) {
 *     generator.setMetrics(metrics).transform(df).write().format("delta").save(out);
 * }
 * }</pre>
 *
 * <p>The driver merges accumulators when tasks finish. So that one long task per GPU still shows
 * progress, the reporter also listens to executor heartbeats ({@code spark.executor.heartbeatInterval},
 * 10 s by default), which carry the running tasks' partial values, and adds those in. Between a task's
 * end and the listener hearing of it a row may be counted twice for a moment; the row count is capped at
 * the total.
 */
public final class ProgressReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

    private final Phi4Metrics metrics;
    private final long totalRows;
    private final Consumer<String> sink;
    private final long startNanos;
    private final Thread thread;
    private final LiveValues live;
    private final SparkContext context;
    private volatile boolean closed;

    private ProgressReporter(SparkContext context, Phi4Metrics metrics, long totalRows, Duration every,
            Consumer<String> sink) {
        this.context = context;
        this.live = new LiveValues(Set.of(metrics.rows().id(), metrics.generatedTokens().id(), metrics.errors().id()));
        this.metrics = metrics;
        this.totalRows = totalRows;
        this.sink = sink == null ? LOG::info : sink;
        this.startNanos = System.nanoTime();
        this.thread = new Thread(() -> loop(every.toMillis()), "phi4spark-progress");
        this.thread.setDaemon(true);
    }

    /**
     * Starts reporting, with live values from the heartbeats of the active session's executors (final
     * values only when there is no active session).
     *
     * @param metrics the accumulators the transform adds to
     * @param totalRows rows expected, or a negative number when unknown (no percentage or ETA then)
     * @param every time between lines
     * @param sink where lines go; null for this class's logger at INFO
     */
    public static ProgressReporter start(Phi4Metrics metrics, long totalRows, Duration every, Consumer<String> sink) {
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("Cannot report progress: the interval must be positive (" + every + ")");
        }
        SparkSession session = SparkSession.getActiveSession()
                .getOrElse(() -> SparkSession.getDefaultSession().getOrElse(() -> null));
        SparkContext sc = session == null ? null : session.sparkContext();
        ProgressReporter r = new ProgressReporter(sc, metrics, totalRows, every, sink);
        if (sc != null) {
            sc.addSparkListener(r.live);
        }
        r.thread.start();
        return r;
    }

    private void loop(long millis) {
        while (!closed) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                sink.accept(line());
            }
        }
    }

    /** The current progress line. */
    public String line() {
        double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        long rows = current(metrics.rows());
        if (totalRows >= 0) {
            rows = Math.min(rows, totalRows);
        }
        long tokens = current(metrics.generatedTokens());
        StringBuilder s = new StringBuilder("phi4 progress: ").append(rows);
        if (totalRows >= 0) {
            s.append('/').append(totalRows).append(" rows (")
                    .append(String.format(Locale.ROOT, "%.1f%%", totalRows == 0 ? 100.0 : 100.0 * rows / totalRows))
                    .append(')');
        } else {
            s.append(" rows");
        }
        s.append(", ").append(current(metrics.errors())).append(" errors, ").append(tokens).append(" tokens generated, ")
                .append(String.format(Locale.ROOT, "%.1f tokens/s", tokens / seconds))
                .append(", elapsed ").append(duration(seconds));
        if (totalRows > 0 && rows > 0 && rows < totalRows) {
            s.append(", ETA ").append(duration(seconds * (totalRows - rows) / rows));
        }
        return s.toString();
    }

    private long current(AccumulatorV2<Long, Long> acc) {
        return acc.value() + live.running(acc.id());
    }

    /** The listener, for tests that feed it events. */
    LiveValues live() {
        return live;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }

    /** Stops the thread and prints a final line. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (context != null) {
            context.removeSparkListener(live);
        }
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sink.accept(line());
    }

    /** Partial accumulator values of running tasks, from executor heartbeats. */
    static final class LiveValues extends SparkListener {
        private final Set<Long> ids;
        private final Map<Long, Map<Long, Long>> byTask = new ConcurrentHashMap<>();

        LiveValues(Set<Long> ids) {
            this.ids = ids;
        }

        @Override
        public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
            for (Tuple4<Object, Object, Object, Seq<AccumulableInfo>> t
                    : CollectionConverters.asJava(update.accumUpdates())) {
                Map<Long, Long> values = new HashMap<>();
                for (AccumulableInfo info : CollectionConverters.asJava(t._4())) {
                    if (ids.contains(info.id()) && info.update().isDefined()
                            && info.update().get() instanceof Number n) {
                        values.put(info.id(), n.longValue());
                    }
                }
                if (!values.isEmpty()) {
                    byTask.put((Long) t._1(), values);
                }
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            taskEnded(end.taskInfo().taskId());
        }

        /** The task's values are in the accumulator now. */
        void taskEnded(long taskId) {
            byTask.remove(taskId);
        }

        /** The sum of the running tasks' values of one accumulator. */
        long running(long id) {
            long sum = 0;
            for (Map<Long, Long> task : byTask.values()) {
                sum += task.getOrDefault(id, 0L);
            }
            return sum;
        }
    }
}
