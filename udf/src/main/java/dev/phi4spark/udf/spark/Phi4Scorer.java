package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.RowError;
import dev.phi4spark.udf.engine.ScoreResult;
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
 * Scores each document's text under Phi-4: its mean token log-probability, perplexity and the number of
 * tokens scored (every token but the first). The text is encoded as is, without the chat template.
 * Documents longer than {@code windowTokens} (capped at the context) are scored in overlapping windows,
 * each token once; see {@link ScoreWindows}. Null or empty texts and one-token texts get an error.
 *
 * <p>Output columns (names configurable): {@code mean_logprob}, {@code perplexity}, {@code token_count},
 * {@code error}.
 */
public final class Phi4Scorer extends Phi4Transformer<Phi4Scorer> {

    private static final long serialVersionUID = 1L;

    /** Default window length. */
    public static final int DEFAULT_WINDOW_TOKENS = 1024;
    /** Default context kept from the previous window. */
    public static final int DEFAULT_WINDOW_OVERLAP = 256;

    private final Param<String> inputCol;
    private final IntParam windowTokens;
    private final IntParam windowOverlap;
    private final Param<String> meanLogprobCol;
    private final Param<String> perplexityCol;
    private final Param<String> tokenCountCol;

    /** A scorer with a random uid. */
    public Phi4Scorer() {
        this(Identifiable.randomUID("phi4Scorer"));
    }

    /** A scorer with this uid (used when a Pipeline is loaded). */
    public Phi4Scorer(String uid) {
        super(uid);
        inputCol = new Param<>(uid, "inputCol", "text column");
        windowTokens = new IntParam(uid, "windowTokens", "tokens per scoring window (capped at the context)");
        windowOverlap = new IntParam(uid, "windowOverlap", "context tokens a window keeps from the one before");
        meanLogprobCol = new Param<>(uid, "meanLogprobCol", "output column of mean log-probabilities");
        perplexityCol = new Param<>(uid, "perplexityCol", "output column of perplexities");
        tokenCountCol = new Param<>(uid, "tokenCountCol", "output column of scored token counts");
        setDefault(inputCol, "text");
        setDefault(windowTokens, DEFAULT_WINDOW_TOKENS);
        setDefault(windowOverlap, DEFAULT_WINDOW_OVERLAP);
        setDefault(meanLogprobCol, "mean_logprob");
        setDefault(perplexityCol, "perplexity");
        setDefault(tokenCountCol, "token_count");
    }

    /** Reads a saved scorer (Spark's Pipeline loading calls this). */
    public static MLReader<Phi4Scorer> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads a scorer saved with {@code write().save(path)}. */
    public static Phi4Scorer load(String path) {
        return read().load(path);
    }

    /** Text column (default {@code text}). */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** Tokens per window (default 1024, capped at the model's context). */
    public IntParam windowTokens() {
        return windowTokens;
    }

    /** Context tokens each window after the first keeps from the previous one (default 256). */
    public IntParam windowOverlap() {
        return windowOverlap;
    }

    /** Mean log-probability column (default {@code mean_logprob}). */
    public Param<String> meanLogprobCol() {
        return meanLogprobCol;
    }

    /** Perplexity column (default {@code perplexity}). */
    public Param<String> perplexityCol() {
        return perplexityCol;
    }

    /** Scored token count column (default {@code token_count}). */
    public Param<String> tokenCountCol() {
        return tokenCountCol;
    }

    /** Sets {@link #inputCol()}. */
    public Phi4Scorer setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    /** Sets {@link #windowTokens()}. */
    public Phi4Scorer setWindowTokens(int v) {
        set(windowTokens, v);
        return this;
    }

    /** Sets {@link #windowOverlap()}. */
    public Phi4Scorer setWindowOverlap(int v) {
        set(windowOverlap, v);
        return this;
    }

    /** Sets {@link #meanLogprobCol()}. */
    public Phi4Scorer setMeanLogprobCol(String v) {
        set(meanLogprobCol, v);
        return this;
    }

    /** Sets {@link #perplexityCol()}. */
    public Phi4Scorer setPerplexityCol(String v) {
        set(perplexityCol, v);
        return this;
    }

    /** Sets {@link #tokenCountCol()}. */
    public Phi4Scorer setTokenCountCol(String v) {
        set(tokenCountCol, v);
        return this;
    }

    @Override
    protected String verb() {
        return "score";
    }

    @Override
    protected void checkInput(StructType schema) {
        stringColumn(schema, $(inputCol));
        ScoreWindows.check((Integer) $(windowTokens), (Integer) $(windowOverlap));
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(
                DataTypes.createStructField($(meanLogprobCol), DataTypes.DoubleType, true),
                DataTypes.createStructField($(perplexityCol), DataTypes.DoubleType, true),
                DataTypes.createStructField($(tokenCountCol), DataTypes.IntegerType, true));
    }

    @Override
    protected WindowWork windowWork(StructType schema) {
        return new Work(schema.fieldIndex($(inputCol)), (Integer) $(windowTokens), (Integer) $(windowOverlap));
    }

    /**
     * Scores texts in windows, batched across documents; one result per text in order, failures included.
     * Shared with the {@code phi4_score} SQL function.
     */
    static List<ScoreWindows.TextScore> scoreTexts(Phi4Engine engine, List<String> texts, int windowTokens, int overlap,
            Batching batching) {
        int window = Math.min(windowTokens, engine.config().maxPositions);
        int keep = Math.min(overlap, window - 1);
        ScoreWindows.TextScore[] out = new ScoreWindows.TextScore[texts.size()];
        List<ScoreWindows.Window> windows = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null || text.isBlank()) {
                out[i] = failed(GenerationResult.EMPTY_PROMPT, "the text is " + (text == null ? "null" : "empty"));
                continue;
            }
            long[] ids = engine.requireTokenizer().encode(text);
            if (ids.length < 2) {
                out[i] = failed(ScoreResult.TOO_SHORT, "nothing to score in " + ids.length + " token");
                continue;
            }
            for (ScoreWindows.Window w : ScoreWindows.split(ids, window, keep)) {
                windows.add(w);
                owner.add(i);
            }
        }
        ScoreResult[] results = new ScoreResult[windows.size()];
        int[] lengths = windows.stream().mapToInt(w -> w.ids().length).toArray();
        for (int[] batch : batching.plan(lengths, 0)) {
            TaskKill.check();
            List<long[]> ids = Arrays.stream(batch).mapToObj(j -> windows.get(j).ids()).toList();
            int[] first = Arrays.stream(batch).map(j -> windows.get(j).firstScored()).toArray();
            List<ScoreResult> done = engine.score(ids, first);
            for (int k = 0; k < batch.length; k++) {
                results[batch[k]] = done.get(k);
            }
        }
        for (int i = 0; i < texts.size(); i++) {
            if (out[i] == null) {
                out[i] = total(results, owner, i);
            }
        }
        return Arrays.asList(out);
    }

    private static ScoreWindows.Failed failed(String code, String message) {
        return new ScoreWindows.Failed(new RowError(code, message));
    }

    /** A text's total, or its first failed window's error. */
    private static ScoreWindows.TextScore total(ScoreResult[] results, List<Integer> owner, int text) {
        List<ScoreResult> mine = new ArrayList<>();
        for (int j = 0; j < results.length; j++) {
            if (owner.get(j) == text) {
                mine.add(results[j]);
            }
        }
        return ScoreWindows.combine(mine);
    }

    private static final class Work implements WindowWork {
        private static final long serialVersionUID = 1L;
        private final int input;
        private final int windowTokens;
        private final int overlap;

        Work(int input, int windowTokens, int overlap) {
            this.input = input;
            this.windowTokens = windowTokens;
            this.overlap = overlap;
        }

        @Override
        public List<Outcome> run(Phi4Engine engine, List<Row> rows, Batching batching) {
            List<String> texts = rows.stream().map(r -> r.isNullAt(input) ? null : r.getString(input)).toList();
            List<ScoreWindows.TextScore> scored = scoreTexts(engine, texts, windowTokens, overlap, batching);
            List<Outcome> out = new ArrayList<>(rows.size());
            for (ScoreWindows.TextScore s : scored) {
                if (s instanceof ScoreWindows.Total t) {
                    out.add(new Outcome(new Object[] {t.mean(), t.perplexity(), t.count()}, null, t.count() + 1, 0));
                } else if (s instanceof ScoreWindows.Failed f) {
                    out.add(new Outcome(new Object[] {null, null, null}, f.error(), 0, 0));
                }
            }
            return out;
        }
    }
}
