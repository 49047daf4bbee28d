package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SamplingTest {

    private static Phi3Model model;
    private static long[] prompt;
    private static long[] greedyIds;

    @BeforeAll
    static void load() {
        model = Fixtures.load("tiny-phi3");
        JsonNode golden = Fixtures.golden("tiny-phi3");
        prompt = Fixtures.longs(golden.get("prompt_ids"));
        greedyIds = Fixtures.longs(golden.get("greedy_new_ids"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Generator generator(Set<Long> stops) {
        return new Generator(model, 8, stops, TokenDecoder.NONE);
    }

    private static List<GenerationRequest> batchOfEight(SamplingParams target) {
        Random random = new Random(7);
        List<GenerationRequest> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            if (i == 5) {
                batch.add(new GenerationRequest(prompt, target));
                continue;
            }
            long[] other = new long[3 + random.nextInt(15)];
            for (int j = 0; j < other.length; j++) {
                other[j] = 3 + random.nextInt(500);
            }
            batch.add(new GenerationRequest(other, new SamplingParams(0.7 + i * 0.1, i % 3 * 5, 0.9, 1, 4 + i * 3,
                    1000 + i, List.of())));
        }
        return batch;
    }

    @Test
    void aRowSamplesTheSameTokensAloneOrInABatchOfEight() {
        for (SamplingParams params : List.of(
                SamplingParams.sample(1.0, 1.0, 24, 42),
                SamplingParams.sample(0.8, 0.9, 24, 7),
                new SamplingParams(1.2, 40, 0.95, 1.3, 24, 99, List.of()))) {
            long[] alone = generator(Set.of()).generate(List.of(new GenerationRequest(prompt, params))).get(0).tokenIds();
            long[] inBatch = generator(Set.of()).generate(batchOfEight(params)).get(5).tokenIds();
            assertThat(inBatch).as("%s", params).containsExactly(alone);
            assertThat(alone).hasSize(24);
        }
    }

    @Test
    void theSameSeedRepeatsAndAnotherSeedDiffers() {
        Generator g = generator(Set.of());
        long[] a = g.generate(List.of(new GenerationRequest(prompt, SamplingParams.sample(1.5, 1, 32, 1)))).get(0).tokenIds();
        long[] b = g.generate(List.of(new GenerationRequest(prompt, SamplingParams.sample(1.5, 1, 32, 1)))).get(0).tokenIds();
        long[] c = g.generate(List.of(new GenerationRequest(prompt, SamplingParams.sample(1.5, 1, 32, 2)))).get(0).tokenIds();
        assertThat(b).containsExactly(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void topKOfOneAndTinyTopPAreGreedy() {
        Generator g = generator(Set.of());
        SamplingParams topK1 = new SamplingParams(1.0, 1, 1.0, 1, greedyIds.length, 5, List.of());
        SamplingParams topPTiny = new SamplingParams(1.0, 0, 1e-6, 1, greedyIds.length, 5, List.of());
        assertThat(g.generate(List.of(new GenerationRequest(prompt, topK1))).get(0).tokenIds()).containsExactly(greedyIds);
        assertThat(g.generate(List.of(new GenerationRequest(prompt, topPTiny))).get(0).tokenIds()).containsExactly(greedyIds);
    }

    @Test
    void repetitionPenaltyDiscouragesRepeats() {
        Generator g = generator(Set.of());
        SamplingParams plain = SamplingParams.greedy(48);
        SamplingParams penalized = new SamplingParams(0, 0, 1, 10.0, 48, 0, List.of());
        long[] a = g.generate(List.of(new GenerationRequest(prompt, plain))).get(0).tokenIds();
        long[] b = g.generate(List.of(new GenerationRequest(prompt, penalized))).get(0).tokenIds();
        assertThat(distinct(b)).isGreaterThan(distinct(a));
    }

    @Test
    void aStopTokenEndsTheRowWithReasonStop() {
        long stop = greedyIds[4];
        GenerationResult r = generator(Set.of(stop)).generate(List.of(
                new GenerationRequest(prompt, SamplingParams.greedy(16)))).get(0);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(r.tokenIds()).containsExactly(java.util.Arrays.copyOf(greedyIds, 5));
        assertThat(r.completionTokens()).isEqualTo(5);
        assertThat(r.promptTokens()).isEqualTo(prompt.length);
    }

    @Test
    void rowsFinishingAtDifferentStepsKeepTheirOwnTokens() {
        Generator g = generator(Set.of());
        List<GenerationRequest> rows = new ArrayList<>();
        for (int n : new int[] {1, 16, 5, 0, 9}) {
            rows.add(new GenerationRequest(prompt, SamplingParams.greedy(n)));
        }
        List<GenerationResult> results = g.generate(rows);
        int[] lengths = {1, 16, 5, 0, 9};
        for (int i = 0; i < lengths.length; i++) {
            assertThat(results.get(i).tokenIds()).containsExactly(java.util.Arrays.copyOf(greedyIds, lengths[i]));
            assertThat(results.get(i).finishReason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void invalidParametersAreRefusedWithTheirName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SamplingParams(-1, 0, 1, 1, 4, 0, List.of()))
                .hasMessage("Cannot use sampling parameters: temperature must be >= 0 (-1.0)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SamplingParams(1, 0, 0, 1, 4, 0, List.of()))
                .hasMessage("Cannot use sampling parameters: top_p must be in (0, 1] (0.0)");
    }

    /**
     * Greedy picks are libtorch's argmax (the first of equal maxima), and a row holding a NaN, +inf or -inf
     * anywhere is marked non-finite, whether its row is greedy or sampled; the other rows keep their tokens.
     */
    @Test
    void greedyPicksAreArgmaxAndRowsWithNanOrInfinityAreMarked() {
        int vocab = 1000;
        float[] logits = new float[6 * vocab];
        Random random = new Random(11);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian() * 3;
        }
        logits[1 * vocab + 17] = 50f;
        logits[1 * vocab + 900] = 50f;              // a tie: the first index wins
        logits[2 * vocab + 999] = Float.NaN;
        logits[3 * vocab + 3] = Float.POSITIVE_INFINITY;
        logits[4 * vocab] = Float.NEGATIVE_INFINITY; // the first column: a loop must not start past it
        SamplingParams greedy = SamplingParams.greedy(4);
        try (ai.djl.ndarray.NDManager step = model.manager().newSubManager()) {
            ai.djl.ndarray.NDArray array = step.create(logits).reshape(6, vocab);
            long[] expected = array.argMax(1).toLongArray();
            long[] picked = new Sampler(new SamplingParams[] {greedy, greedy, greedy, greedy, greedy, greedy})
                    .next(step, array);
            SamplingParams sampled = SamplingParams.sample(1.0, 1.0, 4, 5);
            long[] mixed = new Sampler(new SamplingParams[] {greedy, greedy, sampled, sampled, sampled, sampled})
                    .next(step, array);
            assertThat(expected[1]).isEqualTo(17);
            for (long[] tokens : List.of(picked, mixed)) {
                assertThat(tokens[0]).isEqualTo(expected[0]);
                assertThat(tokens[1]).isEqualTo(17);
                assertThat(tokens[2]).isEqualTo(Sampler.NON_FINITE);
                assertThat(tokens[3]).isEqualTo(Sampler.NON_FINITE);
                assertThat(tokens[4]).isEqualTo(Sampler.NON_FINITE);
            }
            assertThat(picked[5]).isEqualTo(expected[5]);
            assertThat(mixed[5]).isBetween(0L, vocab - 1L);
        }
    }

    @Test
    void theRepetitionPenaltyScalesEachRowsHistoryAlikeOnHostAndTensorLogits() {
        int vocab = 64;
        float[] penalties = {1.3f, 1f, 0.7f, 3f};
        long[][] prompts = {{5, 9, 9, 0, 63}, {5, 9}, {1, 2, 3, 40}, {7, 8, 5}};
        SamplingParams[] params = new SamplingParams[penalties.length];
        for (int r = 0; r < params.length; r++) {
            params[r] = new SamplingParams(0, 0, 1, penalties[r], 4, 0, List.of());
        }
        Random random = new Random(11);
        float[] logits = new float[penalties.length * vocab];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        logits[9] = 0f;                    // zero: multiplied by the penalty, so unchanged
        logits[2 * vocab + 3] = -2.5f;     // negative: multiplied by the penalty (0.7 here, so raised)
        logits[3 * vocab + 8] = 9f;        // row 3's largest, in its history: 9 / 3 falls below column 20
        logits[3 * vocab + 20] = 4f;
        float[] expected = logits.clone();
        for (int r = 0; r < prompts.length; r++) {
            for (long t : Arrays.stream(prompts[r]).distinct().toArray()) {
                float v = expected[r * vocab + (int) t];
                expected[r * vocab + (int) t] = penalties[r] == 1f ? v : v > 0 ? v * (1f / penalties[r]) : v * penalties[r];
            }
        }
        Sampler sampler = new Sampler(params);
        sampler.start(prompts);
        float[] host = logits.clone();
        sampler.penalize(host, penalties.length);
        assertThat(host).containsExactly(expected);
        try (NDManager step = model.manager().newSubManager()) {
            NDArray array = step.create(logits).reshape(penalties.length, vocab);
            assertThat(sampler.penalized(step, array).toFloatArray()).containsExactly(expected);
            // float16 logits (a GPU's): the same rule in float32, rounded once to float16
            NDArray half = array.toType(DataType.FLOAT16, false);
            float[] halfIn = half.toType(DataType.FLOAT32, false).toFloatArray();
            Sampler fresh = new Sampler(params);
            fresh.start(prompts);
            fresh.penalize(halfIn, penalties.length);
            float[] expectedHalf = step.create(halfIn).toType(DataType.FLOAT16, false)
                    .toType(DataType.FLOAT32, false).toFloatArray();
            assertThat(fresh.penalized(step, half).toType(DataType.FLOAT32, false)
                    .toFloatArray()).containsExactly(expectedHalf);

            long[] picked = sampler.next(FloatBuffer.wrap(logits), penalties.length);
            long[] pickedFromTensor = fresh.next(step, half);
            assertThat(picked[3]).isEqualTo(20);
            assertThat(pickedFromTensor).containsExactly(picked);
        }
        // each pick joins its row's history: row 3's column 20 is penalized from now on
        float[] after = logits.clone();
        sampler.penalize(after, penalties.length);
        assertThat(after[3 * vocab + 20]).isEqualTo(4f * (1f / 3f));
    }

    private static final double[] PENALTIES = {1.5, 0.3, 1, 3, 0.4};

    /** Five rows of different lengths, greedy and sampled, each with its own penalty. */
    private static List<GenerationRequest> penalizedRows() {
        List<GenerationRequest> rows = new ArrayList<>();
        for (int i = 0; i < PENALTIES.length; i++) {
            SamplingParams base = i % 2 == 0 ? SamplingParams.greedy(20 + 9 * i) : SamplingParams.sample(0.9, 0.95, 20 + 9 * i, i);
            rows.add(new GenerationRequest(Arrays.copyOf(prompt, 4 + 3 * i),
                    base.with(SamplingParams.REPETITION_PENALTY, PENALTIES[i])));
        }
        return rows;
    }

    @Test
    void aPenalizedRowGeneratesTheSameTokensAloneAsInSharedSlots() {
        List<GenerationRequest> rows = penalizedRows();
        List<long[]> alone = new ArrayList<>();
        for (GenerationRequest row : rows) {
            alone.add(generator(Set.of()).generate(List.of(row)).get(0).tokenIds());
        }
        // Rows finish at different steps, newcomers take freed slots and the last rows move down as slots are
        // dropped: each row's history must follow it (Sampler.replaceRow, keepRows).
        List<List<GenerationResult>> runs = List.of(
                new ContinuousGenerator(model, 2, 8, Set.of(), TokenDecoder.NONE).generate(rows),
                new ContinuousGenerator(model, 3, 8, Set.of(), TokenDecoder.NONE).generate(rows),
                generator(Set.of()).generate(rows));
        for (List<GenerationResult> run : runs) {
            for (int i = 0; i < rows.size(); i++) {
                assertThat(run.get(i).tokenIds()).as("row %d", i).containsExactly(alone.get(i));
            }
        }
        for (int i : new int[] {0, 4}) { // the greedy rows with a penalty
            assertThat(alone.get(i)).as("row %d", i).containsExactly(penalizedGreedy(rows.get(i).promptIds(),
                    (float) PENALTIES[i], alone.get(i).length));
        }
        long[] unpenalized = generator(Set.of()).generate(List.of(new GenerationRequest(rows.get(4).promptIds(),
                SamplingParams.greedy(56)))).get(0).tokenIds();
        assertThat(distinct(alone.get(4))).isLessThan(distinct(unpenalized)); // 0.4 favours repeats
    }

    /**
     * Greedy decoding with HF's repetition penalty written out: one column a step through the model's
     * tensor path, every token of the prompt and of the completion so far penalized once per step.
     */
    private static long[] penalizedGreedy(long[] prompt, float penalty, int n) {
        Set<Long> history = new HashSet<>();
        for (long t : prompt) {
            history.add(t);
        }
        long[] out = new long[n];
        long[] next = prompt;
        int column = 0;
        try (NDManager call = model.manager().newSubManager();
                KvCache cache = model.newCache(1, prompt.length + n)) {
            for (int i = 0; i < n; i++) {
                float[] logits;
                try (NDManager step = call.newSubManager()) {
                    float[] positions = new float[next.length];
                    for (int j = 0; j < positions.length; j++) {
                        positions[j] = column + j;
                    }
                    NDArray hidden = model.hidden(step, step.create(next).reshape(1, next.length),
                            step.create(positions).reshape(1, next.length), column + next.length - 1, cache, column);
                    logits = model.logits(hidden.get(":, -1:, :")).toFloatArray();
                }
                for (long t : history) {
                    float v = logits[(int) t];
                    logits[(int) t] = v > 0 ? v * (1f / penalty) : v * penalty;
                }
                int best = 0;
                for (int t = 1; t < logits.length; t++) {
                    best = logits[t] > logits[best] ? t : best;
                }
                out[i] = best;
                history.add((long) best);
                column += next.length;
                next = new long[] {best};
            }
        }
        return out;
    }

    private static long distinct(long[] ids) {
        return Arrays.stream(ids).distinct().count();
    }
}
