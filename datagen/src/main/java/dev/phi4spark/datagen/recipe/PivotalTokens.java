package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.try_element_at;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Pivotal token search (Phi-4 technical report, section 4.3): single-token preference pairs at the tokens
 * of a solution where the chance of reaching the right answer jumps.
 *
 * <p>Each question is answered {@code k} times; its checkable answer is its reference answer when the
 * seed source names an {@code answer_column} and the row has one, else the majority answer when at least
 * {@code min_agreement} of the answers agree (questions without one are rejected), and the first answer
 * is the solution searched. The solution is cut into the model's tokens ({@link GenerationStage#pieces}).
 * The success probability of a prefix is estimated by {@code rollouts} continuations of the open answer
 * ({@link GenerationStage#continueFrom}) whose final answer is checked against the reference. The search
 * ({@link PivotalSearch}) halves the spans where the probability moves by at least {@code threshold}; every
 * round estimates the prefixes of all questions in one Spark job, the rollouts of a prefix placed in one
 * partition and next to each other so that the engine's prefix cache computes the shared prompt once.
 *
 * <p>A pivotal token that raises the probability is the chosen completion of a pair, the rejected one
 * being the first token of a failed rollout from the same prefix that starts differently; a token that
 * lowers it is the rejected, against the first token of a successful rollout. The pair's prompt is the
 * question, its {@code prefix} the solution before the token. Scores: the probability after the pivotal
 * token, and the success rate of the rollouts that started with another token.
 */
public final class PivotalTokens implements Recipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "pivotal_tokens";
    /** Default answers per question (for the checkable answer). */
    public static final int DEFAULT_K = 4;
    /** Default rollouts per prefix. */
    public static final int DEFAULT_ROLLOUTS = 8;
    /** Default smallest probability jump of a pivotal token. */
    public static final double DEFAULT_THRESHOLD = 0.2;

    private static final String ROLLOUT = "rollout";
    private static final StructType REQUEST = new StructType()
            .add(SyntheticSchema.ID, DataTypes.StringType).add("_len", DataTypes.IntegerType);

    private final int k;
    private final int rollouts;
    private final double threshold;
    private final double minAgreement;
    private final PromptTemplate answer;

    /** Defaults, bundled template. */
    public PivotalTokens() {
        this(DEFAULT_K, DEFAULT_ROLLOUTS, DEFAULT_THRESHOLD, PreferencePairs.DEFAULT_MIN_AGREEMENT, null);
    }

    /**
     * A pivotal token search.
     *
     * @param k answers per question, at least 2
     * @param rollouts continuations per prefix, at least 1
     * @param threshold smallest probability jump of a pivotal token, in (0, 1]
     * @param minAgreement share of answers that must agree on the checkable answer, in (0, 1]
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public PivotalTokens(int k, int rollouts, double threshold, double minAgreement, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, Map.of());
        if (k < 2) {
            throw p.fail("k must be >= 2", k);
        }
        if (rollouts < 1) {
            throw p.fail("rollouts must be >= 1", rollouts);
        }
        if (!(threshold > 0 && threshold <= 1)) {
            throw p.fail("threshold must be in (0, 1]", threshold);
        }
        if (!(minAgreement > 0 && minAgreement <= 1)) {
            throw p.fail("min_agreement must be in (0, 1]", minAgreement);
        }
        this.k = k;
        this.rollouts = rollouts;
        this.threshold = threshold;
        this.minAgreement = minAgreement;
        this.answer = PromptTemplate.load("majority_vote_answer", MajorityVoteQA.PLACEHOLDERS, templatesDir);
    }

    /** From plan parameters: {@code k}, {@code rollouts}, {@code threshold}, {@code min_agreement}. */
    public static PivotalTokens fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int k = p.integer("k", DEFAULT_K, 2);
        int rollouts = p.integer("rollouts", DEFAULT_ROLLOUTS, 1);
        double threshold = p.decimal("threshold", DEFAULT_THRESHOLD, 0, 1);
        double agreement = p.decimal("min_agreement", PreferencePairs.DEFAULT_MIN_AGREEMENT, 0, 1);
        p.finish();
        return new PivotalTokens(k, rollouts, threshold, agreement, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String variant() {
        return String.format(Locale.ROOT, "k=%d;rollouts=%d;threshold=%s;min_agreement=%s", k, rollouts, threshold,
                minAgreement);
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.QUESTION;
    }

    /** An estimate: the answers, then the rollouts of the two ends and about eight rounds of halving. */
    @Override
    public int callsPerSeed() {
        return k + rollouts * 10;
    }

    @Override
    public String table() {
        return PairSchema.TABLE;
    }

    @Override
    public boolean checksReferenceAnswers() {
        return true;
    }

    /** One question's solution on the driver. */
    private record Solution(Row row, String reference, String[] pieces, PivotalSearch search, long[] tokens) {}

    /**
     * Runs the search. Unlike the other recipes it runs its Spark jobs here, one per round of the search,
     * and returns rows already computed.
     */
    @Override
    public Dataset<Row> run(Dataset<Row> seeds, RecipeContext context) {
        SparkSession spark = seeds.sparkSession();
        Dataset<Row> samples = PreferencePairs.sampleAnswers(this, seeds, context, answer, k)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> first = samples.where(RecipeSteps.out(PreferencePairs.ANSWER, GenerationStage.COMPLETION).isNotNull())
                    .groupBy(col(SyntheticSchema.ID))
                    .agg(min(struct(col("sample"), RecipeSteps.out(PreferencePairs.ANSWER, GenerationStage.COMPLETION)
                            .as("text"))).getField("text").as("_solution"));
            Dataset<Row> questions = samples.groupBy(col(SyntheticSchema.ID), col(Seeds.SEED_ID), col(Seeds.SEED_TEXT),
                            col(PreferencePairs.ANSWER + "_messages"))
                    .agg(sum(expr("coalesce(" + PreferencePairs.ANSWER + "_completion_tokens, 0)")).as("_tokens"),
                            min(RecipeSteps.out(PreferencePairs.ANSWER, GenerationStage.ERROR)).as("_error"))
                    .join(PreferencePairs.references(samples, minAgreement), SyntheticSchema.ID)
                    .join(first, scala.jdk.javaapi.CollectionConverters.asScala(List.of(SyntheticSchema.ID)).toSeq(),
                            "left");
            questions = context.stage().pieces(questions, "_solution", "_pieces")
                    .persist(StorageLevel.MEMORY_AND_DISK());
            try {
                return spark.createDataFrame(search(spark, questions, context), PairSchema.SCHEMA);
            } finally {
                questions.unpersist();
            }
        } finally {
            samples.unpersist();
        }
    }

    private List<Row> search(SparkSession spark, Dataset<Row> questions, RecipeContext context) {
        Map<String, Solution> solutions = new LinkedHashMap<>();
        List<Row> out = new ArrayList<>();
        for (Row q : questions.orderBy(SyntheticSchema.ID).collectAsList()) {
            String reference = q.getAs("_reference");
            List<String> pieces = q.isNullAt(q.fieldIndex("_pieces")) ? List.of() : q.getList(q.fieldIndex("_pieces"));
            if (reference == null || pieces.isEmpty()) {
                String reason = q.getAs("_solution") == null ? "error"
                        : reference == null ? String.format(Locale.ROOT,
                                "no checkable answer: fewer than %.2f of the answers agree", minAgreement)
                        : "the solution is empty";
                out.add(unpaired(q, context, reason, q.getAs("_solution") == null ? "answer: " + q.getAs("_error") : null,
                        q.<Long>getAs("_tokens")));
                continue;
            }
            solutions.put(q.getAs(SyntheticSchema.ID), new Solution(q, reference, pieces.toArray(String[]::new),
                    new PivotalSearch(pieces.size(), threshold), new long[] {q.<Long>getAs("_tokens")}));
        }
        Map<String, Map<Integer, List<Row>>> firsts = new HashMap<>();
        for (int round = 0; solutions.values().stream().anyMatch(s -> !s.search().done()); round++) {
            List<Row> requests = new ArrayList<>();
            solutions.forEach((id, s) -> s.search().needed().forEach(len -> requests.add(RowFactory.create(id, len))));
            if (requests.isEmpty()) {
                break;
            }
            for (Row r : rollouts(spark, questions, requests, context).collectAsList()) {
                Solution s = solutions.get(r.getString(0));
                int len = r.getInt(1);
                s.tokens()[0] += r.getLong(3);
                s.search().estimate(len, r.isNullAt(2) ? 0 : r.getDouble(2));
                firsts.computeIfAbsent(r.getString(0), x -> new HashMap<>()).put(len, r.getList(4));
            }
            solutions.values().forEach(s -> s.search().advance());
        }
        for (Solution s : solutions.values()) {
            List<Row> pairs = pairs(s, firsts.getOrDefault(s.row().<String>getAs(SyntheticSchema.ID), Map.of()), context);
            if (pairs.isEmpty()) {
                out.add(unpaired(s.row(), context, String.format(Locale.ROOT,
                        "no pivotal token: no probability jump of %.2f with another first token among the rollouts",
                        threshold), null, s.tokens()[0]));
            }
            out.addAll(pairs);
        }
        return context.keepRejected() ? out : out.stream().filter(r -> r.getBoolean(PairSchema.SCHEMA.fieldIndex(
                SyntheticSchema.ACCEPTED))).toList();
    }

    /**
     * One Spark job: {@code rollouts} continuations of every requested prefix, checked, and per prefix
     * {@code (id, len, p, tokens, [(first piece, success)])}.
     */
    private Dataset<Row> rollouts(SparkSession spark, Dataset<Row> questions, List<Row> requests, RecipeContext ctx) {
        Dataset<Row> df = spark.createDataFrame(requests, REQUEST)
                .join(questions.select(col(SyntheticSchema.ID), col(PreferencePairs.ANSWER + "_messages"),
                        col("_reference"), col("_pieces")), SyntheticSchema.ID)
                .withColumn("_prefix", expr("array_join(slice(_pieces, 1, _len), '')"))
                .withColumn("_rollout", explode(sequence(lit(0), lit(rollouts - 1))))
                .withColumn("_seed", Ids.rowSeed(col(SyntheticSchema.ID), ROLLOUT,
                        col("_len").cast("long").multiply(rollouts).plus(col("_rollout"))))
                // one prefix's rollouts side by side in one partition: the engine shares their prompt
                .repartition(col(SyntheticSchema.ID))
                .sortWithinPartitions(SyntheticSchema.ID, "_len", "_rollout");
        df = ctx.stage().continueFrom(df, PreferencePairs.ANSWER + "_messages", "_prefix", "_seed", ctx.sampling(),
                ROLLOUT + "_");
        UDF3<String, String, String, Boolean> check = (prefix, completion, reference) -> completion != null
                && reference.equals(AnswerExtractor.extract(prefix + completion));
        df = df.withColumn("_success", udf(check, DataTypes.BooleanType)
                .apply(col("_prefix"), RecipeSteps.out(ROLLOUT, GenerationStage.COMPLETION), col("_reference")));
        df = ctx.stage().pieces(df, ROLLOUT + "_" + GenerationStage.COMPLETION, "_next");
        return df.groupBy(col(SyntheticSchema.ID), col("_len"))
                .agg(avg(when(RecipeSteps.out(ROLLOUT, GenerationStage.ERROR).isNull(),
                                col("_success").cast("double"))).as("_p"),
                        sum(expr("coalesce(" + ROLLOUT + "_completion_tokens, 0)")).cast("long").as("_tokens"),
                        sort_array(collect_list(struct(col("_rollout"), try_element_at(col("_next"), lit(1)).as("first"),
                                col("_success").as("success")))).as("_firsts"))
                .select(col(SyntheticSchema.ID), col("_len"), col("_p"), col("_tokens"), col("_firsts"));
    }

    /** The pairs of one solution's pivotal tokens. */
    private List<Row> pairs(Solution s, Map<Integer, List<Row>> firsts, RecipeContext ctx) {
        List<Row> out = new ArrayList<>();
        for (PivotalSearch.Pivot pivot : s.search().pivots()) {
            String token = s.pieces()[pivot.position()];
            boolean helps = pivot.delta() > 0;
            String other = null;
            int others = 0;
            int othersRight = 0;
            for (Row r : firsts.getOrDefault(pivot.position(), List.of())) {
                String first = r.isNullAt(1) ? null : r.getString(1);
                if (first == null || first.equals(token)) {
                    continue;
                }
                boolean success = !r.isNullAt(2) && r.getBoolean(2);
                others++;
                othersRight += success ? 1 : 0;
                if (other == null && success != helps) {
                    other = first;
                }
            }
            if (other == null) {
                continue;
            }
            double otherScore = (double) othersRight / others;
            String prefix = String.join("", java.util.Arrays.asList(s.pieces()).subList(0, pivot.position()));
            out.add(pair(s, ctx, prefix, helps ? token : other, helps ? other : token,
                    helps ? pivot.after() : otherScore, helps ? otherScore : pivot.after(), pivot.position()));
        }
        return out;
    }

    private Row pair(Solution s, RecipeContext ctx, String prefix, String chosen, String rejected, double chosenScore,
            double rejectedScore, int position) {
        Row q = s.row();
        String id = Ids.hash(q.getAs(SyntheticSchema.ID), "pivot", Integer.toString(position));
        return RowFactory.create(id, q.getAs(SyntheticSchema.ID), NAME, variant(), q.getAs(Seeds.SEED_ID),
                q.getAs(Seeds.SEED_TEXT), q.getAs(PreferencePairs.ANSWER + "_messages"), prefix, chosen, rejected, chosenScore, rejectedScore,
                chosenScore - rejectedScore, PairSchema.BY_PIVOTAL_TOKEN, s.reference(), true, null,
                (int) Math.min(Integer.MAX_VALUE, s.tokens()[0]), null, ctx.stage().model(), ctx.sampling().toJson(),
                Timestamp.from(ctx.createdAt()));
    }

    private Row unpaired(Row q, RecipeContext ctx, String reason, String error, Long tokens) {
        return RowFactory.create(q.getAs(SyntheticSchema.ID), q.getAs(SyntheticSchema.ID), NAME, variant(),
                q.getAs(Seeds.SEED_ID), q.getAs(Seeds.SEED_TEXT), q.getAs(PreferencePairs.ANSWER + "_messages"), null,
                null, null, null, null, null, PairSchema.BY_PIVOTAL_TOKEN, q.getAs("_reference"), false, reason,
                (int) Math.min(Integer.MAX_VALUE, tokens == null ? 0 : tokens), error, ctx.stage().model(),
                ctx.sampling().toJson(), Timestamp.from(ctx.createdAt()));
    }
}
