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
}
