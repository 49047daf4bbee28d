package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Picks each row's next token from its logits: repetition penalty, then greedy (temperature 0) or a draw
 * from the temperature-scaled distribution cut to top-k and top-p. The draw inverts the CDF with one
 * uniform number from the row's own generator, so a row's tokens depend only on its logits and seed.
 * Logits on a GPU are picked with libtorch's ops there; float32 logits on the CPU are read into Java once
 * and picked by the same rule in plain loops ({@link HostDraw}), so a seed's tokens can differ between
 * the two where probabilities tie to float rounding.
 */
public final class Sampler {

    private SamplingParams[] params;
    private SplittableRandom[] randoms;
    private boolean anyPenalty;
    private boolean anySampling;
    private NDArray seen; // [batch, vocab] float32, 1 where the row's history holds the token; null if unused
    private HostDraw hostDraw; // the CPU path's draw and its scratch, made at the first sampling step
    private float[] hostLogits; // the CPU path's logits, reused while the batch keeps its size

    /** A sampler for rows with these parameters, in batch order. */
    public Sampler(SamplingParams[] params) {
        this.params = params.clone();
        this.randoms = new SplittableRandom[params.length];
        boolean penalty = false;
        boolean sampling = false;
        for (int i = 0; i < params.length; i++) {
            randoms[i] = new SplittableRandom(params[i].seed());
            penalty |= params[i].repetitionPenalty() != 1;
            sampling |= !params[i].isGreedy();
        }
        this.anyPenalty = penalty;
        this.anySampling = sampling;
    }

    /** Records the prompts for the repetition penalty; a no-op when no row uses one. */
    void start(NDManager manager, long[][] prompts, int vocab) {
        if (!anyPenalty) {
            return;
        }
        seen = manager.zeros(new Shape(prompts.length, vocab), DataType.FLOAT32);
        try (NDManager scratch = manager.newSubManager()) {
            for (int row = 0; row < prompts.length; row++) {
                long[] rowIndex = new long[prompts[row].length];
                java.util.Arrays.fill(rowIndex, row);
                markSeen(scratch, scratch.create(rowIndex), scratch.create(prompts[row]));
            }
        }
    }

    /**
     * Sets {@code seen[rows[i], tokens[i]] = 1}. Every temporary lives on {@code scratch}: a
     * {@code set(index, 1f)} would leave a scalar on the long-lived manager at each step.
     */
    private void markSeen(NDManager scratch, NDArray rows, NDArray tokens) {
        if (rows.getShape().get(0) > 0) {
            seen.set(new NDIndex("{}, {}", rows, tokens), scratch.ones(rows.getShape(), DataType.FLOAT32));
        }
    }

    /**
     * Picks one token per row of {@code logits [batch, vocab]} (float32), or {@link #NON_FINITE} for a
     * row whose logits hold NaN or infinity: a token drawn from them would be noise (argmax of NaN is 0,
     * "!"), so the generator turns that row into an error instead.
     */
    long[] next(NDManager step, NDArray logits) {
        int batch = (int) logits.getShape().get(0);
        // On the CPU the logits are read once into Java, then checked and picked in plain loops (HostDraw):
        // libtorch's ops here each waited for their OpenMP team, whose threads share the cores with the native
        // decoder's pool, and sorted the whole vocabulary per row (greedy ops ~12% of a batch-8 step, the
        // draw's ~half, docs/benchmarks.md). On a GPU the ops stay there; only their results cross to the host.
        float[] host = logits.getDevice().isGpu() || logits.getDataType() != DataType.FLOAT32
                ? null : hostFloats(logits);
        boolean[] bad = host != null ? nonFinite(host, batch) : nonFinite(logits);
        long[] tokens;
        if (host != null) {
            float[] scores = anyPenalty ? penalize(step, logits).toFloatArray() : host;
            tokens = anySampling ? drawOnHost(scores, batch, bad) : argMax(scores, batch);
        } else {
            NDArray scores = anyPenalty ? penalize(step, logits) : logits;
            tokens = anySampling ? draw(step, scores, batch) : scores.argMax(1).toLongArray();
        }
        long[] seenTokens = tokens.clone();
        for (int i = 0; i < batch; i++) {
            if (bad[i]) {
                seenTokens[i] = 0;
            }
        }
        if (anyPenalty) {
            markSeen(step, step.arange(0, batch, 1, DataType.INT64), step.create(seenTokens));
        }
        return markNonFinite(tokens, bad);
    }

    /** Whether a row has a repetition penalty, which {@link #next(FloatBuffer, int)} cannot apply. */
    boolean penalizes() {
        return anyPenalty;
    }

    /**
     * {@link #next(NDManager, NDArray)} for float32 logits {@code [batch, vocab]} already in host memory (the
     * native decoder's buffer, {@link NativeDecoder#decodeLogits}): the same pick, with no tensor.
     */
    long[] next(FloatBuffer logits, int batch) {
        if (anyPenalty) {
            throw new IllegalStateException("Cannot pick from host logits: a row has a repetition penalty, which"
                    + " the logits tensor's path applies");
        }
        boolean nativeBuffer = logits.isDirect() && logits.order() == ByteOrder.nativeOrder();
        if (!anySampling && nativeBuffer && NativeDecoder.available()) {
            // One vectorized pass over the buffer: the copy and the two Java loops below took ~0.3 ms of a
            // ~15 ms batch-8 step (docs/benchmarks.md).
            return NativeDecoder.greedy(logits.slice(), batch, logits.remaining() / batch);
        }
        float[] host = kept(logits.remaining());
        logits.get(host);
        boolean[] bad = nonFinite(host, batch);
        return markNonFinite(anySampling ? drawOnHost(host, batch, bad) : argMax(host, batch), bad);
    }

    private static long[] markNonFinite(long[] tokens, boolean[] bad) {
        for (int i = 0; i < tokens.length; i++) {
            if (bad[i]) {
                tokens[i] = NON_FINITE;
            }
        }
        return tokens;
    }

    /**
     * A CPU tensor's floats, read from its own memory into an array kept from step to step: a fresh array
     * each step took ~0.44 ms of a ~11 ms batch-1 step (the JVM faulting in new heap pages for it; a
     * vocabulary row is 128-400 KB), as did {@code toFloatArray} (docs/benchmarks.md).
     */
    private float[] hostFloats(NDArray logits) {
        float[] host = kept(Math.toIntExact(logits.size()));
        logits.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(host);
        return host;
    }

    private float[] kept(int size) {
        if (hostLogits == null || hostLogits.length != size) {
            hostLogits = new float[size];
        }
        return hostLogits;
    }

    /**
     * {@link #draw}'s rule on host scores; each sampling row takes its generator's next number, as there.
     * A row with non-finite logits draws nothing (its token is replaced by {@link #NON_FINITE}).
     */
    private long[] drawOnHost(float[] scores, int batch, boolean[] bad) {
        int vocab = scores.length / batch;
        if (hostDraw == null) {
            hostDraw = new HostDraw();
        }
        long[] tokens = new long[batch];
        for (int r = 0; r < batch; r++) {
            SamplingParams p = params[r];
            if (p.isGreedy()) {
                tokens[r] = argMax(scores, r * vocab, vocab);
                continue;
            }
            double uniform = randoms[r].nextDouble();
            tokens[r] = bad[r] ? 0 : hostDraw.draw(scores, r * vocab, vocab, p.temperature(), p.topK(), p.topP(),
                    uniform);
        }
        return tokens;
    }

    private static long[] argMax(float[] logits, int batch) {
        int vocab = logits.length / batch;
        long[] tokens = new long[batch];
        for (int r = 0; r < batch; r++) {
            tokens[r] = argMax(logits, r * vocab, vocab);
        }
        return tokens;
    }

    /** The row's first largest logit (libtorch's argmax: the first index among equal maxima). */
    private static int argMax(float[] logits, int offset, int vocab) {
        int best = 0;
        float max = logits[offset];
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > max) {
                max = logits[offset + i];
                best = i;
            }
        }
        return best;
    }

    /** Whether each row holds a NaN or an infinity. */
    private static boolean[] nonFinite(float[] logits, int batch) {
        int vocab = logits.length / batch;
        boolean[] bad = new boolean[batch];
        for (int r = 0; r < batch; r++) {
            for (int i = r * vocab; i < (r + 1) * vocab; i++) {
                if (!Float.isFinite(logits[i])) {
                    bad[r] = true;
                    break;
                }
            }
        }
        return bad;
    }

    private static boolean[] nonFinite(NDArray logits) {
        float[] count = logits.isNaN().logicalOr(logits.isInfinite()).toType(DataType.FLOAT32, false)
                .sum(new int[] {1}).toFloatArray();
        boolean[] bad = new boolean[count.length];
        for (int i = 0; i < count.length; i++) {
            bad[i] = count[i] > 0;
        }
        return bad;
    }

    /** The token {@link #next} returns for a row whose logits are not finite. */
    static final long NON_FINITE = -1;

    /** The row error of a generation whose logits turned NaN or infinite. */
    static final RowError NON_FINITE_ERROR = new RowError(ScoreResult.NON_FINITE, "the model produced NaN or"
            + " infinite logits (damaged weights, or float16 overflow: try model.dtype=float32)");

    /** HF's rule: a seen token's logit is divided by the penalty when positive, multiplied when not. */
    private NDArray penalize(NDManager step, NDArray logits) {
        float[] penalty = new float[params.length];
        float[] inverse = new float[params.length];
        for (int i = 0; i < params.length; i++) {
            penalty[i] = (float) params[i].repetitionPenalty();
            inverse[i] = 1f / penalty[i];
        }
        NDArray p = step.create(penalty).reshape(params.length, 1);
        NDArray inv = step.create(inverse).reshape(params.length, 1);
        NDArray positive = logits.gt(0).toType(DataType.FLOAT32, false);
        NDArray factor = positive.mul(inv.sub(p)).add(p);                    // [batch, vocab]
        NDArray seenHere = seen.get(step, new NDIndex(":"));
        return logits.mul(seenHere.mul(factor.sub(1f)).add(1f));
    }

    private long[] draw(NDManager step, NDArray logits, int batch) {
        int vocab = (int) logits.getShape().get(1);
        float[] temperature = new float[batch];
        float[] topP = new float[batch];
        float[] topK = new float[batch];
        float[] uniform = new float[batch];
        for (int i = 0; i < batch; i++) {
            SamplingParams p = params[i];
            temperature[i] = p.isGreedy() ? 1f : (float) p.temperature();
            topP[i] = (float) p.topP();
            topK[i] = p.topK() == 0 ? vocab : p.topK();
            uniform[i] = p.isGreedy() ? 0f : (float) randoms[i].nextDouble();
        }
        NDArray probs = logits.div(step.create(temperature).reshape(batch, 1)).softmax(1);
        NDArray order = probs.argSort(1, false);                              // [batch, vocab] most likely first
        NDArray sorted = probs.gather(order, 1);
        NDArray before = sorted.cumSum(1).sub(sorted);                        // mass of the more likely tokens
        NDArray inNucleus = before.lt(step.create(topP).reshape(batch, 1));
        NDArray ranks = step.arange(0, vocab, 1, DataType.FLOAT32).reshape(1, vocab);
        NDArray inTopK = ranks.lt(step.create(topK).reshape(batch, 1));
        NDArray kept = sorted.mul(inNucleus.logicalAnd(inTopK).toType(DataType.FLOAT32, false));
        NDArray cdf = kept.cumSum(1);
        NDArray threshold = cdf.get(":, {}:", vocab - 1).mul(step.create(uniform).reshape(batch, 1));
        NDArray choice = cdf.lt(threshold).toType(DataType.INT64, false).sum(new int[] {1}, true);
        long[] picked = order.gather(choice.clip(0, vocab - 1), 1).toLongArray();
        long[] greedy = logits.argMax(1).toLongArray();
        for (int i = 0; i < batch; i++) {
            if (params[i].isGreedy()) {
                picked[i] = greedy[i];
            }
        }
        return picked;
    }

    /**
     * Puts row {@code fromRow} of another sampler into row {@code row} of this one, its random generator
     * and seen tokens included: a sequence sampled its first token in a prefill batch and goes on in a
     * decode slot, drawing the very numbers it would have drawn in one batch.
     */
    void replaceRow(NDManager manager, int row, Sampler from, int fromRow) {
        params[row] = from.params[fromRow];
        randoms[row] = from.randoms[fromRow];
        anyPenalty = false;
        anySampling = false;
        for (SamplingParams p : params) {
            anyPenalty |= p.repetitionPenalty() != 1;
            anySampling |= !p.isGreedy();
        }
        if (from.seen == null && seen == null) {
            return;
        }
        try (NDManager scratch = manager.newSubManager()) {
            if (from.seen == null) {
                // The row has no penalty, so its stale history would not matter; zeros keep it tidy.
                seen.set(new NDIndex("{}", row), scratch.zeros(new Shape(seen.getShape().get(1)), DataType.FLOAT32));
                return;
            }
            if (seen == null) {
                seen = manager.zeros(new Shape(params.length, from.seen.getShape().get(1)), DataType.FLOAT32);
            }
            seen.set(new NDIndex("{}", row), from.seen.get(scratch, new NDIndex("{}", fromRow)));
        }
    }

    /** Keeps only the given rows, in that order, as the generator drops finished ones. */
    void keepRows(NDManager manager, long[] rows) {
        SamplingParams[] p = new SamplingParams[rows.length];
        SplittableRandom[] r = new SplittableRandom[rows.length];
        for (int i = 0; i < rows.length; i++) {
            p[i] = params[(int) rows[i]];
            r[i] = randoms[(int) rows[i]];
        }
        params = p;
        randoms = r;
        if (seen != null) {
            try (NDArray index = manager.create(rows)) {
                NDArray kept = seen.get(manager, new NDIndex("{}", index));
                seen.close();
                seen = kept;
            }
        }
    }
}
