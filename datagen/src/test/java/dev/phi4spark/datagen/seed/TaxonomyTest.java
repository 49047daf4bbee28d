package dev.phi4spark.datagen.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaxonomyTest {

    @Test
    void bundledTaxonomyCoversTheAreasAndAxes() {
        Taxonomy t = Taxonomy.bundled();
        assertThat(t.subjects()).hasSizeGreaterThanOrEqualTo(12);
        assertThat(t.subjects().stream().map(Taxonomy.Subject::area).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("math", "science", "code", "humanities", "everyday");
        assertThat(t.subjects()).allSatisfy(s -> {
            assertThat(s.topics()).hasSizeBetween(8, 12);
            assertThat(s.topics()).allSatisfy(topic -> assertThat(topic.subtopics()).hasSizeGreaterThanOrEqualTo(2));
        });
        assertThat(t.audiences()).containsExactly("middle school", "high school", "undergraduate", "professional");
        assertThat(t.styles()).contains("textbook section", "worked example", "exercise set", "Socratic dialogue", "Q&A");
        assertThat(t.difficulties()).isNotEmpty();
    }

    @Test
    void bundledCopyIsTheConfFile() throws Exception {
        Path conf = Path.of("..", "conf", "taxonomy.yaml");
        try (var in = Taxonomy.class.getClassLoader().getResourceAsStream(Taxonomy.RESOURCE)) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .as("datagen/src/main/resources/%s must be a copy of conf/taxonomy.yaml", Taxonomy.RESOURCE)
                    .isEqualTo(Files.readString(conf));
        }
        assertThat(Taxonomy.load(conf)).isEqualTo(Taxonomy.bundled());
    }

    @Test
    void invalidTaxonomiesFailWithTheReason(@TempDir Path dir) throws Exception {
        Path dup = dir.resolve("dup.yaml");
        Files.writeString(dup, """
                audiences: [a]
                styles: [s]
                difficulties: [d]
                subjects:
                  - {name: X, area: math, topics: [{name: T}, {name: T}]}
                """);
        assertThatThrownBy(() -> Taxonomy.load(dup)).hasMessageContaining("duplicate topic in X (T)");
        Path noStyles = dir.resolve("nostyles.yaml");
        Files.writeString(noStyles, "audiences: [a]\ndifficulties: [d]\nsubjects: [{name: X, topics: [{name: T}]}]\n");
        assertThatThrownBy(() -> Taxonomy.load(noStyles)).hasMessageContaining("styles must not be empty");
    }

    @Test
    void topicsWithoutSubtopicsAreLeaves() {
        Taxonomy t = small();
        assertThat(t.leaves()).containsExactly(
                new Taxonomy.Leaf("S", "T1", "a"), new Taxonomy.Leaf("S", "T1", "b"), new Taxonomy.Leaf("S", "T2", null));
        assertThat(t.restrictSubjects(Set.of("math")).subjects()).hasSize(1);
    }

    static Taxonomy small() {
        return new Taxonomy(
                java.util.List.of(new Taxonomy.Subject("S", "math", java.util.List.of(
                        new Taxonomy.Topic("T1", java.util.List.of("a", "b")), new Taxonomy.Topic("T2", null)))),
                java.util.List.of("kids", "adults"), java.util.List.of("dialogue"), java.util.List.of("easy", "hard"));
    }
}
