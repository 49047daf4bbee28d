package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
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

    private static long distinct(long[] ids) {
        return java.util.Arrays.stream(ids).distinct().count();
    }
}
