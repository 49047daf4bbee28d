package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {

    @Test
    void sortsByLengthAndKeepsBatchesUnderTheBudgetAndRowCap() {
        int[] lengths = {50, 10, 40, 10, 30, 20, 500};
        List<int[]> batches = BatchPlanner.plan(lengths, 10, 100, 3);
        assertThat(batches.stream().map(Arrays::toString).toList())
                .containsExactly("[1, 3, 5]", "[4, 2]", "[0]", "[6]");
        for (int[] b : batches) {
            int longest = Arrays.stream(b).map(i -> lengths[i]).max().orElseThrow();
            assertThat(b.length == 1 || b.length * (longest + 10) <= 100).isTrue();
        }
        assertThat(BatchPlanner.plan(new int[0], 0, 10, 1)).isEmpty();
        assertThatThrownBy(() -> BatchPlanner.plan(lengths, 0, 0, 1))
                .hasMessage("Cannot plan batches: maxBatchTokens and maxBatchRows must be > 0 (0, 1)");
    }

    @Test
    void continuousSlotsKeepEverySlotSizedForTheLongestRowUnderTheBudget() {
        Phi4Transformer.Batching batching = new Phi4Transformer.Batching(1000, 32);
        // The longest row needs 50 + 100 columns: 6 slots of 150 fit in 1000 tokens.
        org.assertj.core.api.Assertions.assertThat(batching.slots(new int[] {10, 50, 20}, 100)).isEqualTo(6);
        // The row cap wins when rows are short; one slot is the floor when a row alone exceeds the budget.
        org.assertj.core.api.Assertions.assertThat(batching.slots(new int[] {1, 2}, 3)).isEqualTo(32);
        org.assertj.core.api.Assertions.assertThat(batching.slots(new int[] {5000}, 100)).isEqualTo(1);
    }
}
