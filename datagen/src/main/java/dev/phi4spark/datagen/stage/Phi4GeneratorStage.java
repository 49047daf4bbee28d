package dev.phi4spark.datagen.stage;

import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.spark.ModelRegistry;
import dev.phi4spark.udf.spark.Phi4Generator;
import dev.phi4spark.udf.spark.Phi4Metrics;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
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
    public Dataset<Row> generate(Dataset<Row> input, String messagesColumn, String seedColumn, SamplingParams sampling,
            String outputPrefix) {
        return generator(messagesColumn, seedColumn, sampling, outputPrefix).transform(input);
    }

    /**
     * Opens the assistant turn after each row's messages with the prefix in it and generates what
     * follows. The prefix is encoded as plain text ({@code Phi4Tokenizer.encodeContinuation}): it is a
     * model's earlier answer, which may quote a hostile seed. Rows with the same messages and prefix
     * share the whole prompt, which the engine's prefix cache computes once per window of rows.
     */
    @Override
    public Dataset<Row> continueFrom(Dataset<Row> input, String messagesColumn, String prefixColumn, String seedColumn,
            SamplingParams sampling, String outputPrefix) {
        return generator(messagesColumn, seedColumn, sampling, outputPrefix).setAssistantPrefixCol(prefixColumn)
                .transform(input);
    }

    /**
     * The engine's tokens as text: each piece is what its token adds to the decoded text, a token that
     * ends inside a UTF-8 character going with the next one, so the pieces concatenate to the text.
     */
    @Override
    public Dataset<Row> pieces(Dataset<Row> input, String textColumn, String outputColumn) {
        Phi4Options opts = options;
        UDF1<String, String[]> split = text -> text == null ? null
                : tokenPieces(ModelRegistry.engine(opts, null).requireTokenizer(), text);
        return input.withColumn(outputColumn, functions.udf(split, DataTypes.createArrayType(DataTypes.StringType))
                .asNondeterministic().apply(functions.col(textColumn)));
    }

    /** The pieces of a text under a tokenizer (see {@link #pieces}). */
    public static String[] tokenPieces(Phi4Tokenizer tokenizer, String text) {
        long[] ids = tokenizer.encode(text);
        List<String> out = new ArrayList<>();
        String done = "";
        for (int i = 1; i <= ids.length; i++) {
            String decoded = tokenizer.decode(java.util.Arrays.copyOf(ids, i), false);
            if (decoded.endsWith("\ufffd") && i < ids.length) {
                continue;
            }
            if (decoded.startsWith(done) && decoded.length() > done.length()) {
                out.add(decoded.substring(done.length()));
                done = decoded;
            }
        }
        return out.toArray(String[]::new);
    }

    /** The generator of one call: every model option, batching included, from the stage's options. */
    Phi4Generator generator(String inputColumn, String seedColumn, SamplingParams sampling, String outputPrefix) {
        Phi4Generator generator = new Phi4Generator()
                .setOptions(options)
                .setInputCol(inputColumn)
                .setSamplingParams(sampling)
                .setOutputCol(outputPrefix + COMPLETION)
                .setFinishReasonCol(outputPrefix + FINISH_REASON)
                .setPromptTokensCol(outputPrefix + PROMPT_TOKENS)
                .setCompletionTokensCol(outputPrefix + COMPLETION_TOKENS)
                .setErrorCol(outputPrefix + ERROR);
        if (metrics != null) {
            generator.setMetrics(metrics);
        }
        if (seedColumn != null) {
            generator.setSeedCol(seedColumn);
        }
        return generator;
    }
}
