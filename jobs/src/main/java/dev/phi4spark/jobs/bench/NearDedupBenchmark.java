package dev.phi4spark.jobs.bench;

import static org.apache.spark.sql.functions.col;

import dev.phi4spark.filters.bench.FilterBenchmark;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.jobs.SparkSessions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Near dedup end to end through Delta, as the {@code filter} job runs it: a corpus of documents of 150
 * to 400 words ({@link FilterBenchmark#nearDuplicateCorpus}) is written to a Delta table first,
 * untimed; then the timed part reads the table, marks near duplicates (MinHash at the default
 * threshold) and writes the marked rows to a second Delta table. The session is the jobs' own
 * ({@link SparkSessions#tuneLocal}) on {@code local[2]}. Not a test: {@code phi4spark bench filters}.
 */
public final class NearDedupBenchmark {

    private NearDedupBenchmark() {}

    /** Figures of one run. */
    public record Result(long documents, double megabytes, long removed, double seconds) {
        /** MB of text per second, end to end. */
        public double megabytesPerSecond() {
            return megabytes / seconds;
        }
    }

    /** Runs the benchmark on {@code documents} generated documents in a temporary folder. */
    public static Result run(long documents) {
        Path dir = createTempDir();
        SparkConf conf = SparkSessions.tuneLocal(new SparkConf()
                .setMaster("local[2]")
                .setAppName("near-dedup-benchmark")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "16")
                .set("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .set("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"));
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            String corpus = dir.resolve("corpus").toString();
            String marked = dir.resolve("marked").toString();
            FilterBenchmark.nearDuplicateCorpus(spark, documents).write().format("delta").save(corpus);
            long t = System.nanoTime();
            Dataset<Row> docs = spark.read().format("delta").load(corpus);
            MinHashDedup.forThreshold(MinHashDedup.DEFAULT_THRESHOLD, MinHashDedup.DEFAULT_NUM_HASHES,
                            MinHashDedup.DEFAULT_NGRAM_SIZE, MinHashDedup.DEFAULT_SEED)
                    .markDuplicates(docs, "text", "id", "reason")
                    .write().format("delta").save(marked);
            double seconds = (System.nanoTime() - t) / 1e9;
            long chars = spark.read().format("delta").load(corpus).selectExpr("sum(length(text))").first().getLong(0);
            long removed = spark.read().format("delta").load(marked).filter(col("reason").isNotNull()).count();
            return new Result(documents, chars / 1e6, removed, seconds);
        } finally {
            spark.stop();
            delete(dir);
        }
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("phi4spark-near-dedup-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
