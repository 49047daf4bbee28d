package dev.phi4spark.jobs.export;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;

/**
 * Writes rows as a training set that Hugging Face {@code datasets} and TRL load: under the output path,
 * {@code data/<split>-<NNNNN>-of-<MMMMM>.<jsonl|parquet>} and a dataset card {@code README.md}.
 *
 * <p>Every choice depends on the rows alone, so the same rows always give byte-identical files: the
 * split is a hash of the row id ({@code validation} when {@code xxhash64("split", id) mod 10^6} falls
 * below the fraction), the order inside a split is a second hash of the id (recipes mixed), and a
 * split's rows are cut into files of exactly {@code shardRows} rows, the last one holding the rest.
 * Spark's writers write each file (one task per file), then the Hadoop {@link FileSystem} of the path
 * renames them into place, so the path may be any Hadoop URI (hdfs:, s3a:, abfss:, gs:, file:). The
 * previous {@code data/} folder and {@code README.md} are replaced; other files under the path stay.
 */
public final class TrainingSetWriter {

    /** The split of rows whose id hash falls below the validation fraction. */
    public static final String VALIDATION = "validation";
    /** The other split. */
    public static final String TRAIN = "train";
    /** The formats, by their file extension. */
    public static final List<String> FORMATS = List.of("jsonl", "parquet");

    private static final long BUCKETS = 1_000_000;
    private static final String SPLIT = "_split";
    private static final String SHARD = "_shard";
    private static final String ORDER = "_order";

    private TrainingSetWriter() {}

    /**
     * What to write.
     *
     * @param path the output folder, a local path or any Hadoop URI
     * @param formats {@code jsonl}, {@code parquet} or both
     * @param validationFraction share of rows in the validation split, in [0, 1]
     * @param shardRows rows per file, at least 1
     */
    public record Spec(String path, List<String> formats, double validationFraction, int shardRows) {
        /** Checks the settings; a mistake names the setting and the fix. */
        public Spec {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException("Cannot export: the output path is empty (set export.path)");
            }
            formats = List.copyOf(formats);
            if (formats.isEmpty() || !FORMATS.containsAll(formats)) {
                throw new IllegalArgumentException("Cannot export: export.formats must list jsonl and/or parquet ("
                        + formats + ")");
            }
            if (!(validationFraction >= 0 && validationFraction <= 1)) {
                throw new IllegalArgumentException("Cannot export: export.validation_fraction must be in [0, 1] ("
                        + validationFraction + ")");
            }
            if (shardRows < 1) {
                throw new IllegalArgumentException("Cannot export: export.shard_rows must be >= 1 (" + shardRows + ")");
            }
        }
    }

    /**
     * One written file.
     *
     * @param path its path relative to the output folder, e.g. {@code data/train-00000-of-00002.jsonl}
     * @param split train or validation
     * @param rows its rows
     */
    public record DataFile(String path, String split, long rows) {}

    /**
     * What was written.
     *
     * @param files every data file, sorted by path
     * @param rowsPerRecipe rows per recipe and split ({@code recipe -> split -> rows}), sorted
     */
    public record Written(List<DataFile> files, Map<String, Map<String, Long>> rowsPerRecipe) {

        /** Rows of a split. */
        public long rows(String split) {
            return rowsPerRecipe.values().stream().mapToLong(m -> m.getOrDefault(split, 0L)).sum();
        }
    }

    /** The split of each row: {@code train} or {@code validation}, by a hash of {@code id}. */
    public static Column split(Column id, double validationFraction) {
        long cut = Math.round(validationFraction * BUCKETS);
        return when(pmod(xxhash64(lit("split"), id), lit(BUCKETS)).lt(lit(cut)), lit(VALIDATION)).otherwise(lit(TRAIN));
    }

    /**
     * Writes the rows' columns (all but those starting with {@code _}) as the training set. The rows
     * need a string {@code id} and {@code recipe}.
     *
     * @param spark the session whose Hadoop configuration reaches the path
     * @param rows the examples in their final layout
     * @param spec where and how
     * @return the files and counts, for the dataset card
     */
    public static Written write(SparkSession spark, Dataset<Row> rows, Spec spec) {
        Dataset<Row> placed = place(rows, spec).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Map<String, Long> shards = new TreeMap<>();
            Map<String, Long> shardRows = new TreeMap<>();
            Map<String, Map<String, Long>> perRecipe = new TreeMap<>();
            for (Row r : placed.groupBy(col("recipe"), col(SPLIT)).agg(count(lit(1))).collectAsList()) {
                perRecipe.computeIfAbsent(r.isNullAt(0) ? "(none)" : r.getString(0), k -> new TreeMap<>())
                        .merge(r.getString(1), r.getLong(2), Long::sum);
            }
            for (Row r : placed.groupBy(col(SPLIT), col(SHARD)).agg(count(lit(1))).collectAsList()) {
                shards.merge(r.getString(0), r.getLong(1) + 1, Math::max);
                shardRows.put(r.getString(0) + "/" + r.getLong(1), r.getLong(2));
            }
            FileSystem fs = fileSystem(spark, spec.path());
            Path out = new Path(spec.path());
            Path staging = new Path(out, "_export_staging");
            delete(fs, staging);
            List<String> columns = Arrays.stream(rows.columns()).filter(c -> !c.startsWith("_")).toList();
            Dataset<Row> ordered = placed.repartition(col(SPLIT), col(SHARD)).sortWithinPartitions(SPLIT, SHARD, ORDER, "id");
            List<Column> select = new ArrayList<>(columns.stream().map(org.apache.spark.sql.functions::col).toList());
            select.add(col(SPLIT));
            select.add(col(SHARD));
            for (String format : spec.formats()) {
                ordered.select(select.toArray(Column[]::new)).write().mode("overwrite").partitionBy(SPLIT, SHARD)
                        .format(format.equals("jsonl") ? "json" : "parquet")
                        .save(new Path(staging, format).toString());
            }
            Path data = new Path(out, "data");
            delete(fs, data);
            fs.mkdirs(data);
            List<DataFile> files = new ArrayList<>();
            for (String format : spec.formats()) {
                for (Map.Entry<String, Long> split : shards.entrySet()) {
                    for (long shard = 0; shard < split.getValue(); shard++) {
                        String name = fileName(split.getKey(), shard, split.getValue(), format);
                        Path dir = new Path(staging, format + "/" + SPLIT + "=" + split.getKey() + "/" + SHARD + "=" + shard);
                        rename(fs, onlyPart(fs, dir), new Path(data, name));
                        files.add(new DataFile("data/" + name, split.getKey(),
                                shardRows.get(split.getKey() + "/" + shard)));
                    }
                }
            }
            delete(fs, staging);
            files.sort((a, b) -> a.path().compareTo(b.path()));
            return new Written(List.copyOf(files), perRecipe);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot export to " + spec.path() + ": " + e.getMessage(), e);
        } finally {
            placed.unpersist();
        }
    }

    /** Writes the dataset card as {@code README.md} under the path, replacing one that is there. */
    public static void writeCard(SparkSession spark, String path, String markdown) {
        try {
            FileSystem fs = fileSystem(spark, path);
            try (OutputStream os = fs.create(new Path(new Path(path), "README.md"), true)) {
                os.write(markdown.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the dataset card to " + path + ": " + e.getMessage(), e);
        }
    }

    /** A data file's name, as the Hugging Face hub names shards. */
    public static String fileName(String split, long shard, long shards, String format) {
        return String.format(Locale.ROOT, "%s-%05d-of-%05d.%s", split, shard, shards, format);
    }

    /** Adds the split, the order inside it and the shard of each row. */
    private static Dataset<Row> place(Dataset<Row> rows, Spec spec) {
        Dataset<Row> split = rows.withColumn(SPLIT, split(col("id"), spec.validationFraction()))
                .withColumn(ORDER, xxhash64(lit("order"), col("id")));
        // One window per split: the numbering needs a split's rows in one place; the files do anyway.
        Column number = row_number().over(Window.partitionBy(col(SPLIT)).orderBy(col(ORDER), col("id")));
        return split.withColumn(SHARD, floor(number.minus(1).divide(spec.shardRows())).cast("long"));
    }

    /**
     * The path's file system. On a local path, the raw one: the checksummed local file system would
     * leave a hidden {@code .crc} file beside every file of the training set.
     */
    private static FileSystem fileSystem(SparkSession spark, String path) throws IOException {
        FileSystem fs = new Path(path).getFileSystem(spark.sparkContext().hadoopConfiguration());
        return fs instanceof ChecksumFileSystem local ? local.getRawFileSystem() : fs;
    }

    /** The one data file Spark wrote into a partition folder (one task wrote each shard). */
    private static Path onlyPart(FileSystem fs, Path dir) throws IOException {
        List<Path> parts = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            if (s.isFile() && name.startsWith("part-")) {
                parts.add(s.getPath());
            }
        }
        if (parts.size() != 1) {
            throw new IllegalStateException("Cannot export: expected one file in " + dir + " (" + parts + ")");
        }
        return parts.get(0);
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to);
        }
    }

    private static void delete(FileSystem fs, Path path) throws IOException {
        if (fs.exists(path)) {
            fs.delete(path, true);
        }
    }
}
