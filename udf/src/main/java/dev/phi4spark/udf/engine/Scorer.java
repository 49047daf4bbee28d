package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Teacher-forced scoring. Texts are left-padded into one batch and run through the model in chunks of
 * columns; the lm_head and log-softmax run over a few columns at a time, so memory stays bounded by
 * {@link #LOGITS_BYTES} however long the texts (Phi-4's vocabulary is 100352 wide).
 */
public final class Scorer {

    /** The most float32 logits bytes alive at once while scoring. */
    static final long LOGITS_BYTES = 64L << 20;

    private final ModelForward forward;
    private final Phi3Model model;
    private final int prefillChunk;

    /** A scorer running {@code prefillChunk} columns per forward. */
    public Scorer(Phi3Model model, int prefillChunk) {
        this(ModelForward.of(model), prefillChunk);
    }

    /** A scorer running the model through {@code forward} (tests wrap the model to inject failures). */
    Scorer(ModelForward forward, int prefillChunk) {
        this.forward = forward;
        this.model = forward.model();
        this.prefillChunk = prefillChunk;
    }

    /**
     * Log-probabilities of each text's tokens from index {@code firstScored[i]} on (at least 1: the
     * first token has no context). Use a later start to score a continuation after a prompt.
     */
    public List<ScoreResult> score(List<long[]> texts, int[] firstScored) {
        ScoreResult[] results = new ScoreResult[texts.size()];
        List<Integer> runnable = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            results[i] = check(texts.get(i), Math.max(1, firstScored[i]));
            if (results[i] == null) {
                runnable.add(i);
            }
        }
        if (!runnable.isEmpty()) {
            List<ScoreResult> done = OutOfMemoryPolicy.inHalves(runnable, rows -> run(
                    new Batch(rows.stream().map(texts::get).toArray(long[][]::new)),
                    rows.stream().mapToInt(i -> Math.max(1, firstScored[i])).toArray()), ScoreResult::failed);
            for (int j = 0; j < runnable.size(); j++) {
                results[runnable.get(j)] = done.get(j);
            }
        }
        return Arrays.asList(results);
    }

    /** Scores whole texts: every token after the first. */
    public List<ScoreResult> score(List<long[]> texts) {
        int[] ones = new int[texts.size()];
        Arrays.fill(ones, 1);
        return score(texts, ones);
    }

    private ScoreResult check(long[] ids, int from) {
        int context = model.config().maxPositions;
        if (ids == null || ids.length == 0) {
            return ScoreResult.failed(new RowError(GenerationResult.EMPTY_PROMPT, "the text has no tokens"));
        }
        if (ids.length > context) {
            return ScoreResult.failed(new RowError(GenerationResult.PROMPT_TOO_LONG, "the text has " + ids.length
                    + " tokens and the context holds " + context));
        }
        if (ids.length <= from) {
            return ScoreResult.failed(new RowError(ScoreResult.TOO_SHORT, "nothing to score in " + ids.length
                    + " tokens from token " + from));
        }
        int vocab = model.config().vocabSize;
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                return ScoreResult.failed(new RowError(GenerationResult.INVALID_TOKEN, "token id " + id
                        + " is outside the vocabulary of " + vocab));
            }
        }
        return null;
    }

    private List<ScoreResult> run(Batch batch, int[] from) {
        int rows = batch.rows();
        float[][] logprobs = new float[rows][];
        for (int r = 0; r < rows; r++) {
            logprobs[r] = new float[batch.prompts[r].length - from[r]];
        }
        // Column c predicts the token in column c + 1; the first column any row needs:
        int firstNeeded = firstNeededColumn(batch, from);
        long vocab = model.config().vocabSize;
        int columnsAtOnce = (int) Math.max(1, LOGITS_BYTES / (4L * vocab * rows));
        try (NDManager call = model.manager().newSubManager(); KvCache cache = model.newCache(rows, batch.width)) {
            forward.prefill(call, batch, cache, prefillChunk, (step, hidden, start, end) -> {
                int last = Math.min(end, batch.width - 1); // the final column predicts nothing
                for (int a = Math.max(start, firstNeeded); a < last; a += columnsAtOnce) {
                    gather(step, batch, hidden, start, a, Math.min(last, a + columnsAtOnce), from, logprobs);
                }
            });
        }
        List<ScoreResult> out = new ArrayList<>();
        for (float[] lp : logprobs) {
            out.add(ScoreResult.of(lp));
        }
        return out;
    }

    private static int firstNeededColumn(Batch batch, int[] from) {
        int first = Integer.MAX_VALUE;
        for (int r = 0; r < batch.rows(); r++) {
            first = Math.min(first, batch.pad[r] + from[r] - 1);
        }
        return first;
    }

    /** Log-probabilities that columns {@code [a, b)} give the tokens in columns {@code [a+1, b+1)}. */
    private void gather(NDManager step, Batch batch, NDArray hidden, int chunkStart, int a, int b, int[] from,
            float[][] logprobs) {
        int rows = batch.rows();
        int cols = b - a;
        try (NDManager sub = step.newSubManager()) {
            NDArray h = hidden.get(sub, new NDIndex(":, {}:{}, :", a - chunkStart, b - chunkStart));
            NDArray logp = model.logits(h).logSoftmax(2);                         // [rows, cols, vocab]
            NDArray targets = batch.tokens(sub, a + 1, b + 1).expandDims(2);      // [rows, cols, 1]
            float[] picked = logp.gather(targets, 2).toFloatArray();              // [rows * cols]
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int tokenIndex = a + 1 + c - batch.pad[r];
                    if (tokenIndex >= from[r]) {
                        logprobs[r][tokenIndex - from[r]] = picked[r * cols + c];
                    }
                }
            }
        }
    }

    /**
     * The probability of each candidate token right after each prompt. Prompts must be non-empty and
     * shorter than the context.
     */
    public List<ChoiceResult> choose(List<long[]> prompts, long[] candidates) {
        return choose(prompts, candidates, null, 0, List.of());
    }

    /**
     * {@link #choose(List, long[])} that takes from {@code prefixes} (computing them once) the {@code known}
     * prefixes and every prefix of at least {@code minSharedPrefix} tokens several prompts share, and
     * prefills only the rest of each prompt that starts with one. Same probabilities to float rounding.
     */
    public List<ChoiceResult> choose(List<long[]> prompts, long[] candidates, PrefixCache prefixes,
            int minSharedPrefix, List<long[]> known) {
        ChoiceResult[] results = new ChoiceResult[prompts.size()];
        List<Integer> runnable = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            ScoreResult bad = check(prompts.get(i), 0);
            if (bad != null) {
                results[i] = ChoiceResult.failed(bad.error());
            } else {
                runnable.add(i);
            }
        }
        for (long c : candidates) {
            if (c < 0 || c >= model.config().vocabSize) {
                throw new IllegalArgumentException("Cannot score choices: candidate token id " + c
                        + " is outside the vocabulary of " + model.config().vocabSize);
            }
        }
        if (runnable.isEmpty()) {
            return Arrays.asList(results);
        }
        List<long[]> rows = runnable.stream().map(prompts::get).toList();
        Map<PrefixCache.Entry, List<Integer>> groups = new LinkedHashMap<>();
        List<Integer> plain = new ArrayList<>();
        try (PrefixCache.Pinned pinned = prefixes == null ? null : prefixes.pinShared(rows, minSharedPrefix, known)) {
            for (int j = 0; j < rows.size(); j++) {
                PrefixCache.Entry entry = pinned == null ? null : pinned.longestFor(rows.get(j));
                if (entry == null) {
                    plain.add(j);
                } else {
                    groups.computeIfAbsent(entry, e -> new ArrayList<>()).add(j);
                }
            }
            if (!plain.isEmpty()) {
                place(results, runnable, plain, OutOfMemoryPolicy.inHalves(plain, some -> ofAll(
                        lastProbabilities(new Batch(pick(rows, some)), candidates), 0), ChoiceResult::failed));
            }
            for (Map.Entry<PrefixCache.Entry, List<Integer>> g : groups.entrySet()) {
                PrefixCache.Entry prefix = g.getKey();
                place(results, runnable, g.getValue(), OutOfMemoryPolicy.inHalves(g.getValue(), some -> ofAll(
                        prefixedProbabilities(pick(rows, some), prefix, candidates), prefix.length()),
                        ChoiceResult::failed));
            }
        }
        return Arrays.asList(results);
    }

    private static List<ChoiceResult> ofAll(float[][] probabilities, int cachedTokens) {
        return Arrays.stream(probabilities).map(p -> ChoiceResult.of(p, cachedTokens)).toList();
    }

    /** Puts {@code done[j]}, the result of row {@code which[j]} of the runnable ones, into {@code results}. */
    private static void place(ChoiceResult[] results, List<Integer> runnable, List<Integer> which,
            List<ChoiceResult> done) {
        for (int j = 0; j < which.size(); j++) {
            results[runnable.get(which.get(j))] = done.get(j);
        }
    }

    private static long[][] pick(List<long[]> rows, List<Integer> which) {
        return which.stream().map(rows::get).toArray(long[][]::new);
    }

    /** Prompts that all start with {@code prefix}: only their rests run through the model. */
    private float[][] prefixedProbabilities(long[][] prompts, PrefixCache.Entry prefix, long[] candidates) {
        GroupPrefill prefill = new GroupPrefill(prompts, prefix);
        float[][] out = new float[prompts.length][];
        try (NDManager call = model.manager().newSubManager(); KvCache scratch = prefill.scratch(model)) {
            prefill.run(forward, call, scratch, prefillChunk,
                    (step, logits) -> candidateProbabilities(step, logits, candidates, out));
        }
        return out;
    }

    /** Each row's probabilities of the candidates, from float32 logits {@code [rows, vocab]}. */
    private static void candidateProbabilities(NDManager step, NDArray logits, long[] candidates, float[][] out) {
        int rows = out.length;
        NDArray probs = logits.softmax(1);                                      // [rows, vocab]
        NDArray index = step.create(candidates).reshape(1, candidates.length).repeat(0, rows);
        float[] picked = probs.gather(index, 1).toFloatArray();
        for (int r = 0; r < rows; r++) {
            out[r] = Arrays.copyOfRange(picked, r * candidates.length, (r + 1) * candidates.length);
        }
    }

    private float[][] lastProbabilities(Batch batch, long[] candidates) {
        int rows = batch.rows();
        float[][] out = new float[rows][];
        try (NDManager call = model.manager().newSubManager(); KvCache cache = model.newCache(rows, batch.width)) {
            forward.prefill(call, batch, cache, prefillChunk, (step, hidden, start, end) -> {
                if (end == batch.width) {
                    NDArray last = hidden.get(new NDIndex(":, {}:, :", end - start - 1));
                    candidateProbabilities(step, model.logits(last).squeeze(1), candidates, out);
                }
            });
        }
        return out;
    }
}
