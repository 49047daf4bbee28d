package dev.phi4spark.filters.decontam;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import java.io.Serializable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Benchmark decontamination as described for Phi-4: a document is contaminated when it shares a
 * 13-gram with a benchmark item (13-grams common to many items and the user's allow-list aside),
 * or when its 7-gram overlap with an item, shared 7-grams / min(7-grams of the document, 7-grams
 * of the item), reaches {@code contaminatedAt}; it is partial when the overlap reaches {@code
 * partialAt}. Text is normalised first (lower case, punctuation stripped, whitespace collapsed).
 *
 * <p>Defaults: contaminated at 0.5, partial at 0.2.
 *
 * <p>On Spark, {@link #annotate} broadcasts the {@link BenchmarkIndex} and adds the columns {@code
 * decontam_verdict} (clean / partial / contaminated), {@code decontam_benchmark}, {@code
 * decontam_item} and {@code decontam_overlap}.
 */
public final class Decontaminator implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final double DEFAULT_CONTAMINATED_AT = 0.5;
    public static final double DEFAULT_PARTIAL_AT = 0.2;
    public static final String VERDICT = "decontam_verdict";
    public static final String BENCHMARK = "decontam_benchmark";
    public static final String ITEM = "decontam_item";
    public static final String OVERLAP = "decontam_overlap";

    private final BenchmarkIndex index;
    private final double contaminatedAt;
    private final double partialAt;

    public Decontaminator(BenchmarkIndex index) {
        this(index, DEFAULT_CONTAMINATED_AT, DEFAULT_PARTIAL_AT);
    }

    public Decontaminator(BenchmarkIndex index, double contaminatedAt, double partialAt) {
        if (!(partialAt > 0 && partialAt <= contaminatedAt && contaminatedAt <= 1)) {
            throw new IllegalArgumentException("Cannot create decontaminator: thresholds must satisfy"
                    + " 0 < partial_at <= contaminated_at <= 1 (" + partialAt + ", " + contaminatedAt + ")");
        }
        this.index = index;
        this.contaminatedAt = contaminatedAt;
        this.partialAt = partialAt;
    }

    /** Judges one document on this JVM. */
    public Verdict check(String text) {
        return index.check(text == null ? "" : text, contaminatedAt, partialAt);
    }

    /** {@code docs} with the four {@code decontam_*} columns; lazy. */
    public Dataset<Row> annotate(Dataset<Row> docs, String textColumn) {
        Broadcast<BenchmarkIndex> shared = JavaSparkContext
                .fromSparkContext(docs.sparkSession().sparkContext()).broadcast(index);
        double contaminated = contaminatedAt;
        double partial = partialAt;
        StructType type = new StructType()
                .add(VERDICT, DataTypes.StringType, false)
                .add(BENCHMARK, DataTypes.StringType, true)
                .add(ITEM, DataTypes.StringType, true)
                .add(OVERLAP, DataTypes.DoubleType, false);
        UserDefinedFunction verdictUdf = udf((UDF1<String, Row>) text -> {
            Verdict v = shared.value().check(text == null ? "" : text, contaminated, partial);
            return RowFactory.create(v.status(), v.benchmark(), v.item(), v.overlap());
        }, type).withName("decontaminate");
        String tmp = "__decontam";
        return docs.withColumn(tmp, verdictUdf.apply(col(textColumn)))
                .withColumn(VERDICT, col(tmp + "." + VERDICT))
                .withColumn(BENCHMARK, col(tmp + "." + BENCHMARK))
                .withColumn(ITEM, col(tmp + "." + ITEM))
                .withColumn(OVERLAP, col(tmp + "." + OVERLAP))
                .drop(tmp);
    }
}
