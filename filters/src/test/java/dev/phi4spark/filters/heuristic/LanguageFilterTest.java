package dev.phi4spark.filters.heuristic;

import static dev.phi4spark.filters.TestTexts.GOOD_LINES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.pemistahl.lingua.api.Language;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LanguageFilterTest {
    // Fewer languages than the defaults keep the test quick; the logic is the same.
    private static final Set<Language> DETECTED =
            Set.of(Language.ENGLISH, Language.FRENCH, Language.GERMAN);
    private final LanguageFilter filter =
            new LanguageFilter(DETECTED, Set.of(Language.ENGLISH), 0.02, 0.6, false, 20);

    private static final String FRENCH = "Le village se trouve au bord de la rivière et les"
            + " habitants aiment se promener le long de l'eau pendant les soirées d'été. Ils parlent"
            + " de leurs familles, de leurs jardins et des fêtes qui réunissent tout le monde sur la"
            + " place principale devant la vieille église du quartier.";

    /** The first {@code n} words of {@code text}, repeated as needed. */
    private static String firstWords(String text, int n) {
        String[] w = text.split("\\s+");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(w[i % w.length]);
        }
        return sb.toString();
    }

    @Test
    void keepsEnglish() {
        assertThat(filter.apply(GOOD_LINES).kept()).isTrue();
        assertThat(filter.detect(GOOD_LINES).language()).isEqualTo(Language.ENGLISH);
    }

    @Test
    void rejectsALanguageThatIsNotAllowed() {
        assertThat(filter.apply(FRENCH).reason()).isEqualTo("language_not_allowed: fr");
    }

    @Test
    void rejectsHalfAndHalfPagesAndTextWithoutLettersForLowConfidence() {
        String mixed = firstWords(GOOD_LINES, 80) + " " + firstWords(FRENCH, 80);
        LanguageFilter.Detection detection = filter.detect(mixed);
        assertThat(detection.share()).isEqualTo(0.5);
        assertThat(detection.confidence()).isLessThan(filter.detect(GOOD_LINES).confidence());
        assertThat(filter.apply(mixed).reason()).isEqualTo("language_low_confidence");
        assertThat(filter.apply("12345 678 90 -- 42").reason()).isEqualTo("language_low_confidence");
        assertThat(filter.apply(null).reason()).isEqualTo("language_low_confidence");
    }

    @Test
    void mostlyEnglishPageIsConfidentEnough() {
        String mostly = firstWords(GOOD_LINES, 120) + " " + firstWords(FRENCH, 40);
        assertThat(filter.detect(mostly).share()).isEqualTo(0.75);
        assertThat(filter.apply(mostly).kept()).isTrue();
    }

    @Test
    void survivesJavaSerialisation() throws Exception {
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(filter);
        }
        LanguageFilter copy;
        try (var in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (LanguageFilter) in.readObject();
        }
        assertThat(copy.apply(FRENCH).reason()).isEqualTo("language_not_allowed: fr");
    }

    @Test
    void explainsABadConfiguration() {
        assertThatThrownBy(() -> new LanguageFilter(DETECTED, Set.of(Language.SPANISH), 0.02, 0.6, true, 20))
                .hasMessage("Cannot create language filter: the allowed languages must be a non-empty"
                        + " subset of the detected ones ([SPANISH])");
    }
}
