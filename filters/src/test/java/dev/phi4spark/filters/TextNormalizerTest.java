package dev.phi4spark.filters;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextNormalizerTest {

    @Test
    void lowercasesStripsPunctuationAndCollapsesWhitespace() {
        assertThat(TextNormalizer.normalize("  Hello,   WORLD!\n\tIt's  end.Start — ok?  "))
                .isEqualTo("hello world it s end start ok");
        assertThat(TextNormalizer.normalize(null)).isEmpty();
        assertThat(TextNormalizer.words("A (b) c...")).isEqualTo(List.of("a", "b", "c"));
    }

    @Test
    void wordHashesAreTheHashesOfTheNormalisedWords() {
        String[] texts = {"  Hello,   WORLD!\n\tIt's  end.Start — ok?  ", "A (b) c...", "", "...", "Ünïcödé ΣΊΣΥΦΟΣ 𝔘𝔫 x",
            "tab\tseparated\u00A0nbsp\u2003em-space", "trailing word"};
        for (String text : texts) {
            long[] expected = TextNormalizer.words(text).stream().mapToLong(TextNormalizer::wordHash).toArray();
            assertThat(TextNormalizer.wordHashes(text)).as(text).containsExactly(expected);
        }
        assertThat(TextNormalizer.wordHashes(null)).isEmpty();
        assertThat(TextNormalizer.wordHash("word")).isNotEqualTo(TextNormalizer.wordHash("words"));
    }
}
