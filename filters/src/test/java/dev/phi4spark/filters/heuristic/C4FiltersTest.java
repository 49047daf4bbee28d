package dev.phi4spark.filters.heuristic;

import static dev.phi4spark.filters.TestTexts.GOOD_LINES;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.filters.CleanedText;
import java.util.Map;
import org.junit.jupiter.api.Test;

class C4FiltersTest {
    private final C4QualityFilter filter = new C4QualityFilter();
    private final C4LineCleaner cleaner = new C4LineCleaner();

    @Test
    void keepsAPageOfProperSentences() {
        assertThat(filter.apply(GOOD_LINES).kept()).isTrue();
    }

    @Test
    void rejectsLoremIpsumAndCurlyBracketPages() {
        assertThat(filter.apply(GOOD_LINES + "\nLorem ipsum dolor sit amet, consectetur.").reason())
                .isEqualTo("c4_lorem_ipsum");
        assertThat(filter.apply(GOOD_LINES + "\nThe function returns {x} to the caller.").reason())
                .isEqualTo("c4_curly_bracket");
    }

    @Test
    void curlyBracketOnALineThatIsDroppedAnywayDoesNotCondemnThePage() {
        assertThat(filter.apply(GOOD_LINES + "\nfunction f() { return 1; }").kept()).isTrue();
    }

    @Test
    void rejectsPagesWithTooFewSentences() {
        String menu = "Home | About | Contact\nThe shop is open every day.\nWe sell fresh bread.";
        assertThat(filter.apply(menu).reason()).isEqualTo("c4_too_few_sentences");
    }

    @Test
    void cleanerDropsFailingLinesAndCountsThem() {
        String page = String.join("\n",
                "Navigation menu",
                "Please enable JavaScript to view the comments.",
                "Read our privacy policy for the details.",
                "Too short.",
                "The river flooded the valley in 1912.[1]",
                "  The bridge was rebuilt two years later.  ");
        CleanedText cleaned = cleaner.clean(page);
        assertThat(cleaned.text()).isEqualTo(
                "The river flooded the valley in 1912.\nThe bridge was rebuilt two years later.");
        assertThat(cleaned.counts()).isEqualTo(Map.of(
                "no_terminal_punct", 1, "javascript", 1, "policy", 1, "too_few_words", 1));
    }

    @Test
    void cleanerThenFilterMatchesTheReferenceOneStepBehaviour() {
        String page = GOOD_LINES + "\nThis site uses cookies to improve your experience.";
        CleanedText cleaned = cleaner.clean(page);
        assertThat(cleaned.text()).isEqualTo(GOOD_LINES);
        assertThat(filter.apply(cleaned.text()).kept()).isTrue();
        CleanedText lorem = cleaner.clean(GOOD_LINES + "\nLorem ipsum dolor sit amet, consectetur.");
        assertThat(filter.apply(lorem.text()).reason()).isEqualTo("c4_lorem_ipsum");
    }

    @Test
    void countsSentencesInsideALine() {
        assertThat(C4Rules.countSentences("One. Two! Three? Four.")).isEqualTo(4);
        assertThat(C4Rules.countSentences("Version 1.2 is out.")).isEqualTo(1);
    }
}
