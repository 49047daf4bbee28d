package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.sql.Timestamp;
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
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Preference pairs for DPO: each question is answered {@code k} times; the pair is the chosen and the
 * rejected answer, written to the {@code preference_pairs} table ({@link PairSchema}).
 *
 * <p>How the pair is chosen ({@code by}): {@code correctness} checks each answer's final answer
 * ({@link AnswerExtractor}) against the question's checkable answer: its reference answer when the seed
 * source names an {@code answer_column} and the row has one ({@code how} = {@code reference}), else the
 * majority answer of the k when at least {@code min_agreement} of them gave it, as {@code majority_vote_qa}
 * finds it ({@code how} = {@code correctness}); the chosen is the first correct answer, the rejected the
 * first other one. {@code judge} grades every answer against a
 * rubric (template {@code preference_pairs_judge}, a "Score: N/10" line read by {@link CritiqueScores})
 * and pairs the best with the worst when they differ by at least {@code min_margin}. {@code auto}
 * (default) uses correctness where a question has a checkable answer and the judge elsewhere, so only
 * those answers are graded.
 *
 * <p>Templates: {@code majority_vote_answer} (the prompt), {@code preference_pairs_judge}.
 */
public final class PreferencePairs implements Recipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "preference_pairs";
    /** Default answers per question. */
    public static final int DEFAULT_K = 4;
    /** Default smallest rubric score difference (out of 10) of a judged pair. */
    public static final double DEFAULT_MIN_MARGIN = 2.0;
    /** Default share of answers that must agree for the majority answer to be the checkable one. */
    public static final double DEFAULT_MIN_AGREEMENT = 0.5;
    /** The ways to choose. */
    public static final List<String> BY = List.of("auto", "correctness", "judge");

    static final String ANSWER = "answer";
    static final String JUDGE = "judge";
    /** The seed's reference answer, normalised ({@link AnswerExtractor#reference}), or null. */
    static final String SEED_REFERENCE = "_seed_reference";
    private static final StructType PAIR = new StructType()
            .add("chosen", DataTypes.StringType).add("rejected", DataTypes.StringType)
            .add("chosen_score", DataTypes.DoubleType).add("rejected_score", DataTypes.DoubleType)
            .add("how", DataTypes.StringType).add("reference", DataTypes.StringType)
            .add("reason", DataTypes.StringType);

    private final int k;
    private final double minMargin;
    private final double minAgreement;
    private final String by;
    private final PromptTemplate answer;
    private final PromptTemplate judge;

    /** Defaults, bundled templates. */
    public PreferencePairs() {
        this(DEFAULT_K, DEFAULT_MIN_MARGIN, DEFAULT_MIN_AGREEMENT, "auto", null);
    }

    /**
     * A preference-pair recipe.
     *
     * @param k answers per question, at least 2
     * @param minMargin smallest rubric score difference of a judged pair, in [0, 10]
     * @param minAgreement share of answers that must agree on the checkable answer, in (0, 1]
     * @param by {@code auto}, {@code correctness} or {@code judge}
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public PreferencePairs(int k, double minMargin, double minAgreement, String by, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, Map.of());
        if (k < 2) {
            throw p.fail("k must be >= 2", k);
        }
        if (!(minMargin >= 0 && minMargin <= CritiqueScores.SCALE)) {
            throw p.fail("min_margin must be in [0, 10]", minMargin);
        }
        if (!(minAgreement > 0 && minAgreement <= 1)) {
            throw p.fail("min_agreement must be in (0, 1]", minAgreement);
        }
        if (!BY.contains(by)) {
            throw p.fail("by must be one of " + String.join(", ", BY), by);
        }
        this.k = k;
        this.minMargin = minMargin;
        this.minAgreement = minAgreement;
        this.by = by;
        this.answer = PromptTemplate.load("majority_vote_answer", MajorityVoteQA.PLACEHOLDERS, templatesDir);
        this.judge = PromptTemplate.load("preference_pairs_judge", Set.of("question", "answer"), templatesDir);
    }

    /** From plan parameters: {@code k}, {@code min_margin}, {@code min_agreement}, {@code by}. */
    public static PreferencePairs fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int k = p.integer("k", DEFAULT_K, 2);
        double margin = p.decimal("min_margin", DEFAULT_MIN_MARGIN, 0, CritiqueScores.SCALE);
        double agreement = p.decimal("min_agreement", DEFAULT_MIN_AGREEMENT, 0, 1);
        String by = p.choice("by", "auto", BY);
        p.finish();
        return new PreferencePairs(k, margin, agreement, by, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String variant() {
        return String.format(Locale.ROOT, "k=%d;by=%s;min_margin=%s;min_agreement=%s", k, by, minMargin, minAgreement);
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.QUESTION;
    }

    @Override
    public int callsPerSeed() {
        return by.equals("correctness") ? k : 2 * k;
    }

    @Override
    public String table() {
        return PairSchema.TABLE;
    }

    @Override
    public boolean checksReferenceAnswers() {
        return true;
    }

    /**
     * Runs it.
     *
     * @throws IllegalArgumentException if the sampling is greedy: the k answers would be the same
     */
    @Override
    public Dataset<Row> run(Dataset<Row> seeds, RecipeContext context) {
        Dataset<Row> samples = sampleAnswers(this, seeds, context, answer, k);
        Column reference = col("_reference");
        if (!by.equals("correctness")) {
            Dataset<Row> refs = references(samples, minAgreement);
            samples = samples.join(refs, SyntheticSchema.ID);
            Dataset<Row> toJudge = by.equals("judge") ? samples : samples.where(reference.isNull());
            Dataset<Row> judged = RecipeSteps.generate(toJudge, context, JUDGE, this.judge.toColumn(Map.of(
                    "question", col(Seeds.SEED_TEXT), "answer", RecipeSteps.out(ANSWER, GenerationStage.COMPLETION))),
                    col("sample"));
            UDF1<String, Double> parse = CritiqueScores::parse;
            judged = judged.withColumn("_score", udf(parse, DataTypes.DoubleType)
                    .apply(RecipeSteps.out(JUDGE, GenerationStage.COMPLETION)));
            samples = by.equals("judge") ? judged : judged.unionByName(samples.where(reference.isNotNull())
                    .withColumn("_score", lit(null).cast(DataTypes.DoubleType)), true);
        }
        if (!List.of(samples.columns()).contains("_score")) {
            samples = samples.withColumn("_score", lit(null).cast(DataTypes.DoubleType));
        }
        Column tokens = expr("coalesce(" + ANSWER + "_" + GenerationStage.COMPLETION_TOKENS + ", 0)");
        if (List.of(samples.columns()).contains(JUDGE + "_" + GenerationStage.COMPLETION_TOKENS)) {
            tokens = tokens.plus(expr("coalesce(" + JUDGE + "_" + GenerationStage.COMPLETION_TOKENS + ", 0)"));
        }
        Column sample = struct(col("sample"), RecipeSteps.out(ANSWER, GenerationStage.COMPLETION).as("completion"),
                col("extracted"), col("_score").as("score"), tokens.as("tokens"),
                RecipeSteps.out(ANSWER, GenerationStage.ERROR).as("error"));
        Dataset<Row> questions = samples.groupBy(col(SyntheticSchema.ID), col(Seeds.SEED_ID), col(Seeds.SEED_TEXT),
                col(ANSWER + "_messages"), col(SEED_REFERENCE)).agg(sort_array(collect_list(sample)).as("samples"));
        String mode = by;
        double margin = minMargin;
        double agreement = minAgreement;
        UDF2<Seq<Row>, String, Row> choose = (rows, seedReference) -> choose(rows, seedReference, mode, margin,
                agreement);
        Dataset<Row> pairs = questions.withColumn("_pair", udf(choose, PAIR).apply(col("samples"), col(SEED_REFERENCE)));
        return finish(pairs.withColumn(PairSchema.PROMPT, col(ANSWER + "_messages")), this, context);
    }

    /**
     * Every question's k answers, with ids, seeds, the extracted final answers ({@code extracted}) and the
     * seed's normalised reference answer ({@link #SEED_REFERENCE}).
     */
    static Dataset<Row> sampleAnswers(Recipe recipe, Dataset<Row> seeds, RecipeContext context, PromptTemplate template,
            int k) {
        if (context.sampling().isGreedy()) {
            throw new IllegalArgumentException("Cannot run recipe '" + recipe.name()
                    + "': greedy sampling gives k identical answers; set temperature > 0 ("
                    + context.sampling().temperature() + ")");
        }
        Dataset<Row> samples = RecipeSteps.withIds(seeds, recipe, context)
                .withColumn("sample", org.apache.spark.sql.functions.explode(
                        org.apache.spark.sql.functions.sequence(lit(0), lit(k - 1))));
        samples = RecipeSteps.generate(samples, context, ANSWER,
                template.toColumn(Map.of("question", col(Seeds.SEED_TEXT))), col("sample"));
        UDF1<String, String> extract = AnswerExtractor::extract;
        UDF1<String, String> reference = AnswerExtractor::reference;
        return samples.withColumn("extracted",
                        udf(extract, DataTypes.StringType).apply(RecipeSteps.out(ANSWER, GenerationStage.COMPLETION)))
                .withColumn(SEED_REFERENCE, udf(reference, DataTypes.StringType).apply(col(Seeds.SEED_ANSWER)));
    }

    /**
     * The checkable answer of each question ({@code _reference}): the seed's reference answer, else the
     * majority answer; null when there is no reference and the answers disagree too much.
     */
    static Dataset<Row> references(Dataset<Row> samples, double minAgreement) {
        UDF1<Seq<String>, String> vote = answers -> {
            List<PairChoice.Sample> s = new ArrayList<>();
            for (String a : CollectionConverters.asJava(answers)) {
                s.add(new PairChoice.Sample(s.size(), "", a, null));
            }
            return PairChoice.reference(s, minAgreement);
        };
        return samples.groupBy(col(SyntheticSchema.ID), col(SEED_REFERENCE))
                .agg(sort_array(collect_list(struct(col("sample"), col("extracted")))).as("_answers"))
                .select(col(SyntheticSchema.ID), org.apache.spark.sql.functions.coalesce(col(SEED_REFERENCE),
                        udf(vote, DataTypes.StringType).apply(expr("transform(_answers, a -> a.extracted)")))
                        .as("_reference"));
    }

    private static Row choose(Seq<Row> rows, String seedReference, String by, double minMargin, double minAgreement) {
        List<PairChoice.Sample> samples = new ArrayList<>();
        for (Row r : CollectionConverters.asJava(rows)) {
            samples.add(new PairChoice.Sample(r.getInt(0), r.getString(1), r.getString(2),
                    r.isNullAt(3) ? null : r.getDouble(3)));
        }
        String reference = seedReference != null ? seedReference : PairChoice.reference(samples, minAgreement);
        PairChoice.Pair p;
        if (by.equals("judge") || by.equals("auto") && reference == null) {
            p = PairChoice.byJudge(samples, minMargin);
        } else if (reference == null) {
            p = PairChoice.Pair.none(PairSchema.BY_CORRECTNESS, null, String.format(Locale.ROOT,
                    "no checkable answer: fewer than %.2f of the answers agree", minAgreement));
        } else {
            p = PairChoice.byCorrectness(samples, reference,
                    seedReference != null ? PairSchema.BY_REFERENCE : PairSchema.BY_CORRECTNESS);
        }
        return RowFactory.create(p.chosen(), p.rejected(), p.chosenScore(), p.rejectedScore(), p.how(), p.reference(),
                p.reason());
    }

    /** The pair columns, the bookkeeping of {@link RecipeSteps#finish} and the drop of prompts without a pair. */
    static Dataset<Row> finish(Dataset<Row> df, Recipe recipe, RecipeContext ctx) {
        Column noAnswer = expr("size(filter(samples, s -> s.completion is not null)) = 0");
        Dataset<Row> out = df
                .withColumn(PairSchema.ROW_ID, col(SyntheticSchema.ID))
                .withColumn(PairSchema.CHOSEN, col("_pair.chosen"))
                .withColumn(PairSchema.REJECTED, col("_pair.rejected"))
                .withColumn(PairSchema.CHOSEN_SCORE, col("_pair.chosen_score"))
                .withColumn(PairSchema.REJECTED_SCORE, col("_pair.rejected_score"))
                .withColumn(PairSchema.MARGIN, col("_pair.chosen_score").minus(col("_pair.rejected_score")))
                .withColumn(PairSchema.HOW, col("_pair.how"))
                .withColumn(PairSchema.REFERENCE_ANSWER, col("_pair.reference"))
                .withColumn(SyntheticSchema.ERROR, when(noAnswer, expr(
                        "concat('" + ANSWER + ": ', try_element_at(filter(transform(samples, s -> s.error), e -> e is not null), 1))")))
                .withColumn(SyntheticSchema.TOTAL_COMPLETION_TOKENS, expr("aggregate(samples, 0, (a, s) -> a + s.tokens)"))
                .withColumn(SyntheticSchema.ACCEPTED, col(SyntheticSchema.ERROR).isNull().and(col("_pair.reason").isNull()))
                .withColumn(SyntheticSchema.REJECT_REASON, when(col(SyntheticSchema.ERROR).isNotNull(), lit("error"))
                        .otherwise(col("_pair.reason")))
                .withColumn(SyntheticSchema.RECIPE, lit(recipe.name()))
                .withColumn(SyntheticSchema.VARIANT, lit(recipe.variant()))
                .withColumn(SyntheticSchema.MODEL, lit(ctx.stage().model()))
                .withColumn(SyntheticSchema.SAMPLING, lit(ctx.sampling().toJson()))
                .withColumn(SyntheticSchema.CREATED_AT, lit(Timestamp.from(ctx.createdAt())));
        out = PairSchema.conform(out);
        return ctx.keepRejected() ? out : out.where(col(SyntheticSchema.ACCEPTED));
    }
}
