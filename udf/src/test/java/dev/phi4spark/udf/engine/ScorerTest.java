package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scoring checked against log-softmax of the golden logits, computed here in double precision. */
class ScorerTest {

    private static Phi3Model model;
    private static JsonNode golden;
    private static long[] prompt;

    @BeforeAll
    static void load() {
        model = Fixtures.load("tiny-phi3");
        golden = Fixtures.golden("tiny-phi3");
        prompt = Fixtures.longs(golden.get("prompt_ids"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** log p(token at t+1 | tokens up to t) from the golden logits at position t. */
    private static double goldenLogprob(int position, long token) {
        float[] logits = Fixtures.floats(golden.get("logits").get(position));
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[(int) token] - max - Math.log(sum);
    }

    @Test
    void tokenLogprobsMatchTheGoldenLogits() {
        for (int chunk : new int[] {1, 4, 512}) {
            ScoreResult r = new Scorer(model, chunk).score(List.of(prompt)).get(0);
            assertThat(r.tokenCount()).isEqualTo(prompt.length - 1);
            double sum = 0;
            for (int t = 0; t < prompt.length - 1; t++) {
                double expected = goldenLogprob(t, prompt[t + 1]);
                sum += expected;
                assertThat((double) r.tokenLogprobs()[t]).as("token %d, chunk %d", t + 1, chunk)
                        .isCloseTo(expected, within(Fixtures.TOLERANCE));
            }
            assertThat(r.sum()).isCloseTo(sum, within(1e-2));
            assertThat(r.mean()).isCloseTo(sum / (prompt.length - 1), within(Fixtures.TOLERANCE));
            assertThat(r.perplexity()).isCloseTo(Math.exp(-sum / (prompt.length - 1)), within(1e-2 * r.perplexity()));
        }
    }

    @Test
    void scoringFromAnOffsetScoresOnlyTheContinuation() {
        ScoreResult r = new Scorer(model, 512).score(List.of(prompt), new int[] {8}).get(0);
        assertThat(r.tokenCount()).isEqualTo(prompt.length - 8);
        assertThat((double) r.tokenLogprobs()[0]).isCloseTo(goldenLogprob(7, prompt[8]), within(Fixtures.TOLERANCE));
    }

    @Test
    void aBatchOfDifferentLengthsScoresLikeEachTextAlone() {
        long[] shorter = Arrays.copyOf(prompt, 5);
        long[] other = {3, 9, 27, 81, 243, 217, 139, 5, 15, 45};
        Scorer scorer = new Scorer(model, 3);
        List<ScoreResult> together = scorer.score(List.of(prompt, shorter, other));
        List<long[]> texts = List.of(prompt, shorter, other);
        for (int i = 0; i < texts.size(); i++) {
            ScoreResult alone = scorer.score(List.of(texts.get(i))).get(0);
            float[] a = alone.tokenLogprobs();
            float[] b = together.get(i).tokenLogprobs();
            assertThat(Fixtures.maxAbsDiff(a, b)).as("text %d", i).isLessThan(1e-4);
        }
    }

    @Test
    void choicesReusingASharedPrefixMatchThePlainPath() {
        long[] candidates = {10, 11, 12, 13, 14, 15};
        long[] head = java.util.stream.LongStream.range(0, 40).map(i -> 20 + i * 7 % 300).toArray();
        List<long[]> prompts = new java.util.ArrayList<>();
        for (int r = 0; r < 4; r++) {
            long[] p = java.util.Arrays.copyOf(head, head.length + 3 + r);
            for (int i = head.length; i < p.length; i++) {
                p[i] = 50 + r * 11 + i;
            }
            prompts.add(p);
        }
        prompts.add(new long[] {7, 8, 9}); // shares nothing: prefilled whole in the same call
        Scorer scorer = new Scorer(model, 16);
        List<ChoiceResult> plain = scorer.choose(prompts, candidates);
        try (PrefixCache cache = new PrefixCache(model, 16, 4)) {
            List<ChoiceResult> reused = scorer.choose(prompts, candidates, cache, 32, List.of());
            assertThat(cache.size()).isEqualTo(1);
            for (int r = 0; r < prompts.size(); r++) {
                for (int i = 0; i < candidates.length; i++) {
                    assertThat((double) reused.get(r).probabilities()[i])
                            .as("prompt %d, candidate %d", r, i)
                            .isCloseTo(plain.get(r).probabilities()[i], within(1e-5));
                }
                assertThat(reused.get(r).cachedPromptTokens()).isEqualTo(r < 4 ? head.length : 0);
                assertThat(plain.get(r).cachedPromptTokens()).isZero();
            }
        }
    }

    @Test
    void choiceProbabilitiesAreTheSoftmaxAtTheCandidates() {
        long[] candidates = {10, 11, 12, 13, 14, 15};
        ChoiceResult r = new Scorer(model, 512).choose(List.of(prompt), candidates).get(0);
        double total = 0;
        for (int i = 0; i < candidates.length; i++) {
            double expected = Math.exp(goldenLogprob(prompt.length - 1, candidates[i]));
            total += expected;
            assertThat((double) r.probabilities()[i]).isCloseTo(expected, within(1e-4));
        }
        for (int i = 0; i < candidates.length; i++) {
            assertThat((double) r.normalized()[i]).isCloseTo(r.probabilities()[i] / total, within(1e-4));
        }
        assertThat(r.argmax()).isEqualTo(argmax(r.probabilities()));
        double expectedScore = 0;
        for (int i = 0; i < candidates.length; i++) {
            expectedScore += i * (double) r.normalized()[i];
        }
        assertThat(r.expected(new double[] {0, 1, 2, 3, 4, 5})).isCloseTo(expectedScore, within(1e-9));
    }

    @Test
    void badRowsGetAnErrorAndTheOthersAreScored() {
        long[] tooLong = new long[model.config().maxPositions + 1];
        List<ScoreResult> r = new Scorer(model, 512).score(List.of(new long[0], prompt, tooLong, new long[] {5}));
        assertThat(r.get(0).error().code()).isEqualTo("empty_prompt");
        assertThat(r.get(1).error()).isNull();
        assertThat(r.get(1).tokenCount()).isEqualTo(prompt.length - 1);
        assertThat(r.get(2).error().code()).isEqualTo("prompt_too_long");
        assertThat(r.get(3).error().render()).isEqualTo("too_short: nothing to score in 1 tokens from token 1");
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
