package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class AnswerExtractorTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "So x = 4.\\nFinal answer: 42|42",
        "**Final answer:** 3.50|3.5",
        "Final Answer: $\\frac{1}{2}$.|1/2",
        "We get \\boxed{1,000} in the end|1000",
        "First \\boxed{2} then corrected: \\boxed{\\frac{3}{4}}|3/4",
        "The answer is 7 apples.|7",
        "Answer: Paris|paris",
        "Answer = x^2 + 1|x^2+1",
        "To answer this we add 3 and 4 to get 7, then double: 14|14",
        "The final answer is -0.50|-0.5",
        "Final answer: \\boxed{\\text{B}}|b",
        "Final answer: +12.0|12",
    })
    void extractsAndNormalises(String text, String expected) {
        assertThat(AnswerExtractor.extract(text.replace("\\n", "\n"))).isEqualTo(expected);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  ", "I am not sure how to approach this.", "\\boxed{  }"})
    void noAnswerIsNull(String text) {
        assertThat(AnswerExtractor.extract(text)).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"1,000|1000", "007|7", "0.0|0", "$5$|5", " 12 . |12", "X = 3|x=3"})
    void equalAnswersNormaliseEqually(String raw, String expected) {
        assertThat(AnswerExtractor.normalise(raw)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "3/4|3/4",
        "\\frac{3}{4}|3/4",
        "$1,000$|1000",
        "Paris.|paris",
        "Half of 8 is 4, plus 3.\\n#### 7|7",
        "so x = 2 and the sum is \\boxed{12}, from 7 + 5|12",
        "We get 3 and 4. Final answer: 12|12",
    })
    void aReferenceIsTheBareAnswerOrTheAnswerItsSolutionMarks(String text, String expected) {
        assertThat(AnswerExtractor.reference(text.replace("\\n", "\n"))).isEqualTo(expected);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  ", "####  "})
    void aBlankReferenceIsNull(String text) {
        assertThat(AnswerExtractor.reference(text)).isNull();
    }
}
