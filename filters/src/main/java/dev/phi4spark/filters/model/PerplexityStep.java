package dev.phi4spark.filters.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.filters.pipeline.PipelineStep;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.spark.Phi4Scorer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Keeps documents whose perplexity under the model is at most {@code maxPerplexity}: very high
 * perplexity marks garbled or off-distribution text. Adds {@code perplexity}; reasons
 * {@code perplexity_too_high} and {@code perplexity_error}.
 */
public final class PerplexityStep implements PipelineStep {

    private static final long serialVersionUID = 1L;

    /** The column the perplexity is kept in. */
    public static final String PERPLEXITY = "perplexity";

    private final Phi4Options options;
    private final double maxPerplexity;

    /** A perplexity filter over the model in {@code options}. */
    public PerplexityStep(Phi4Options options, double maxPerplexity) {
        if (!(maxPerplexity > 1)) {
            throw new IllegalArgumentException("Cannot build perplexity filter: max_perplexity must be above 1 ("
                    + maxPerplexity + ")");
        }
        this.options = options;
        this.maxPerplexity = maxPerplexity;
    }

    @Override
    public String name() {
        return "perplexity";
    }

    /** The model location and options the scorer runs with, batching included. */
    public Phi4Options options() {
        return options;
    }

    /** The scorer over a text column: every model option, batching included, from {@link #options()}. */
    Phi4Scorer scorer(String textColumn) {
        return new Phi4Scorer().setOptions(options).setInputCol(textColumn)
                .setPerplexityCol(PERPLEXITY).setMeanLogprobCol("_ppl_mean_logprob").setTokenCountCol("_ppl_tokens")
                .setErrorCol("_ppl_error");
    }

    @Override
    public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
        Dataset<Row> scored = scorer(context.textColumn()).transform(docs);
        return scored.withColumn(context.reasonColumn(),
                        when(col("_ppl_error").isNotNull(), lit("perplexity_error"))
                                .when(col(PERPLEXITY).gt(maxPerplexity), lit("perplexity_too_high")))
                .drop("_ppl_mean_logprob", "_ppl_tokens", "_ppl_error");
    }
}
