package dev.phi4spark.filters.heuristic;

import static dev.phi4spark.filters.TestTexts.GOOD_LINES;
import static dev.phi4spark.filters.TestTexts.repeat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.filters.FilterResult;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GopherQualityFilterTest {
    private final GopherQualityFilter filter = new GopherQualityFilter();

    @Test
    void keepsOrdinaryProse() {
        assertThat(filter.apply(GOOD_LINES)).isEqualTo(FilterResult.keep());
    }

    @Test
    void rejectsShortAndLongDocuments() {
        assertThat(filter.apply("The cat and the dog sat on the mat.").reason())
                .isEqualTo("gopher_short_doc");
        assertThat(filter.apply("").reason()).isEqualTo("gopher_short_doc");
        assertThat(filter.apply(repeat("the house of the river", 20_001, " ")).reason())
                .isEqualTo("gopher_long_doc");
    }

    @Test
    void rejectsMeanWordLengthOutsideBounds() {
        assertThat(filter.apply(repeat("a to of it is an the be", 10, " ")).reason())
                .isEqualTo("gopher_below_avg_threshold");
        assertThat(filter.apply(repeat("the internationalisation of telecommunications", 20, " "))
                .reason()).isEqualTo("gopher_above_avg_threshold");
    }

    @Test
    void rejectsHashesAndEllipses() {
        assertThat(filter.apply(GOOD_LINES
                + " #one #two #three #four #five #six #seven #eight #nine #ten #eleven #twelve").reason()).isEqualTo("gopher_too_many_hashes");
        assertThat(filter.apply(GOOD_LINES
                + " and... so... on... and... so... on... and... so... on... and... so... on...").reason()).isEqualTo("gopher_too_many_ellipsis");
    }

    @Test
    void rejectsBulletAndEllipsisLines() {
        String bullets = "\u2022 " + GOOD_LINES.replace("\n", "\n\u2022 ");
        assertThat(filter.apply(bullets).reason()).isEqualTo("gopher_too_many_bullets");
        String[] lines = GOOD_LINES.split("\n");
        String endEllipsis = lines[0] + "\n" + lines[1] + "...\n" + lines[2] + "\u2026\n" + lines[3];
        assertThat(filter.apply(endEllipsis + " " + lines[4] + " " + lines[5]).reason())
                .isEqualTo("gopher_too_many_end_ellipsis");
    }

    @Test
    void rejectsTooFewAlphabeticWords() {
        String numbers = repeat("1234 5678 9012", 10, " ");
        assertThat(filter.apply(GOOD_LINES + "\n" + numbers).reason())
                .isEqualTo("gopher_below_alpha_threshold");
    }

    @Test
    void rejectsTextWithoutStopWords() {
        String noStopWords = repeat("Quick brown foxes jump over lazy dogs near green hills.", 8, " ");
        assertThat(filter.apply(noStopWords).reason()).isEqualTo("gopher_enough_stop_words");
    }

    @Test
    void thresholdsAreNamedParametersAndZeroDisablesACheck() {
        GopherQualityFilter lenient = new GopherQualityFilter(5, 0, 0, 0, 0, 0, 0, 0, 0, Set.of());
        assertThat(lenient.apply("The cat and the dog sat on the mat.").kept()).isTrue();
        assertThat(lenient.apply("Too few.").reason()).isEqualTo("gopher_short_doc");
    }
}
