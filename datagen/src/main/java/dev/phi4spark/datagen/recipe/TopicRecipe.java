package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.lit;

import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;

/**
 * A one-call recipe over drawn topics whose template takes the topic columns and one integer setting
 * (a section's length in words, the number of exercises), which also names the variant.
 */
abstract class TopicRecipe extends SingleTurnRecipe {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final String setting;
    private final int value;
    private final String step;
    private final PromptTemplate template;

    /**
     * @param name the recipe's and its template's name
     * @param placeholders the placeholders its template must use
     * @param setting the integer setting's placeholder and plan parameter name
     * @param value the setting's value
     * @param step the step's name
     * @param templatesDir folder overriding the bundled templates, or null
     */
    TopicRecipe(String name, Set<String> placeholders, String setting, int value, String step, Path templatesDir) {
        this.name = name;
        this.setting = setting;
        this.value = value;
        this.step = step;
        this.template = PromptTemplate.load(name, placeholders, templatesDir);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String variant() {
        return setting + "=" + value;
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.TOPIC;
    }

    @Override
    protected PromptTemplate template() {
        return template;
    }

    @Override
    protected Map<String, Column> values() {
        Map<String, Column> v = new HashMap<>(RecipeSteps.topicColumns());
        v.put(setting, lit(value));
        return v;
    }

    @Override
    protected String step() {
        return step;
    }
}
