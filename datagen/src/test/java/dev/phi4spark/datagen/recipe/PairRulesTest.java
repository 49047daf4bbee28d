package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.datagen.PairSchema;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pair rules without Spark: the choice of a pair and the pivotal search. */
class PairRulesTest {

    private static PairChoice.Sample s(int i, String answer, Double score) {
        return new PairChoice.Sample(i, "text " + i, answer, score);
    }

    @Test
    void correctnessPairsTheFirstRightWithTheFirstWrongAnswer() {
        List<PairChoice.Sample> samples = List.of(s(0, "6", null), s(1, "5", null), s(2, "5", null), s(3, "5", null));
        assertThat(PairChoice.reference(samples, 0.5)).isEqualTo("5");
        assertThat(PairChoice.reference(samples, 0.8)).isNull();
        PairChoice.Pair p = PairChoice.byCorrectness(samples, "5");
        assertThat(p).isEqualTo(new PairChoice.Pair("text 1", "text 0", 1.0, 0.0, PairSchema.BY_CORRECTNESS, "5", null));
        assertThat(PairChoice.byCorrectness(List.of(s(0, "5", null), s(1, "5", null)), "5").reason())
                .isEqualTo("every completion reached the answer 5: nothing to reject");
    }

    @Test
    void theJudgePairsBestWithWorstWhenTheMarginIsWideEnough() {
        List<PairChoice.Sample> samples = List.of(s(0, null, 6.0), s(1, null, 9.0), s(2, null, 3.0), s(3, null, 9.0));
        PairChoice.Pair p = PairChoice.byJudge(samples, 2);
        assertThat(p).isEqualTo(new PairChoice.Pair("text 1", "text 2", 9.0, 3.0, PairSchema.BY_JUDGE, null, null));
        assertThat(PairChoice.byJudge(samples, 6.5).reason()).isEqualTo("margin 6.00 below min_margin 6.50");
        assertThat(PairChoice.byJudge(List.of(s(0, null, 6.0), s(1, null, null)), 1).reason())
                .isEqualTo("fewer than two completions were scored");
    }

    @Test
    void theSearchHalvesOnlySpansWithAJumpAndFindsEachPivotalToken() {
        // p jumps up at token 3 (0.1 -> 0.9) and down at token 12 (0.9 -> 0.5) of 16 tokens
        PivotalSearch search = new PivotalSearch(16, 0.3);
        Map<Integer, Double> truth = new java.util.HashMap<>();
        for (int i = 0; i <= 16; i++) {
            truth.put(i, i <= 3 ? 0.1 : i <= 12 ? 0.9 : 0.5);
        }
        int estimated = 0;
        int rounds = 0;
        while (!search.done()) {
            for (int len : search.needed()) {
                search.estimate(len, truth.get(len));
                estimated++;
            }
            search.advance();
            rounds++;
        }
        assertThat(search.pivots()).containsExactly(new PivotalSearch.Pivot(3, 0.1, 0.9),
                new PivotalSearch.Pivot(12, 0.9, 0.5));
        assertThat(rounds).isEqualTo(5);
        assertThat(estimated).as("binary search, not every prefix").isEqualTo(9);
    }

    @Test
    void badParametersNameTheRecipe() {
        assertThatThrownBy(() -> PivotalTokens.fromParams(Map.of("rollouts", "0"), null))
                .hasMessage("Cannot configure recipe 'pivotal_tokens': rollouts must be >= 1 (0)");
        assertThatThrownBy(() -> PreferencePairs.fromParams(Map.of("by", "vibes"), null))
                .hasMessage("Cannot configure recipe 'preference_pairs': by must be one of auto, correctness, judge (vibes)");
    }
}
