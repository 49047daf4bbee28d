package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.lit;

import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;

/**
 * A textbook-like section on a drawn topic, for an audience, in a style, at a difficulty: the Phi-4
 * report's textbook-quality synthetic text. Template {@code textbook_section}.
 */
public final class TextbookSection extends SingleTurnRecipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "textbook_section";
    /** Default length asked for, in words. */
    public static final int DEFAULT_WORDS = 600;
    /** The placeholders its template must use. */
    public static final Set<String> PLACEHOLDERS = new LinkedHashSet<>(
            List.of("subject", "topic", "subtopic", "audience", "style", "difficulty", "words"));

    private final int words;
    private final PromptTemplate template;

    /** Defaults, bundled template. */
    public TextbookSection() {
        this(DEFAULT_WORDS, null);
    }

    /**
     * A section recipe.
     *
     * @param words the length to ask for
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public TextbookSection(int words, Path templatesDir) {
        this.words = words;
        this.template = PromptTemplate.load(NAME, PLACEHOLDERS, templatesDir);
    }

    /** From plan parameters: {@code words} (default {@value #DEFAULT_WORDS}). */
    public static TextbookSection fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int words = p.integer("words", DEFAULT_WORDS, 50);
        p.finish();
        return new TextbookSection(words, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String variant() {
        return "words=" + words;
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
        v.put("words", lit(words));
        return v;
    }

    @Override
    protected String step() {
        return "section";
    }
}
