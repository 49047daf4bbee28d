package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.udf;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.filters.dedup.ExactDedup;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.pipeline.PipelineStep;
import dev.phi4spark.filters.pipeline.StepSpecs;
import dev.phi4spark.jobs.delta.TableStore;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The filter step that removes rows duplicating, exactly or nearly, rows that earlier runs already put in
 * {@code synthetic_curated}: the pipeline's own dedup steps only compare the rows of one batch. It runs
 * with the settings of the configured {@code exact_dedup} and {@code near_dedup} steps, right after them.
 *
 * <p>The curated rows' exact keys and MinHash signatures are kept in the Delta table
 * {@value #TABLE}, one row per curated id and signature settings, so day N computes only its own
 * batch's signatures; curated rows without one (a warehouse from before this table, or new MinHash
 * settings) get theirs computed once, the first time they are needed.
 */
public final class EarlierRunsDedup implements PipelineStep {

    private static final long serialVersionUID = 1L;

    /** Step name in the funnel and in {@code reject_step}. */
    public static final String NAME = "dedup_earlier_runs";

    /** The signatures table. */
    public static final String TABLE = "dedup_signatures";

    private static final StructType SIGNATURE = new StructType()
            .add("exact_key", DataTypes.StringType)
            .add("signature", DataTypes.createArrayType(DataTypes.LongType, false), true)
            .add("bands", DataTypes.createArrayType(DataTypes.LongType, false), true);

    private final boolean exact;
    private final MinHashDedup near;
    private final double verifyThreshold;
    private final String settings;
    private transient Dataset<Row> history;
    private transient Dataset<Row> computed;

    private EarlierRunsDedup(boolean exact, MinHashDedup near, double verifyThreshold, String settings) {
        this.exact = exact;
        this.near = near;
        this.verifyThreshold = verifyThreshold;
        this.settings = settings;
    }

    /** The step for the configured filter steps, or null when they have no dedup step. */
    public static EarlierRunsDedup of(List<Map<String, Object>> steps) {
        boolean exact = steps.stream().anyMatch(s -> "exact_dedup".equals(s.get("name")));
        Map<String, Object> nearSpec = steps.stream().filter(s -> "near_dedup".equals(s.get("name"))).findFirst()
                .orElse(null);
        if (!exact && nearSpec == null) {
            return null;
        }
        if (nearSpec == null) {
            return new EarlierRunsDedup(true, null, 0, "exact");
        }
        // the near_dedup step's own settings, parsed by the step registry as the step parses them
        StepSpecs.MinHashSettings near = StepSpecs.nearDedup(nearSpec);
        // the threshold is left out: it decides pairs, it does not change signatures
        return new EarlierRunsDedup(exact, near.dedup(), near.threshold(), MinHashDedup.SCHEME + " ngram="
                + near.ngramSize() + " bands=" + near.bands() + " rows=" + near.rows() + " seed=" + near.seed());
    }

    /** Where it goes in the pipeline: right after the last dedup step of {@code steps}. */
    public static int position(List<Map<String, Object>> steps) {
        int at = -1;
        for (int i = 0; i < steps.size(); i++) {
            Object name = steps.get(i).get("name");
            if ("exact_dedup".equals(name) || "near_dedup".equals(name)) {
                at = i;
            }
        }
        return at + 1;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean needsId() {
        return true;
    }

    /**
     * Reads the curated rows' signatures, first computing and storing those that are missing; returns how
     * many it computed. Call before the pipeline runs.
     */
    long loadHistory(TableStore tables, String textColumn) {
        var spark = org.apache.spark.sql.SparkSession.active();
        long added = 0;
        if (tables.exists(TableStore.SYNTHETIC_CURATED)) {
            Dataset<Row> curated = tables.read(TableStore.SYNTHETIC_CURATED).select(col("id"), col(textColumn));
            if (tables.exists(TABLE)) {
                Dataset<Row> known = stored(tables).select(col("id").as("_known"));
                curated = curated.join(known, col("id").equalTo(col("_known")), "left_anti");
            }
            added = store(tables, signatures(curated, textColumn, "id"));
        }
        history = tables.exists(TABLE) ? stored(tables).select("id", "exact_key", "signature", "bands")
                : spark.createDataFrame(List.of(), new StructType().add("id", DataTypes.StringType)
                        .add(SIGNATURE.fields()[0]).add(SIGNATURE.fields()[1]).add(SIGNATURE.fields()[2]));
        return added;
    }

    private Dataset<Row> stored(TableStore tables) {
        return tables.read(TABLE).where(col("settings").equalTo(settings));
    }

    /**
     * The signatures of the rows that ended in {@code kept}, computed now: call it before {@code kept}
     * is written, since writing {@code synthetic_curated} invalidates the cached plans that read it, and
     * {@code kept} recomputed afterwards would leave out the rows just curated.
     */
    Dataset<Row> keptSignatures(Dataset<Row> kept, String textColumn) {
        if (computed != null) {
            computed.unpersist();
            computed = null;
        }
        return signatures(kept, textColumn, "id").localCheckpoint();
    }

    /** Stores signatures from {@link #keptSignatures} once their rows are curated; returns how many. */
    long record(TableStore tables, Dataset<Row> keptSignatures) {
        return store(tables, keptSignatures);
    }

    private long store(TableStore tables, Dataset<Row> signatures) {
        Dataset<Row> rows = signatures.select(Ids.hash(col("id"), lit(settings)).as("key"), col("id"),
                lit(settings).as("settings"), col("exact_key"), col("signature"), col("bands"));
        if (!tables.exists(TABLE) && rows.isEmpty()) {
            return 0;
        }
        return tables.insertNew(TABLE, rows, "key");
    }

    /** {@code (id, exact_key, signature, bands)} of {@code docs}; signature and bands null without near dedup. */
    private Dataset<Row> signatures(Dataset<Row> docs, String textColumn, String idColumn) {
        MinHashDedup minHash = near;
        UserDefinedFunction sign = udf((UDF1<String, Row>) text -> {
            long[] sig = minHash == null ? null : minHash.signature(text);
            return RowFactory.create(ExactDedup.key(text == null ? "" : text), sig,
                    sig == null ? null : minHash.bandHashes(sig));
        }, SIGNATURE).withName("dedup_signature");
        return docs.select(col(idColumn).as("id"), sign.apply(col(textColumn)).as("s"))
                .select(col("id"), col("s.exact_key").as("exact_key"), col("s.signature").as("signature"),
                        col("s.bands").as("bands"));
    }

    @Override
    public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
        if (history == null) {
            throw new IllegalStateException("Cannot dedup against earlier runs: their signatures were not loaded");
        }
        computed = signatures(docs, context.textColumn(), context.idColumn()).persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> old = history.select(col("id").as("old_id"), col("exact_key").as("old_key"),
                col("signature").as("old_sig"), col("bands").as("old_bands"));
        Dataset<Row> dups = null;
        if (exact) {
            dups = computed.join(old, col("exact_key").equalTo(col("old_key")).and(col("id").notEqual(col("old_id"))),
                    "left_semi").select(col("id"), lit(ExactDedup.REASON).as("reason"));
        }
        if (near != null) {
            Dataset<Row> nearDups = nearDuplicates(old);
            dups = dups == null ? nearDups : dups.unionByName(nearDups);
        }
        // min: an exact copy reads exact_dedup_duplicate even though it is a near one too
        Dataset<Row> marks = dups.groupBy("id").agg(min("reason").as(context.reasonColumn()))
                .withColumnRenamed("id", "_dup_id").localCheckpoint();
        return docs.join(marks, col(context.idColumn()).equalTo(col("_dup_id")), "left").drop("_dup_id");
    }

    /** Rows whose MinHash bands meet a curated row's in some bucket and whose signatures agree enough. */
    private Dataset<Row> nearDuplicates(Dataset<Row> old) {
        Dataset<Row> fresh = computed.where(col("signature").isNotNull())
                .select(col("id"), col("signature"), posexplode(col("bands")).as(new String[] {"band", "bucket"}));
        Dataset<Row> earlier = old.where(col("old_sig").isNotNull())
                .select(col("old_id"), col("old_sig"), posexplode(col("old_bands")).as(new String[] {"old_band",
                        "old_bucket"}));
        Dataset<Row> pairs = fresh.join(earlier, col("band").equalTo(col("old_band"))
                        .and(col("bucket").equalTo(col("old_bucket"))))
                .where(col("id").notEqual(col("old_id")))
                .select("id", "old_id", "signature", "old_sig").dropDuplicates("id", "old_id");
        String agreeing = "aggregate(zip_with(signature, old_sig, (x, y) -> if(x = y, 1, 0)), 0, (acc, x) -> acc + x)";
        return pairs.where(expr(agreeing).geq(lit(verifyThreshold * near.numHashes() - 1e-9)))
                .select(col("id"), lit(MinHashDedup.REASON).as("reason"));
    }
}
