package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one decoding policy: budgets, stop tokens, stop strings and the results they give. */
class DecodingPolicyTest {

    /** Id {@code i} decodes to the letter {@code 'a' + i}. */
    private static final TokenDecoder LETTERS = ids -> {
        StringBuilder s = new StringBuilder();
        for (long id : ids) {
            s.append((char) ('a' + id));
        }
        return s.toString();
    };

    private static final DecodingPolicy POLICY = new DecodingPolicy(Set.of(25L), LETTERS);

    private static DecodingPolicy.Row row(SamplingParams params, int context) {
        return POLICY.row(7, new GenerationRequest(new long[] {1, 2, 3}, params), context);
    }

    @Test
    void theBudgetIsMaxNewTokensCutToTheRoomLeftInTheContext() {
        assertThat(row(SamplingParams.greedy(5), 100).budget).isEqualTo(5);
        assertThat(row(SamplingParams.greedy(5), 6).budget).isEqualTo(3);
        DecodingPolicy.Row full = row(SamplingParams.greedy(5), 3);
        GenerationResult none = POLICY.before(full);
        assertThat(none.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(none.tokenIds()).isEmpty();
        assertThat(POLICY.before(row(SamplingParams.greedy(5), 4))).isNull();
    }

    @Test
    void aRowEndsWithLengthWhenItsBudgetIsSpent() {
        DecodingPolicy.Row r = row(SamplingParams.greedy(2), 100);
        assertThat(POLICY.accept(r, 0)).isNull();
        GenerationResult done = POLICY.accept(r, 1);
        assertThat(done.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(done.tokenIds()).containsExactly(0, 1);
        assertThat(done.text()).isEqualTo("ab");
        assertThat(done.promptTokens()).isEqualTo(3);
        assertThat(done.completionTokens()).isEqualTo(2);
    }

    @Test
    void aStopTokenEndsTheRowAndIsLeftOutOfTheText() {
        DecodingPolicy.Row r = row(SamplingParams.greedy(10), 100);
        assertThat(POLICY.accept(r, 2)).isNull();
        GenerationResult done = POLICY.accept(r, 25);
        assertThat(done.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(done.tokenIds()).containsExactly(2, 25);
        assertThat(done.text()).isEqualTo("c");
    }

    @Test
    void theEarliestStopStringCutsTheText() {
        DecodingPolicy.Row r = row(SamplingParams.greedy(10).withStopStrings(List.of("de", "cd")), 100);
        assertThat(POLICY.accept(r, 0)).isNull();
        assertThat(POLICY.accept(r, 2)).isNull();
        assertThat(POLICY.accept(r, 3)).satisfies(done -> {
            assertThat(done.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(done.text()).isEqualTo("a");
            assertThat(done.tokenIds()).containsExactly(0, 2, 3);
        });
    }

    @Test
    void aNonFiniteStepFailsTheRow() {
        GenerationResult failed = POLICY.accept(row(SamplingParams.greedy(10), 100), Sampler.NON_FINITE);
        assertThat(failed.finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(failed.error()).isEqualTo(Sampler.NON_FINITE_ERROR);
        assertThat(failed.promptTokens()).isEqualTo(3);
    }
}
