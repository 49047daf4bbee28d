package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.ChoiceResult;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.RowError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Rates each document with Phi-4 as a judge, FineWeb-Edu style: the rubric (a param with the
 * FineWeb-Edu educational-value rubric as default) wraps the document, the assistant turn is begun with
 * {@code assistantPrefix} so the next token is the score, and the score is read from the probabilities
 * of the digit tokens 0 to 5 (their ids looked up in the tokenizer) renormalised over the six: no text
 * is generated. Long documents keep their first tokens; see {@link JudgePrompt}.
 *
 * <p>Output columns (names configurable): {@code judge_score} (expected digit), {@code judge_argmax}
 * (most likely digit), {@code judge_distribution} ({@code array<double>} of six), {@code error}.
 */
public final class Phi4Judge extends Phi4Transformer<Phi4Judge> {

    private static final long serialVersionUID = 1L;

    private final Param<String> inputCol;
    private final Param<String> rubric;
    private final Param<String> systemPrompt;
    private final Param<String> assistantPrefix;
    private final IntParam maxDocumentTokens;
    private final Param<String> scoreCol;
    private final Param<String> argmaxCol;
    private final Param<String> distributionCol;

    /** A judge with a random uid. */
    public Phi4Judge() {
        this(Identifiable.randomUID("phi4Judge"));
    }

    /** A judge with this uid (used when a Pipeline is loaded). */
    public Phi4Judge(String uid) {
        super(uid);
        inputCol = new Param<>(uid, "inputCol", "document column");
        rubric = new Param<>(uid, "rubric", "user turn with a {document} placeholder, ending with the question");
        systemPrompt = new Param<>(uid, "systemPrompt", "system turn (empty: none)");
        assistantPrefix = new Param<>(uid, "assistantPrefix", "text the assistant turn begins with");
        maxDocumentTokens = new IntParam(uid, "maxDocumentTokens", "document tokens kept (0: what fits)");
        scoreCol = new Param<>(uid, "scoreCol", "output column of expected scores");
        argmaxCol = new Param<>(uid, "argmaxCol", "output column of most likely scores");
        distributionCol = new Param<>(uid, "distributionCol", "output column of score distributions");
        setDefault(inputCol, "text");
        setDefault(rubric, JudgePrompt.DEFAULT_RUBRIC);
        setDefault(systemPrompt, "");
        setDefault(assistantPrefix, JudgePrompt.DEFAULT_PREFIX);
        setDefault(maxDocumentTokens, 0);
        setDefault(scoreCol, "judge_score");
        setDefault(argmaxCol, "judge_argmax");
        setDefault(distributionCol, "judge_distribution");
    }

    /** Reads a saved judge (Spark's Pipeline loading calls this). */
    public static MLReader<Phi4Judge> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads a judge saved with {@code write().save(path)}. */
    public static Phi4Judge load(String path) {
        return read().load(path);
    }

    /** Document column (default {@code text}). */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** The rubric, with {@value JudgePrompt#PLACEHOLDER} (default: FineWeb-Edu's). */
    public Param<String> rubric() {
        return rubric;
    }

    /** System turn; empty (default) for none. */
    public Param<String> systemPrompt() {
        return systemPrompt;
    }

    /** Start of the assistant turn (default {@code "Educational score: "}). */
    public Param<String> assistantPrefix() {
        return assistantPrefix;
    }

    /** Most document tokens kept; 0 (default) keeps what fits the context. */
    public IntParam maxDocumentTokens() {
        return maxDocumentTokens;
    }

    /** Expected score column (default {@code judge_score}). */
    public Param<String> scoreCol() {
        return scoreCol;
    }

    /** Most likely score column (default {@code judge_argmax}). */
    public Param<String> argmaxCol() {
        return argmaxCol;
    }

    /** Distribution column (default {@code judge_distribution}). */
    public Param<String> distributionCol() {
        return distributionCol;
    }

    /** Sets {@link #inputCol()}. */
    public Phi4Judge setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    /** Sets {@link #rubric()}. */
    public Phi4Judge setRubric(String v) {
        set(rubric, v);
        return this;
    }

    /** Sets {@link #systemPrompt()}. */
    public Phi4Judge setSystemPrompt(String v) {
        set(systemPrompt, v == null ? "" : v);
        return this;
    }

    /** Sets {@link #assistantPrefix()}. */
    public Phi4Judge setAssistantPrefix(String v) {
        set(assistantPrefix, v == null ? "" : v);
        return this;
    }

    /** Sets {@link #maxDocumentTokens()}. */
    public Phi4Judge setMaxDocumentTokens(int v) {
        set(maxDocumentTokens, v);
        return this;
    }

    /** Sets {@link #scoreCol()}. */
    public Phi4Judge setScoreCol(String v) {
        set(scoreCol, v);
        return this;
    }

    /** Sets {@link #argmaxCol()}. */
    public Phi4Judge setArgmaxCol(String v) {
        set(argmaxCol, v);
        return this;
    }

    /** Sets {@link #distributionCol()}. */
    public Phi4Judge setDistributionCol(String v) {
        set(distributionCol, v);
        return this;
    }

    /** The prompt these params make. */
    public JudgePrompt judgePrompt() {
        return new JudgePrompt($(rubric), $(systemPrompt), $(assistantPrefix), (Integer) $(maxDocumentTokens));
    }

    @Override
    protected String verb() {
        return "judge";
    }

    @Override
    protected void checkInput(StructType schema) {
        stringColumn(schema, $(inputCol));
        judgePrompt();
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(
                DataTypes.createStructField($(scoreCol), DataTypes.DoubleType, true),
                DataTypes.createStructField($(argmaxCol), DataTypes.IntegerType, true),
                DataTypes.createStructField($(distributionCol),
                        DataTypes.createArrayType(DataTypes.DoubleType, false), true));
    }

    @Override
    protected WindowWork windowWork(StructType schema) {
        return new Work(schema.fieldIndex($(inputCol)), judgePrompt(), getOptions().minSharedPrefix());
    }

    /** A document's digit probabilities (or error) and the length of its prompt. */
    record Judged(ChoiceResult choice, int promptTokens) {}

    /**
     * The prompt's fixed head (system turn and rubric up to the document) when it is at least {@code
     * minSharedPrefix} tokens: computed once per engine, every document's prompt then prefills only its
     * own part, even a single row's.
     */
    private static List<long[]> knownHead(Phi4Engine engine, JudgePrompt prompt, int minSharedPrefix) {
        if (minSharedPrefix <= 0) {
            return List.of();
        }
        long[] head = prompt.head(engine.requireTokenizer());
        return head.length >= minSharedPrefix ? List.of(head) : List.of();
    }

    /**
     * Judges documents in batches; one result per document, failed ones carrying the error. Shared with
     * the {@code phi4_judge} SQL function.
     */
    static List<Judged> judgeTexts(Phi4Engine engine, JudgePrompt prompt, List<String> texts,
            Batching batching, int minSharedPrefix) {
        long[] digits = JudgePrompt.digitIds(engine.requireTokenizer());
        int context = engine.config().maxPositions;
        Judged[] out = new Judged[texts.size()];
        List<Integer> runnable = new ArrayList<>();
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null || text.isBlank()) {
                out[i] = failed(new RowError(GenerationResult.EMPTY_PROMPT, "the text is " + (text == null ? "null" : "empty")), 0);
                continue;
            }
            JudgePrompt.Encoded e = prompt.encode(engine.requireTokenizer(), text, context);
            if (e.error() != null) {
                out[i] = failed(e.error(), 0);
                continue;
            }
            runnable.add(i);
            prompts.add(e.ids());
        }
        List<long[]> known = prompts.isEmpty() ? List.of() : knownHead(engine, prompt, minSharedPrefix);
        int[] lengths = prompts.stream().mapToInt(p -> p.length).toArray();
        for (int[] batch : batching.plan(lengths, 0)) {
            TaskKill.check();
            List<ChoiceResult> done = engine.choose(Arrays.stream(batch).mapToObj(prompts::get).toList(), digits,
                    minSharedPrefix, known);
            for (int k = 0; k < batch.length; k++) {
                out[runnable.get(batch[k])] = new Judged(done.get(k), lengths[batch[k]]);
            }
        }
        return Arrays.asList(out);
    }

    private static Judged failed(RowError error, int promptTokens) {
        return new Judged(new ChoiceResult(new float[0], new float[0], error), promptTokens);
    }

    private static final class Work implements WindowWork {
        private static final long serialVersionUID = 1L;
        private final int input;
        private final JudgePrompt prompt;
        private final int minSharedPrefix;

        Work(int input, JudgePrompt prompt, int minSharedPrefix) {
            this.input = input;
            this.prompt = prompt;
            this.minSharedPrefix = minSharedPrefix;
        }

        @Override
        public List<Outcome> run(Phi4Engine engine, List<Row> rows, Batching batching) {
            List<String> texts = rows.stream().map(r -> r.isNullAt(input) ? null : r.getString(input)).toList();
            List<Judged> judged = judgeTexts(engine, prompt, texts, batching, minSharedPrefix);
            List<Outcome> out = new ArrayList<>(rows.size());
            for (Judged j : judged) {
                ChoiceResult c = j.choice();
                if (c.error() != null) {
                    out.add(new Outcome(new Object[] {null, null, null}, c.error(), 0, 0));
                    continue;
                }
                double[] dist = new double[c.normalized().length];
                for (int k = 0; k < dist.length; k++) {
                    dist[k] = c.normalized()[k];
                }
                out.add(new Outcome(new Object[] {c.expected(JudgePrompt.digitValues()), c.argmax(), dist}, null,
                        j.promptTokens(), 0, c.cachedPromptTokens()));
            }
            return out;
        }
    }
}
