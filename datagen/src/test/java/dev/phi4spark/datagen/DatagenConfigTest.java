package dev.phi4spark.datagen;

import dev.phi4spark.udf.engine.SamplingParams;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.datagen.seed.SeedSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatagenConfigTest {

    @Test
    void examplePlanParsesAndValidates() {
        DatagenConfig config = DatagenConfig.fromYaml(Path.of("..", "conf", "datagen", "plan.example.yaml"));
        assertThat(config.recipes()).extracting(RecipePlan::recipe).containsExactly("textbook_section",
                "exercises_with_solutions", "self_revision", "seed_rewrite", "majority_vote_qa", "instruction_reversal",
                "preference_pairs", "pivotal_tokens");
        assertThat(config.recipes().get(0).params()).containsEntry("words", "600");
        assertThat(config.recipes().get(3).source().judge()).isTrue();
        assertThat(config.recipes().get(4).source().format()).isEqualTo("json");
        // The plan names its taxonomy from the repository root, where commands run; this test runs in datagen/.
        assertThat(config.taxonomy()).isEqualTo("conf/taxonomy.yaml");
        assertThat(Datagen.validate(config.withTaxonomy("../conf/taxonomy.yaml"))).hasSize(8);
    }

    @Test
    void samplingLayersRecipeOverPlanOverDefaults() {
        DatagenConfig config = DatagenConfig.parseYaml("""
                seed: 9
                sampling: {temperature: 0.5, max_new_tokens: 100}
                recipes:
                  - {recipe: textbook_section, count: 1, sampling: {max_new_tokens: 50}}
                  - {recipe: textbook_section, count: 1, seed: 3}
                """);
        SamplingParams first = config.samplingFor(config.recipes().get(0));
        assertThat(first).isEqualTo(new SamplingParams(0.5, 0, 0.95, 1.0, 50, 9, List.of()));
        assertThatThrownBy(() -> DatagenConfig.parseYaml("sampling: {temprature: 0.5}\nrecipes: []"))
                .hasMessageContaining("Cannot use sampling key 'temprature': expected one of [temperature, top_k,");
        assertThatThrownBy(() -> DatagenConfig.parseYaml("recipes: [{recipe: textbook_section, count: 1, sampling: {stop: 3}}]"))
                .hasMessageContaining("Cannot use sampling key 'stop': expected a list of strings (3).");
        assertThatThrownBy(() -> DatagenConfig.parseYaml("sampling: {max_new_tokens: 2.5}\nrecipes: []"))
                .hasMessageContaining("Cannot use sampling key 'max_new_tokens': expected an integer (2.5).");
        assertThat(config.samplingFor(config.recipes().get(1)).seed()).isEqualTo(3);
    }

    @Test
    void mistakesAreReportedByName() {
        assertThatThrownBy(() -> DatagenConfig.parseYaml("recipes: [{recipe: textbook_section, count: 1}]\nseeed: 1\n"))
                .hasMessageContaining("Cannot read datagen config").hasMessageContaining("seeed");
        assertThatThrownBy(() -> DatagenConfig.parseYaml("recipes: [{recipe: textbook_section}]"))
                .hasMessageContaining("Cannot read datagen config").hasMessageContaining("'count'");
        assertThatThrownBy(() -> Datagen.validate(DatagenConfig.of(1, List.of(RecipePlan.of("textbook", 1)))))
                .hasMessageStartingWith("Cannot plan recipe: unknown recipe 'textbook' (known: textbook_section, ");
        assertThatThrownBy(() -> Datagen.validate(DatagenConfig.of(1,
                List.of(RecipePlan.of("textbook_section", 1).withParams(Map.of("wordz", "5"))))))
                .hasMessage("Cannot configure recipe 'textbook_section': unknown parameter 'wordz' (known: words)");
        assertThatThrownBy(() -> Datagen.validate(DatagenConfig.of(1, List.of(RecipePlan.of("seed_rewrite", 1)))))
                .hasMessage("Cannot plan recipe 'seed_rewrite': it reads passage seeds, so it needs a source (null)");
        assertThatThrownBy(() -> Datagen.validate(DatagenConfig.of(1, List.of(RecipePlan.of("majority_vote_qa", 1)
                .withSource(SeedSource.input("x").withAnswerColumn("solution"))))))
                .hasMessage("Cannot plan recipe 'majority_vote_qa': it does not check reference answers, only"
                        + " preference_pairs and pivotal_tokens read answer_column (solution)");
        assertThat(DatagenConfig.parseYaml("recipes: [{recipe: preference_pairs, count: 1, source: {input: x,"
                + " answer_column: solution}}]").recipes().get(0).source().answerColumn()).isEqualTo("solution");
        assertThatThrownBy(() -> Datagen.validate(DatagenConfig.of(1,
                List.of(RecipePlan.of("textbook_section", 1).withSource(SeedSource.input("x"))))))
                .hasMessageStartingWith("Cannot plan recipe 'textbook_section': it draws topics from the taxonomy");
        assertThatThrownBy(() -> DatagenConfig.parseYaml("recipes: [{recipe: seed_rewrite, count: 1, params: {variant: poem}}]")
                .recipes().forEach(p -> Recipes.create(p.recipe(), p.params(), null)))
                .hasMessage("Cannot configure recipe 'seed_rewrite': variant must be one of exercises, discussion,"
                        + " reasoning (poem)");
    }

    @Test
    void badSamplingFailsBeforeSpark() {
        DatagenConfig config = DatagenConfig.parseYaml("sampling: {top_p: 2}\nrecipes: [{recipe: textbook_section, count: 1}]");
        assertThatThrownBy(() -> Datagen.validate(config))
                .hasMessage("Cannot use sampling parameters: top_p must be in (0, 1] (2.0)");
    }
}
