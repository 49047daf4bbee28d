package dev.phi4spark.datagen.seed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.seed.DiversitySampler.Axis;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DiversitySamplerTest {

    private static final List<Axis> ALL = List.of(Axis.values());

    @Test
    void sameConfigurationGivesTheSameCombinations() {
        Taxonomy t = Taxonomy.bundled();
        List<TopicCombination> a = DiversitySampler.draw(t, 200, 42, ALL);
        assertThat(DiversitySampler.draw(t, 200, 42, ALL)).isEqualTo(a);
        assertThat(DiversitySampler.draw(t, 200, 43, ALL)).isNotEqualTo(a);
        // a longer draw starts with the shorter one: counts can grow without reshuffling what was drawn
        assertThat(DiversitySampler.draw(t, 300, 42, ALL).subList(0, 200)).isEqualTo(a);
    }

    @Test
    void drawsWithoutReplacementThenStartsAnotherPass() {
        Taxonomy t = TaxonomyTest.small();
        int space = 3 * 2 * 1 * 2;
        List<TopicCombination> draw = DiversitySampler.draw(t, space + 5, 7, ALL);
        List<TopicCombination> firstPass = draw.subList(0, space);
        assertThat(new HashSet<>(firstPass)).hasSize(space);
        assertThat(firstPass).allSatisfy(c -> assertThat(c.replica()).isZero());
        assertThat(draw.subList(space, space + 5)).allSatisfy(c -> assertThat(c.replica()).isEqualTo(1));
        assertThat(draw.stream().map(TopicCombination::seedId).distinct()).hasSize(space + 5);
    }

    @Test
    void drawUnusedSkipsUsedCombinationsAndNeverRepeats() {
        Taxonomy t = TaxonomyTest.small();
        long space = DiversitySampler.space(t, ALL);
        assertThat(space).isEqualTo(3 * 2 * 1 * 2);
        List<TopicCombination> day1 = DiversitySampler.drawUnused(t, 5, 11, ALL, java.util.Set.of());
        assertThat(day1).as("no used combinations: the plain draw").isEqualTo(DiversitySampler.draw(t, 5, 11, ALL));
        java.util.Set<String> used = new HashSet<>();
        day1.forEach(c -> used.add(c.seedId()));
        List<TopicCombination> day2 = DiversitySampler.drawUnused(t, 100, 12, ALL, used);
        assertThat(day2).as("all that is left, once each").hasSize((int) space - 5)
                .allSatisfy(c -> assertThat(c.replica()).isZero())
                .noneMatch(c -> used.contains(c.seedId()));
        assertThat(new HashSet<>(day2)).hasSize(day2.size());
        assertThat(DiversitySampler.drawUnused(t, 4, 12, ALL, used)).isEqualTo(day2.subList(0, 4));
    }

    @Test
    void unusedAxesAreNull() {
        List<TopicCombination> draw = DiversitySampler.draw(TaxonomyTest.small(), 6, 1, List.of(Axis.AUDIENCE));
        assertThat(draw).allSatisfy(c -> {
            assertThat(c.style()).isNull();
            assertThat(c.difficulty()).isNull();
            assertThat(c.audience()).isNotNull();
        });
        assertThat(new HashSet<>(draw)).hasSize(6);
    }

    @Test
    void sparseShuffleGivesDistinctIndicesInRange() {
        long[] idx = DiversitySampler.distinctIndices(new SplittableRandom(3), 1_000_000_000L, 1000);
        assertThat(java.util.Arrays.stream(idx).distinct().count()).isEqualTo(1000);
        assertThat(java.util.Arrays.stream(idx).allMatch(i -> i >= 0 && i < 1_000_000_000L)).isTrue();
        long[] all = DiversitySampler.distinctIndices(new SplittableRandom(3), 10, 10);
        assertThat(java.util.Arrays.stream(all).sorted().toArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }
}
