package dev.phi4spark.datagen.stage;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A {@link GenerationStage} whose "model" is a {@link Responder}, run as a Spark UDF: deterministic
 * completions for tests of recipe logic and for dry runs of a plan without a model.
 *
 * <p>It mimics the real stage's bookkeeping so recipes see realistic rows: token counts are
 * estimated as one token per {@value #CHARS_PER_TOKEN} characters, the completion is cut at the first
 * stop string (finish reason {@code stop}) or at {@code maxNewTokens} tokens (finish reason
 * {@code length}), and a responder exception becomes the row's error.
 */
public final class ScriptedGenerationStage implements GenerationStage {

    private static final long serialVersionUID = 1L;

    /** Characters per estimated token. */
    public static final int CHARS_PER_TOKEN = 4;

    private static final StructType RESULT = new StructType()
            .add(COMPLETION, DataTypes.StringType)
            .add(FINISH_REASON, DataTypes.StringType)
            .add(PROMPT_TOKENS, DataTypes.IntegerType)
            .add(COMPLETION_TOKENS, DataTypes.IntegerType)
            .add(ERROR, DataTypes.StringType);

    private final String model;
    private final Responder responder;

    /**
     * A stage answering with {@code responder}.
     *
     * @param model the identity written to the {@code model} column, for example {@code scripted:qa-test}
     * @param responder the script
     */
    public ScriptedGenerationStage(String model, Responder responder) {
        this.model = Objects.requireNonNull(model, "model");
        this.responder = Objects.requireNonNull(responder, "responder");
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public Dataset<Row> generate(Dataset<Row> input, String messagesColumn, String seedColumn, SamplingParams sampling,
            String outputPrefix) {
        String step = outputPrefix.endsWith("_") ? outputPrefix.substring(0, outputPrefix.length() - 1) : outputPrefix;
        Column seed = seedColumn == null ? lit(sampling.seed()) : col(seedColumn);
        String tmp = outputPrefix + "__scripted";
        Dataset<Row> withResult = input.withColumn(tmp, callUdf(sampling).apply(lit(step), col(messagesColumn), seed));
        for (String field : RESULT.fieldNames()) {
            withResult = withResult.withColumn(outputPrefix + field, col(tmp).getField(field));
        }
        return withResult.drop(tmp);
    }

    /**
     * Continues the answer: the responder sees the prompt with one more message, the assistant's, holding
     * the prefix; its text is what follows the prefix.
     */
    @Override
    public Dataset<Row> continueFrom(Dataset<Row> input, String messagesColumn, String prefixColumn, String seedColumn,
            SamplingParams sampling, String outputPrefix) {
        String open = outputPrefix + "__open";
        Column turn = org.apache.spark.sql.functions.struct(lit("assistant").as("role"),
                org.apache.spark.sql.functions.coalesce(col(prefixColumn), lit("")).as("content"));
        Dataset<Row> withOpen = input.withColumn(open, org.apache.spark.sql.functions.concat(col(messagesColumn),
                org.apache.spark.sql.functions.array(turn)));
        return generate(withOpen, open, seedColumn, sampling, outputPrefix).drop(open);
    }

    /**
     * Pieces as a word-level tokenizer would cut them: each run of spaces goes with the word after it,
     * so {@code "x = 2 + 3"} is {@code ["x", " =", " 2", " +", " 3"]}.
     */
    @Override
    public Dataset<Row> pieces(Dataset<Row> input, String textColumn, String outputColumn) {
        UDF1<String, String[]> split = ScriptedGenerationStage::words;
        return input.withColumn(outputColumn,
                udf(split, DataTypes.createArrayType(DataTypes.StringType)).apply(col(textColumn)));
    }

    /** The scripted tokenizer's pieces of a text (see {@link #pieces}); null for null. */
    public static String[] words(String text) {
        if (text == null) {
            return null;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*\\S+|\\s+$").matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group());
        }
        return out.toArray(String[]::new);
    }

    /**
     * Marked non-deterministic although it is not: a model call is the expensive part of a recipe, and
     * Spark may otherwise copy a deterministic call into every later reference (a filter pushed below
     * the projection, for one) and run it twice.
     */
    private UserDefinedFunction callUdf(SamplingParams sampling) {
        Responder script = responder;
        UDF3<String, Seq<Row>, Long, Row> call = (step, messages, seed) ->
                respond(script, sampling, step, toMessages(messages), seed == null ? sampling.seed() : seed);
        return udf(call, RESULT).asNondeterministic();
    }

    static Row respond(Responder script, SamplingParams sampling, String step, List<ChatMessage> messages, long seed) {
        int promptTokens = estimateTokens(messages.stream().mapToInt(m -> m.content().length()).sum());
        String text;
        try {
            text = script.respond(step, messages, seed);
        } catch (RuntimeException e) {
            return RowFactory.create(null, "error", promptTokens, 0, "Cannot generate: " + e.getMessage());
        }
        String reason = "stop";
        for (String stop : sampling.stopStrings()) {
            int at = text.indexOf(stop);
            if (at >= 0) {
                text = text.substring(0, at);
            }
        }
        int budgetChars = sampling.maxNewTokens() * CHARS_PER_TOKEN;
        if (text.length() > budgetChars) {
            text = text.substring(0, budgetChars);
            reason = "length";
        }
        return RowFactory.create(text, reason, promptTokens, estimateTokens(text.length()), null);
    }

    private static int estimateTokens(int chars) {
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    private static List<ChatMessage> toMessages(Seq<Row> rows) {
        List<ChatMessage> out = new ArrayList<>();
        if (rows == null) {
            return out;
        }
        for (Row r : CollectionConverters.asJava(rows)) {
            String content = r.getAs("content");
            out.add(new ChatMessage(r.getAs("role"), content == null ? "" : content));
        }
        return out;
    }
}
