package dev.phi4spark.filters.heuristic;

import static dev.phi4spark.filters.TestTexts.GOOD_LINES;
import static dev.phi4spark.filters.TestTexts.words;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GopherRepetitionFilterTest {
    private final GopherRepetitionFilter filter = new GopherRepetitionFilter();

    private static String sentences(int from, int count, String separator) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(words(from + 10 * i, 10) + ".");
        }
        return String.join(separator, out);
    }

    @Test
    void keepsOrdinaryProse() {
        assertThat(filter.apply(GOOD_LINES).kept()).isTrue();
        assertThat(filter.apply(sentences(0, 30, "\n\n"))).isEqualTo(dev.phi4spark.filters.FilterResult.keep());
    }

    @Test
    void rejectsDuplicateParagraphs() {
        String a = words(0, 12) + ".";
        String text = String.join("\n\n", a, a, a, words(100, 12) + ".");
        assertThat(filter.apply(text).reason()).isEqualTo("gopher_repetition_dup_para_frac");
    }

    @Test
    void rejectsDuplicateParagraphCharacters() {
        String big = words(500, 80) + ".";
        String text = big + "\n\n" + big + "\n\n" + sentences(0, 8, "\n\n");
        assertThat(filter.apply(text).reason()).isEqualTo("gopher_repetition_dup_para_char_frac");
    }

    @Test
    void rejectsDuplicateLines() {
        String a = words(0, 12) + ".";
        String text = String.join("\n", a, a, a, words(100, 12) + ".");
        assertThat(filter.apply(text).reason()).isEqualTo("gopher_repetition_dup_line_frac");
        String big = words(500, 80) + ".";
        String charHeavy = big + "\n" + big + "\n" + sentences(0, 8, "\n");
        assertThat(filter.apply(charHeavy).reason()).isEqualTo("gopher_repetition_dup_line_char_frac");
    }

    @Test
    void rejectsATopBigramThatCoversTooMuchText() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            parts.add("the cat " + words(i, 1) + ".");
        }
        assertThat(filter.apply(String.join(" ", parts)).reason())
                .isEqualTo("gopher_repetition_top_2_gram");
    }

    @Test
    void rejectsDuplicatedFiveGrams() {
        String phrase = words(1000, 40);
        String text = words(0, 50) + " " + phrase + " " + words(50, 50) + " " + phrase + ".";
        assertThat(filter.apply(text).reason()).isEqualTo("gopher_repetition_duplicated_5_n_grams");
    }

    @Test
    void countsOverlappingDuplicateNGramsOnce() {
        List<String> w = List.of("a", "b", "a", "b", "a", "b");
        // "a b" seen, "b a" seen, then "a b" repeats (3 chars) and the scan skips to index 4: "a b".
        assertThat(GopherRepetitionFilter.duplicatedNGramChars(w, 2)).isEqualTo(6);
    }

    @Test
    void hashedNGramsCountLikeStringNGrams() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        String[] vocabulary = {"the", "cat", "sat", "on", "a", "mat", ".", "Aa", "BB", "and", "dog"};
        for (int doc = 0; doc < 200; doc++) {
            java.util.List<String> words = new java.util.ArrayList<>();
            for (int i = 0, n = 5 + random.nextInt(300); i < n; i++) {
                words.add(vocabulary[random.nextInt(vocabulary.length)]);
            }
            for (int n = 2; n <= 10; n++) {
                assertThat(GopherRepetitionFilter.topNGramChars(words, n))
                        .isEqualTo(GopherRepetitionFilter.topNGramCharsByString(words, n));
                assertThat(GopherRepetitionFilter.duplicatedNGramChars(words, n))
                        .isEqualTo(GopherRepetitionFilter.duplicatedNGramCharsByString(words, n));
            }
        }
    }
}
