package dev.phi4spark.filters.dedup;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.filters.Murmur3;
import dev.phi4spark.filters.TextNormalizer;
import java.io.Serializable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * Exact duplicate removal: documents whose {@link TextNormalizer normalised} text (lower case,
 * punctuation stripped, whitespace collapsed) is the same are duplicates; the one with the
 * smallest id is kept. Texts are compared by a 128-bit key (two seeded MurmurHash3 hashes), so only
 * the key travels through the shuffle. Ids must be non-null and orderable.
 */
public final class ExactDedup implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Reject reason of a dropped exact duplicate. */
    public static final String REASON = "exact_dedup_duplicate";

    /** The 128-bit key of {@code text}'s normalised form, as 32 hex digits. */
    public static String key(String text) {
        String normalized = TextNormalizer.normalize(text);
        return String.format("%016x%016x", Murmur3.hash64(normalized, 0x5eed1),
                Murmur3.hash64(normalized, 0x5eed2));
    }

    /**
     * {@code docs} with a string column {@code reasonColumn}: {@value #REASON} for every duplicate
     * but the smallest id of its group, null otherwise. Lazy; the caller triggers the shuffle.
     */
    public Dataset<Row> markDuplicates(Dataset<Row> docs, String textColumn, String idColumn,
            String reasonColumn) {
        UserDefinedFunction keyUdf =
                udf((UDF1<String, String>) ExactDedup::key, DataTypes.StringType).withName("exact_dedup_key");
        String keyCol = "__exact_dedup_key";
        String rankCol = "__exact_dedup_rank";
        Column rank = row_number().over(Window.partitionBy(col(keyCol)).orderBy(col(idColumn).asc()));
        return docs.withColumn(keyCol, keyUdf.apply(col(textColumn)))
                .withColumn(rankCol, rank)
                .withColumn(reasonColumn, when(col(rankCol).gt(1), lit(REASON)))
                .drop(keyCol, rankCol);
    }
}
