package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.try_element_at;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Questions kept by how much sampled answers agree: the Phi-4 report's filter for questions that are
 * neither too easy nor unanswerable.
 *
 * <p>Each question is answered {@code k} times with different seeds ({@code k} rows per question, one
 * model step), the final answer is extracted from each ({@link AnswerExtractor}), and a
 * {@code groupBy} on the row id tallies them ({@link Votes}). The agreement is the share of the
 * {@code k} samples that gave the majority answer. A question is accepted when
 * {@code low <= agreement <= high}: all samples agreeing means it is too easy, none agreeing that it is
 * too hard or ambiguous. The row's example is the question with the first sampled solution that reached
 * the majority answer, which becomes the {@code reference_answer}.
 *
 * <p>Template {@code majority_vote_answer}.
 */
public final class MajorityVoteQA implements Recipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "majority_vote_qa";
    /** Default samples per question. */
    public static final int DEFAULT_K = 5;
    /** Default lowest agreement kept: with 5 samples, 2 must agree. */
    public static final double DEFAULT_LOW = 0.4;
    /** Default highest agreement kept: with 5 samples, at least one must disagree. */
    public static final double DEFAULT_HIGH = 0.8;
    /** The placeholders its template must use. */
    public static final Set<String> PLACEHOLDERS = Set.of("question");

    private static final String STEP = "answer";
    private static final StructType TALLY = new StructType()
            .add("majority", DataTypes.StringType)
            .add("count", DataTypes.IntegerType)
            .add("total", DataTypes.IntegerType);

    private final int k;
    private final double low;
    private final double high;
    private final PromptTemplate template;

    /** Defaults, bundled template. */
    public MajorityVoteQA() {
        this(DEFAULT_K, DEFAULT_LOW, DEFAULT_HIGH, null);
    }

    /**
     * A majority-vote recipe.
     *
     * @param k samples per question, at least 2
     * @param low lowest agreement kept
     * @param high highest agreement kept
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public MajorityVoteQA(int k, double low, double high, Path templatesDir) {
        if (k < 2) {
            throw new IllegalArgumentException("Cannot configure recipe '" + NAME + "': k must be >= 2 (" + k + ")");
        }
        if (!(0 <= low && low <= high && high <= 1)) {
            throw new IllegalArgumentException("Cannot configure recipe '" + NAME
                    + "': need 0 <= low <= high <= 1 (low " + low + ", high " + high + ")");
        }
        this.k = k;
        this.low = low;
        this.high = high;
        this.template = PromptTemplate.load("majority_vote_answer", PLACEHOLDERS, templatesDir);
    }

    /** From plan parameters: {@code k}, {@code low}, {@code high} (defaults 5, 0.4, 0.8). */
    public static MajorityVoteQA fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int k = p.integer("k", DEFAULT_K, 2);
        double low = p.decimal("low", DEFAULT_LOW, 0, 1);
        double high = p.decimal("high", DEFAULT_HIGH, 0, 1);
        p.finish();
        return new MajorityVoteQA(k, low, high, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String variant() {
        return String.format(Locale.ROOT, "k=%d;low=%s;high=%s", k, low, high);
    }

    @Override
    public int callsPerSeed() {
        return k;
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.QUESTION;
    }

    /** The keep rule: a majority answer exists and its agreement is within [low, high]. */
    public boolean keeps(Votes.Tally tally) {
        return tally.majority() != null && tally.agreement() >= low && tally.agreement() <= high;
    }

    /**
     * Runs it.
     *
     * @throws IllegalArgumentException if the sampling is greedy: all k samples would be the same
     */
    @Override
    public Dataset<Row> run(Dataset<Row> seeds, RecipeContext context) {
        if (context.sampling().isGreedy()) {
            throw new IllegalArgumentException("Cannot run recipe '" + NAME
                    + "': greedy sampling gives k identical answers; set temperature > 0 (" + context.sampling().temperature() + ")");
        }
        Dataset<Row> samples = RecipeSteps.withIds(seeds, this, context)
                .withColumn("sample", explode(sequence(lit(0), lit(k - 1))));
        samples = RecipeSteps.generate(samples, context, STEP,
                template.toColumn(Map.of("question", col(Seeds.SEED_TEXT))), col("sample"));
        UDF1<String, String> extractFn = AnswerExtractor::extract;
        samples = samples.withColumn("extracted",
                udf(extractFn, DataTypes.StringType).apply(RecipeSteps.out(STEP, GenerationStage.COMPLETION)));
        return RecipeSteps.finish(vote(aggregate(samples), context), this, context, List.of(STEP));
    }

    /** One row per question, its samples in sample order. */
    private static Dataset<Row> aggregate(Dataset<Row> samples) {
        List<Column> keys = new ArrayList<>();
        keys.add(col(SyntheticSchema.ID));
        Seeds.columns().forEach(c -> keys.add(col(c)));
        keys.add(col(STEP + "_messages"));
        Column sample = struct(col("sample"), col("extracted"),
                RecipeSteps.out(STEP, GenerationStage.COMPLETION).as("completion"),
                RecipeSteps.out(STEP, GenerationStage.FINISH_REASON).as("finish_reason"),
                RecipeSteps.out(STEP, GenerationStage.PROMPT_TOKENS).as("prompt_tokens"),
                RecipeSteps.out(STEP, GenerationStage.COMPLETION_TOKENS).as("completion_tokens"),
                RecipeSteps.out(STEP, GenerationStage.ERROR).as("error"));
        return samples.groupBy(keys.toArray(Column[]::new)).agg(sort_array(collect_list(sample)).as("samples"));
    }

    private Dataset<Row> vote(Dataset<Row> questions, RecipeContext context) {
        Dataset<Row> df = questions
                .withColumn(SyntheticSchema.ANSWERS, expr("transform(samples, s -> s.extracted)"))
                .withColumn("tally", udf((UDF1<Seq<String>, Row>) MajorityVoteQA::tallyRow, TALLY).apply(col(SyntheticSchema.ANSWERS)))
                .withColumn(SyntheticSchema.REFERENCE_ANSWER, col("tally.majority"))
                .withColumn(SyntheticSchema.AGREEMENT,
                        col("tally.count").cast(DataTypes.DoubleType).divide(col("tally.total")))
                .withColumn("chosen", try_element_at(expr("filter(samples, s -> s.extracted = tally.majority)"), lit(1)));
        Column agreement = col(SyntheticSchema.AGREEMENT);
        Column noAnswer = col(SyntheticSchema.REFERENCE_ANSWER).isNull();
        return df
                .withColumn(SyntheticSchema.MESSAGES, col(STEP + "_messages"))
                .withColumn(SyntheticSchema.COMPLETION, col("chosen.completion"))
                .withColumn(SyntheticSchema.FINISH_REASON, col("chosen.finish_reason"))
                .withColumn(SyntheticSchema.PROMPT_TOKENS, col("chosen.prompt_tokens"))
                .withColumn(SyntheticSchema.COMPLETION_TOKENS, col("chosen.completion_tokens"))
                .withColumn(STEP + "_" + GenerationStage.COMPLETION_TOKENS,
                        expr("aggregate(samples, 0, (acc, s) -> acc + coalesce(s.completion_tokens, 0))"))
                // a failed sample only loses its vote; the row is in error when no sample could answer
                .withColumn(STEP + "_" + GenerationStage.ERROR, when(noAnswer,
                        try_element_at(expr("filter(transform(samples, s -> s.error), e -> e is not null)"), lit(1))))
                .withColumn(SyntheticSchema.ACCEPTED, not(noAnswer)
                        .and(agreement.geq(lit(low))).and(agreement.leq(lit(high))))
                .withColumn(SyntheticSchema.REJECT_REASON, when(noAnswer, lit("no final answer in any sample"))
                        .when(agreement.gt(lit(high)), format_string("too easy: agreement %.2f above %.2f", agreement, lit(high)))
                        .when(agreement.lt(lit(low)),
                                format_string("too hard or ambiguous: agreement %.2f below %.2f", agreement, lit(low))));
    }

    private static Row tallyRow(Seq<String> answers) {
        Votes.Tally t = Votes.tally(new ArrayList<>(CollectionConverters.asJava(answers)));
        return RowFactory.create(t.majority(), t.count(), t.total());
    }
}
