package dev.phi4spark.datagen.stage;

import dev.phi4spark.datagen.SamplingSpec;
import dev.phi4spark.udf.spark.Phi4Generator;
import dev.phi4spark.udf.spark.Phi4Metrics;
import dev.phi4spark.udf.spark.Phi4Options;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The {@link GenerationStage} of the real model: one {@link Phi4Generator} transform per recipe step,
 * which batches the rows of each partition on the executors' engines.
 *
 * <p>The model identity written to the {@code model} column and hashed into row ids is given by the
 * caller: pass the engine's {@code Phi4Engine.identity()} (folder name and a hash of its config and
 * weights) when the job knows it, so that a different checkpoint at the same path gives new ids; the
 * default, {@code phi4:<modelPath>}, only names the path.
 */
public final class Phi4GeneratorStage implements GenerationStage {

    private static final long serialVersionUID = 1L;

    private final Phi4Options options;
    private final String model;
    private Phi4Metrics metrics;
    private int maxBatchTokens = Phi4Options.DEFAULT_MAX_BATCH_TOKENS;
    private int maxBatchRows = Phi4Options.DEFAULT_MAX_BATCH_ROWS;

    /** A stage on the model at {@code options.modelPath()}, identified by its path. */
    public Phi4GeneratorStage(Phi4Options options) {
        this(options, "phi4:" + options.requireModelPath());
    }

    /**
     * A stage on a model with a given identity.
     *
     * @param options where the model is and how to run it
     * @param model the identity written to rows and hashed into their ids
     */
    public Phi4GeneratorStage(Phi4Options options, String model) {
        this.options = Objects.requireNonNull(options, "options");
        this.model = Objects.requireNonNull(model, "model");
        options.requireModelPath();
    }

    /** Sets the batch budget of each generation step: padded tokens and rows per batch. */
    public Phi4GeneratorStage withBatching(int maxTokens, int maxRows) {
        this.maxBatchTokens = maxTokens;
        this.maxBatchRows = maxRows;
        return this;
    }

    /** Counts rows and tokens into {@code metrics}, for progress lines. */
    public Phi4GeneratorStage withMetrics(Phi4Metrics newMetrics) {
        this.metrics = newMetrics;
        return this;
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public Dataset<Row> generate(Dataset<Row> input, String messagesColumn, String seedColumn, SamplingSpec sampling,
            String outputPrefix) {
        Phi4Generator generator = new Phi4Generator()
                .setOptions(options)
                .setInputCol(messagesColumn)
                .setTemperature(sampling.temperature())
                .setTopK(sampling.topK())
                .setTopP(sampling.topP())
                .setRepetitionPenalty(sampling.repetitionPenalty())
                .setMaxNewTokens(sampling.maxNewTokens())
                .setStopStrings(sampling.stopStrings().toArray(String[]::new))
                .setSeed(sampling.seed())
                .setOutputCol(outputPrefix + COMPLETION)
                .setFinishReasonCol(outputPrefix + FINISH_REASON)
                .setPromptTokensCol(outputPrefix + PROMPT_TOKENS)
                .setCompletionTokensCol(outputPrefix + COMPLETION_TOKENS)
                .setErrorCol(outputPrefix + ERROR)
                .setMaxBatchTokens(maxBatchTokens)
                .setMaxBatchRows(maxBatchRows);
        if (metrics != null) {
            generator.setMetrics(metrics);
        }
        if (seedColumn != null) {
            generator.setSeedCol(seedColumn);
        }
        return generator.transform(input);
    }
}
