package dev.phi4spark.udf.spark;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
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
 * <p>The driver sees accumulator values when tasks finish, so the figures move per finished task: more,
 * smaller partitions give smoother progress.
 */
public final class ProgressReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

    private final Phi4Metrics metrics;
    private final long totalRows;
    private final Consumer<String> sink;
    private final long startNanos;
    private final Thread thread;
    private volatile boolean closed;

    private ProgressReporter(Phi4Metrics metrics, long totalRows, Duration every, Consumer<String> sink) {
        this.metrics = metrics;
        this.totalRows = totalRows;
        this.sink = sink == null ? LOG::info : sink;
        this.startNanos = System.nanoTime();
        this.thread = new Thread(() -> loop(every.toMillis()), "phi4spark-progress");
        this.thread.setDaemon(true);
    }

    /**
     * Starts reporting.
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
        ProgressReporter r = new ProgressReporter(metrics, totalRows, every, sink);
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
        long rows = metrics.rows().value();
        long tokens = metrics.generatedTokens().value();
        StringBuilder s = new StringBuilder("phi4 progress: ").append(rows);
        if (totalRows >= 0) {
            s.append('/').append(totalRows).append(" rows (")
                    .append(String.format(Locale.ROOT, "%.1f%%", totalRows == 0 ? 100.0 : 100.0 * rows / totalRows))
                    .append(')');
        } else {
            s.append(" rows");
        }
        s.append(", ").append(metrics.errors().value()).append(" errors, ").append(tokens).append(" tokens generated, ")
                .append(String.format(Locale.ROOT, "%.1f tokens/s", tokens / seconds))
                .append(", elapsed ").append(duration(seconds));
        if (totalRows > 0 && rows > 0 && rows < totalRows) {
            s.append(", ETA ").append(duration(seconds * (totalRows - rows) / rows));
        }
        return s.toString();
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
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sink.accept(line());
    }
}
