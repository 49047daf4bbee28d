package dev.phi4spark.filters.heuristic;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.pemistahl.lingua.api.Language;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of the default {@link LanguageFilter} (all Lingua languages) on texts built from
 * {@code language/sentences.tsv}: five sentences written for this test in each of 26 languages.
 * Short texts are one sentence or two (6 to 35 words); long texts are all five sentences, and
 * all five twice over in another order.
 */
class LanguageAccuracyTest {
    private static final Map<Language, List<String>> SENTENCES = new LinkedHashMap<>();
    private final LanguageFilter filter = new LanguageFilter();

    private record Sample(Language language, String text) {}

    @BeforeAll
    static void readSentences() throws IOException {
        try (InputStream in = LanguageAccuracyTest.class.getResourceAsStream("/language/sentences.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t");
                SENTENCES.computeIfAbsent(Language.valueOf(parts[0]), k -> new ArrayList<>()).add(parts[1]);
            }
        }
    }

    @Test
    void coversMoreThanTwentyLanguages() {
        assertThat(SENTENCES).hasSizeGreaterThanOrEqualTo(20).allSatisfy((language, s) -> assertThat(s).hasSize(5));
    }

    @Test
    void detectsShortTextsWith99PercentAccuracy() {
        List<Sample> samples = new ArrayList<>();
        SENTENCES.forEach((language, s) -> {
            for (int i = 0; i < s.size(); i++) {
                samples.add(new Sample(language, s.get(i)));
                samples.add(new Sample(language, s.get(i) + " " + s.get((i + 1) % s.size())));
            }
        });
        assertAccuracy(samples, 0.99);
    }

    @Test
    void detectsLongTextsWith99PercentAccuracy() {
        List<Sample> samples = new ArrayList<>();
        SENTENCES.forEach((language, s) -> {
            samples.add(new Sample(language, String.join(" ", s)));
            List<String> twice = new ArrayList<>(s);
            List<String> reversed = new ArrayList<>(s);
            java.util.Collections.reverse(reversed);
            twice.addAll(reversed);
            samples.add(new Sample(language, String.join(" ", twice)));
        });
        assertAccuracy(samples, 0.99);
    }

    @Test
    void rejectsOtherLanguagesAsNotAllowedWithTheirCode() {
        assertThat(filter.apply(SENTENCES.get(Language.DUTCH).get(0)).reason())
                .isEqualTo("language_not_allowed: nl");
        assertThat(filter.apply(SENTENCES.get(Language.JAPANESE).get(0)).reason())
                .isEqualTo("language_not_allowed: ja");
        assertThat(filter.apply(SENTENCES.get(Language.ENGLISH).get(0)).kept()).isTrue();
        assertThat(filter.apply("4 8 15 16 23 42 -- ** ##").reason()).isEqualTo("language_low_confidence");
    }

    private void assertAccuracy(List<Sample> samples, double atLeast) {
        List<String> wrong = new ArrayList<>();
        for (Sample s : samples) {
            LanguageFilter.Detection d = filter.detect(s.text());
            if (d.language() != s.language()) {
                wrong.add(s.language() + " -> " + d.language() + ": " + s.text());
            }
        }
        double accuracy = 1.0 - (double) wrong.size() / samples.size();
        assertThat(accuracy).as("accuracy on %d texts; wrong: %s", samples.size(), wrong)
                .isGreaterThanOrEqualTo(atLeast);
    }
}
