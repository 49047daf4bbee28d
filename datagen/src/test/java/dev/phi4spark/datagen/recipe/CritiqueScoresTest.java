package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class CritiqueScoresTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Good overall.\\nScore: 7/10|7.0",
        "**Score:** 8 / 10|8.0",
        "Final score = 6 out of 10|6.0",
        "Rating: 4/5|8.0",
        "grade: 7.5/10|7.5",
        "SCORE: 9|9.0",
        "Clarity score: 5/10\\nCorrectness score: 9/10\\nScore: 6/10|6.0",
        "Score: 0/10|0.0",
    })
    void readsTheLastScoreScaledToTen(String critique, double expected) {
        assertThat(CritiqueScores.parse(critique.replace("\\n", "\n"))).isEqualTo(expected);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"The draft is fine but verbose.", "I would give it a 7/10 maybe", "Score: 12/10",
        "Score: nine"})
    void missingOrImpossibleScoreIsNull(String critique) {
        assertThat(CritiqueScores.parse(critique)).isNull();
    }
}
