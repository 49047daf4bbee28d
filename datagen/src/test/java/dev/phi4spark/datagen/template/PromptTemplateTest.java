package dev.phi4spark.datagen.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.datagen.Recipes;
import dev.phi4spark.datagen.recipe.SeedRewrite;
import dev.phi4spark.datagen.recipe.TextbookSection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTemplateTest {

    private static final Set<String> KNOWN = new LinkedHashSet<>(List.of("topic", "audience", "style", "difficulty"));

    @Test
    void unknownPlaceholderFailsAtLoadNamingTemplateAndPlaceholder() {
        assertThatThrownBy(() -> PromptTemplate.parse("textbook_section",
                "On {{topik}} for {{audience}}, {{style}}, {{difficulty}}", KNOWN))
                .isInstanceOf(TemplateException.class)
                .hasMessage("Cannot load template 'textbook_section': unknown placeholder {{topik}}"
                        + " (known: topic, audience, style, difficulty)");
    }

    @Test
    void missingPlaceholderFailsAtLoad() {
        assertThatThrownBy(() -> PromptTemplate.parse("textbook_section", "On {{topic}} for {{audience}} ({{style}})", KNOWN))
                .isInstanceOf(TemplateException.class)
                .hasMessageStartingWith("Cannot load template 'textbook_section': missing placeholder {{difficulty}}");
    }

    @Test
    void malformedAndUnbalancedPlaceholdersFail() {
        assertThatThrownBy(() -> PromptTemplate.parse("t", "{{Topic}}", Set.of("topic")))
                .hasMessageContaining("Cannot load template 't': malformed placeholder {{Topic}}");
        assertThatThrownBy(() -> PromptTemplate.parse("t", "{{topic}} and {{audience", Set.of("topic", "audience")))
                .hasMessageContaining("Cannot load template 't': unbalanced braces");
    }

    @Test
    void missingTemplateNamesTheResource() {
        assertThatThrownBy(() -> PromptTemplate.load("no_such_template", Set.of()))
                .hasMessage("Cannot load template 'no_such_template': no resource templates/no_such_template.txt");
    }

    @Test
    void rendersRepeatedAndSpacedPlaceholders() {
        PromptTemplate t = PromptTemplate.parse("t", "{{ topic }} for {{audience}}; again {{topic}}.",
                new LinkedHashSet<>(List.of("topic", "audience")));
        assertThat(t.placeholders()).containsExactly("topic", "audience");
        assertThat(t.render(Map.of("topic", "Limits", "audience", "high school")))
                .isEqualTo("Limits for high school; again Limits.");
        assertThatThrownBy(() -> t.render(Map.of("topic", "x")))
                .hasMessage("Cannot render template 't': no value for {{audience}}");
    }

    @Test
    void everyBundledTemplateMatchesItsRecipe() {
        for (String name : Recipes.NAMES) {
            assertThat(Recipes.create(name, Map.of(), null).name()).isEqualTo(name);
        }
        for (String variant : SeedRewrite.VARIANTS) {
            assertThat(new SeedRewrite(variant, null).variant()).isEqualTo(variant);
        }
    }

    @Test
    void overrideFolderIsCheckedToo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("textbook_section.txt"), "Write about {{topic}} in {{wordz}} words.");
        assertThatThrownBy(() -> new TextbookSection(300, dir))
                .isInstanceOf(TemplateException.class)
                .hasMessageStartingWith("Cannot load template 'textbook_section': unknown placeholder {{wordz}} (known: ");
    }
}
