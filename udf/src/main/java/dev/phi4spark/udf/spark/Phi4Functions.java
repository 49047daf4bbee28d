package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.ChoiceResult;
import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Function1;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * Spark SQL functions over the same per-executor models as the Transformers, for ad hoc queries. They
 * run one row at a time, so they are much slower than {@link Phi4Generator}, {@link Phi4Scorer} and
 * {@link Phi4Judge}, which batch: use those for bulk work.
 *
 * <ul>
 *   <li>{@code phi4_generate(prompt [, max_new_tokens [, temperature]])}: the completion string of the
 *       prompt rendered as one chat user turn; the other fields and the defaults of these two are
 *       {@link SamplingParams#DEFAULTS} (512 tokens, temperature 0.7, top_p 0.95). Rows get the seed
 *       {@code Phi4Generator.rowSeed(0, renderedPrompt)}, so a sampled completion is the same on every run.
 *   <li>{@code phi4_score(text)}: {@code struct<mean_logprob: double, perplexity: double, token_count: int>}
 *       with {@link Phi4Scorer}'s default windows.
 *   <li>{@code phi4_judge(text)}: the expected 0-5 score under {@link Phi4Judge}'s default rubric.
 * </ul>
 *
 * <p>A row that cannot run (null, empty, too short) gives null. The score struct is one call: select
 * {@code s.*} from a subquery rather than calling {@code phi4_score} once per field.
 */
public final class Phi4Functions {

    /** Name of the generation function. */
    public static final String GENERATE = "phi4_generate";
    /** Name of the scoring function. */
    public static final String SCORE = "phi4_score";
    /** Name of the judge function. */
    public static final String JUDGE = "phi4_judge";

    /** The struct {@code phi4_score} returns. */
    public static final StructType SCORE_TYPE = new StructType()
            .add("mean_logprob", DataTypes.DoubleType, false)
            .add("perplexity", DataTypes.DoubleType, false)
            .add("token_count", DataTypes.IntegerType, false);

    private static final Phi4Transformer.Batching ONE_ROW = new Phi4Transformer.Batching(Integer.MAX_VALUE, 1);

    private Phi4Functions() {}

    /** Registers the three functions in the session, replacing earlier registrations. */
    public static void register(SparkSession spark, Phi4Options options) {
        options.requireModelPath();
        spark.udf().register(GENERATE, new Generate(options), DataTypes.StringType);
        spark.udf().register(SCORE, new Score(options), SCORE_TYPE);
        spark.udf().register(JUDGE, new Judge(options), DataTypes.DoubleType);
        allowOptionalArguments(spark, GENERATE, 1,
                List.of(Literal.create(SamplingParams.DEFAULTS.maxNewTokens(), DataTypes.IntegerType),
                        Literal.create(SamplingParams.DEFAULTS.temperature(), DataTypes.DoubleType)));
    }

    /**
     * Wraps a registered function's builder so that trailing arguments may be left out: Java UDFs have a
     * fixed arity, and Spark has no public API for optional arguments.
     */
    private static void allowOptionalArguments(SparkSession spark, String name, int required, List<Expression> defaults) {
        if (!(spark instanceof org.apache.spark.sql.classic.SparkSession classic)) {
            throw new IllegalArgumentException("Cannot register " + name + ": needs a classic SparkSession, not "
                    + "Spark Connect (" + spark.getClass().getName() + ")");
        }
        FunctionRegistry registry = classic.sessionState().functionRegistry();
        FunctionIdentifier id = FunctionIdentifier.apply(name);
        Function1<Seq<Expression>, Expression> full = registry.lookupFunctionBuilder(id).get();
        registry.dropFunction(id); // replacing would log a warning on every registration
        registry.createOrReplaceTempFunction(name, new Padding(name, required, defaults, full), "java_udf");
    }

    /** Fills left-out trailing arguments with their defaults. */
    private static final class Padding extends AbstractFunction1<Seq<Expression>, Expression> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final int required;
        private final List<Expression> defaults;
        private final Function1<Seq<Expression>, Expression> full;

        Padding(String name, int required, List<Expression> defaults, Function1<Seq<Expression>, Expression> full) {
            this.name = name;
            this.required = required;
            this.defaults = defaults;
            this.full = full;
        }

        @Override
        public Expression apply(Seq<Expression> args) {
            List<Expression> given = new ArrayList<>(CollectionConverters.asJava(args));
            int most = required + defaults.size();
            if (given.size() < required || given.size() > most) {
                throw new IllegalArgumentException("Cannot call " + name + ": expected " + required + " to " + most
                        + " arguments (" + given.size() + ")");
            }
            given.addAll(defaults.subList(given.size() - required, defaults.size()));
            return full.apply(CollectionConverters.asScala(given).toList());
        }
    }

    private static final class Generate implements UDF3<String, Object, Object, String> {
        private static final long serialVersionUID = 1L;
        private final Phi4Options options;

        Generate(Phi4Options options) {
            this.options = options;
        }

        @Override
        public String call(String prompt, Object maxNewTokens, Object temperature) {
            if (prompt == null || prompt.isBlank()) {
                return null;
            }
            Phi4Engine engine = ModelRegistry.engine(options, null);
            List<ChatMessage> chat = ChatTemplate.question(null, prompt);
            String rendered = ChatTemplate.render(chat, true);
            SamplingParams params = SamplingParams.DEFAULTS.withSeed(Phi4Generator.rowSeed(0, rendered));
            if (maxNewTokens != null) {
                params = params.withMaxNewTokens(((Number) maxNewTokens).intValue());
            }
            if (temperature != null) {
                params = params.withTemperature(((Number) temperature).doubleValue());
            }
            GenerationResult r = engine.generate(List.of(
                    new GenerationRequest(engine.requireTokenizer().encodeChat(chat, true), params))).get(0);
            return r.error() == null ? r.text() : null;
        }
    }

    private static final class Score implements UDF1<String, Row> {
        private static final long serialVersionUID = 1L;
        private final Phi4Options options;

        Score(Phi4Options options) {
            this.options = options;
        }

        @Override
        public Row call(String text) {
            Phi4Engine engine = ModelRegistry.engine(options, null);
            ScoreWindows.TextScore r = Phi4Scorer.scoreTexts(engine, java.util.Collections.singletonList(text),
                    Phi4Scorer.DEFAULT_WINDOW_TOKENS, Phi4Scorer.DEFAULT_WINDOW_OVERLAP, ONE_ROW).get(0);
            if (r instanceof ScoreWindows.Total t) {
                return RowFactory.create(t.mean(), t.perplexity(), t.count());
            }
            return null;
        }
    }

    private static final class Judge implements UDF1<String, Double> {
        private static final long serialVersionUID = 1L;
        private final Phi4Options options;

        Judge(Phi4Options options) {
            this.options = options;
        }

        @Override
        public Double call(String text) {
            Phi4Engine engine = ModelRegistry.engine(options, null);
            ChoiceResult c = Phi4Judge.judgeTexts(engine, JudgePrompt.defaults(),
                    java.util.Collections.singletonList(text), ONE_ROW, options.minSharedPrefix()).get(0).choice();
            return c.error() == null ? c.expected(JudgePrompt.digitValues()) : null;
        }
    }
}
