package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.BitSet;
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
    // Per row, the tokens of its prompt and its completion so far; null for a row without a penalty. Kept in
    // Java on every device: the CPU path penalizes its host logits in place, a GPU gathers only these columns.
    private BitSet[] seen;
    private HostDraw hostDraw; // the CPU path's draw and its scratch, made at the first sampling step
    private float[] hostLogits; // the CPU path's logits, reused while the batch keeps its size

    /** A sampler for rows with these parameters, in batch order. */
    public Sampler(SamplingParams[] params) {
        this.params = params.clone();
        this.randoms = new SplittableRandom[params.length];
        this.seen = new BitSet[params.length];
        for (int i = 0; i < params.length; i++) {
            randoms[i] = new SplittableRandom(params[i].seed());
        }
        flags();
    }

    private void flags() {
        anyPenalty = false;
        anySampling = false;
        for (SamplingParams p : params) {
            anyPenalty |= p.repetitionPenalty() != 1;
            anySampling |= !p.isGreedy();
        }
    }

    /** Records the prompts of the rows that have a repetition penalty. */
    void start(long[][] prompts) {
        for (int row = 0; row < prompts.length; row++) {
            if (params[row].repetitionPenalty() != 1) {
                BitSet tokens = new BitSet();
                for (long t : prompts[row]) {
                    tokens.set(Math.toIntExact(t));
                }
                seen[row] = tokens;
            }
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
            penalize(host, batch);
            tokens = anySampling ? drawOnHost(host, batch, bad) : argMax(host, batch);
        } else {
            NDArray scores = anyPenalty ? penalized(step, logits) : logits;
            tokens = anySampling ? draw(step, scores, batch) : scores.argMax(1).toLongArray();
        }
        remember(tokens, bad);
        return markNonFinite(tokens, bad);
    }

    /**
     * {@link #next(NDManager, NDArray)} for float32 logits {@code [batch, vocab]} already in host memory (the
     * native decoder's buffer, {@link NativeDecoder#decodeLogits}): the same pick, with no tensor.
     */
    long[] next(FloatBuffer logits, int batch) {
        boolean nativeBuffer = logits.isDirect() && logits.order() == ByteOrder.nativeOrder();
        if (!anySampling && !anyPenalty && nativeBuffer && NativeDecoder.available()) {
            // One vectorized pass over the buffer: the copy and the two Java loops below took ~0.3 ms of a
            // ~15 ms batch-8 step (docs/benchmarks.md).
            return NativeDecoder.greedy(logits.slice(), batch, logits.remaining() / batch);
        }
        float[] host = kept(logits.remaining());
        logits.get(host);
        boolean[] bad = nonFinite(host, batch);
        penalize(host, batch);
        long[] tokens = anySampling ? drawOnHost(host, batch, bad) : argMax(host, batch);
        remember(tokens, bad);
        return markNonFinite(tokens, bad);
    }

    /** Adds each row's pick to its history; a row with non-finite logits picked nothing (it ends as an error). */
    private void remember(long[] tokens, boolean[] bad) {
        for (int r = 0; r < tokens.length; r++) {
            if (seen[r] != null && !bad[r]) {
                seen[r].set(Math.toIntExact(tokens[r]));
            }
        }
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

    /**
     * HF's repetition penalty on host scores {@code [batch, vocab]}, in place: each token in a row's history
     * has its logit multiplied by the float32 reciprocal of the penalty when positive and by the penalty
     * otherwise (HF divides; PyTorch's CUDA kernels divide by a scalar as this multiplication). Only the
     * history's columns are touched, so a penalized step costs its row's history, not its vocabulary.
     */
    void penalize(float[] scores, int batch) {
        int vocab = scores.length / batch;
        for (int r = 0; r < batch; r++) {
            BitSet tokens = seen[r];
            if (tokens == null) {
                continue;
            }
            float penalty = (float) params[r].repetitionPenalty();
            float inverse = 1f / penalty;
            int row = r * vocab;
            for (int t = tokens.nextSetBit(0); t >= 0 && t < vocab; t = tokens.nextSetBit(t + 1)) {
                float v = scores[row + t];
                scores[row + t] = v * (v > 0 ? inverse : penalty);
            }
        }
    }

    /**
     * {@link #penalize(float[], int)}'s rule on a logits tensor (a GPU's, or float16), into a copy: the
     * history's (row, token) columns are gathered, scaled in float32 and scattered back.
     */
    NDArray penalized(NDManager step, NDArray logits) {
        int vocab = Math.toIntExact(logits.getShape().get(1));
        int n = 0;
        for (BitSet tokens : seen) {
            n += tokens == null ? 0 : tokens.get(0, vocab).cardinality();
        }
        if (n == 0) {
            return logits;
        }
        long[] rows = new long[n];
        long[] columns = new long[n];
        float[] whenPositive = new float[n];
        float[] otherwise = new float[n];
        for (int r = 0, i = 0; r < seen.length; r++) {
            if (seen[r] == null) {
                continue;
            }
            float penalty = (float) params[r].repetitionPenalty();
            for (int t = seen[r].nextSetBit(0); t >= 0 && t < vocab; t = seen[r].nextSetBit(t + 1), i++) {
                rows[i] = r;
                columns[i] = t;
                whenPositive[i] = 1f / penalty;
                otherwise[i] = penalty;
            }
        }
        NDIndex at = new NDIndex("{}, {}", step.create(rows), step.create(columns));
        NDArray values = logits.get(at).toType(DataType.FLOAT32, false);       // [n]
        NDArray factor = NDArrays.where(values.gt(0), step.create(whenPositive), step.create(otherwise));
        NDArray out = logits.duplicate();
        out.set(at, values.mul(factor).toType(logits.getDataType(), false));
        return out;
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
     * and history included: a sequence sampled its first token in a prefill batch and goes on in a decode
     * slot, drawing the very numbers it would have drawn in one batch.
     */
    void replaceRow(int row, Sampler from, int fromRow) {
        params[row] = from.params[fromRow];
        randoms[row] = from.randoms[fromRow];
        seen[row] = from.seen[fromRow];
        flags();
    }

    /** Keeps only the given rows, in that order, as the generator drops finished ones. */
    void keepRows(long[] rows) {
        SamplingParams[] p = new SamplingParams[rows.length];
        SplittableRandom[] r = new SplittableRandom[rows.length];
        BitSet[] s = new BitSet[rows.length];
        for (int i = 0; i < rows.length; i++) {
            p[i] = params[(int) rows[i]];
            r[i] = randoms[(int) rows[i]];
            s[i] = seen[(int) rows[i]];
        }
        params = p;
        randoms = r;
        seen = s;
        flags();
    }
}
