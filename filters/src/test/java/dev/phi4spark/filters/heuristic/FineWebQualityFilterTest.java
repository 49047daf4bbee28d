package dev.phi4spark.filters.heuristic;

import static dev.phi4spark.filters.TestTexts.GOOD_LINES;
import static dev.phi4spark.filters.TestTexts.word;
import static dev.phi4spark.filters.TestTexts.words;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class FineWebQualityFilterTest {
    private final FineWebQualityFilter filter = new FineWebQualityFilter();

    private static String lines(int n, IntFunction<String> line) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(line.apply(i));
        }
        return String.join("\n", out);
    }

    @Test
    void keepsOrdinaryProse() {
        assertThat(filter.apply(GOOD_LINES).kept()).isTrue();
    }

    @Test
    void rejectsPagesWhoseLinesLackPunctuation() {
        assertThat(filter.apply(lines(10, i -> words(10 * i, 10))).reason())
                .isEqualTo("fineweb_line_punct_ratio");
        FineWebQualityFilter excludeZero = new FineWebQualityFilter(0.12, true, 0.67, 30, 0.01, 0.3);
        assertThat(excludeZero.apply(lines(10, i -> words(10 * i, 10))).kept()).isTrue();
    }

    @Test
    void rejectsPagesOfShortLines() {
        assertThat(filter.apply(lines(10, i -> "It is " + word(i) + ".")).reason())
                .isEqualTo("fineweb_short_line_ratio");
    }

    @Test
    void rejectsRepeatedLines() {
        String text = GOOD_LINES + "\nThe history of the city is long and varied, and it is told in many books.";
        assertThat(filter.apply(text).reason()).isEqualTo("fineweb_char_dup_ratio");
    }

    @Test
    void rejectsListLikePages() {
        String list = lines(10, i -> "Antidisestablishmentarianism-floccinaucinihilipilification-" + word(i) + ".");
        assertThat(filter.apply(list).reason()).isEqualTo("fineweb_list_ratio");
    }
}
