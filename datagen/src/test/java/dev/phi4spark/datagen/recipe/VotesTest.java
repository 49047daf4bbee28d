package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VotesTest {

    @Test
    void majorityAndAgreementOverAllSamples() {
        Votes.Tally t = Votes.tally(List.of("4", "4", "5", "4", "6"));
        assertThat(t.majority()).isEqualTo("4");
        assertThat(t.agreement()).isEqualTo(0.6);
    }

    @Test
    void samplesWithoutAnswerCountButNeverWin() {
        Votes.Tally t = Votes.tally(Arrays.asList(null, null, null, "7", "7"));
        assertThat(t.majority()).isEqualTo("7");
        assertThat(t.agreement()).isEqualTo(0.4);
        assertThat(Votes.tally(Arrays.asList(null, null)).majority()).isNull();
        assertThat(Votes.tally(List.of()).agreement()).isZero();
    }

    @Test
    void tieGoesToTheAnswerSeenFirst() {
        assertThat(Votes.tally(List.of("b", "a", "a", "b")).majority()).isEqualTo("b");
    }

    @Test
    void keepRuleRejectsTooEasyAndTooHard() {
        MajorityVoteQA recipe = new MajorityVoteQA(5, 0.4, 0.8, null);
        assertThat(recipe.keeps(Votes.tally(List.of("1", "1", "1", "1", "1")))).as("all agree").isFalse();
        assertThat(recipe.keeps(Votes.tally(List.of("1", "1", "1", "1", "2")))).as("4 of 5").isTrue();
        assertThat(recipe.keeps(Votes.tally(List.of("1", "1", "2", "3", "4")))).as("2 of 5").isTrue();
        assertThat(recipe.keeps(Votes.tally(List.of("1", "2", "3", "4", "5")))).as("none agree").isFalse();
        assertThat(recipe.keeps(Votes.tally(Arrays.asList(null, null, null, null, null)))).isFalse();
    }

    @Test
    void badBoundsAreRefused() {
        assertThatThrownBy(() -> new MajorityVoteQA(5, 0.9, 0.5, null))
                .hasMessage("Cannot configure recipe 'majority_vote_qa': need 0 <= low <= high <= 1 (low 0.9, high 0.5)");
        assertThatThrownBy(() -> MajorityVoteQA.fromParams(java.util.Map.of("k", "1"), null))
                .hasMessage("Cannot configure recipe 'majority_vote_qa': k must be >= 2 (1)");
    }
}
