package dev.phi4spark.datagen.recipe;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A textbook-like section on a drawn topic, for an audience, in a style, at a difficulty: the Phi-4
 * report's textbook-quality synthetic text. Template {@code textbook_section}.
 */
public final class TextbookSection extends TopicRecipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "textbook_section";
    /** Default length asked for, in words. */
    public static final int DEFAULT_WORDS = 600;
    /** The placeholders its template must use. */
    public static final Set<String> PLACEHOLDERS = new LinkedHashSet<>(
            List.of("subject", "topic", "subtopic", "audience", "style", "difficulty", "words"));

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
        super(NAME, PLACEHOLDERS, "words", words, "section", templatesDir);
    }

    /** From plan parameters: {@code words} (default {@value #DEFAULT_WORDS}). */
    public static TextbookSection fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int words = p.integer("words", DEFAULT_WORDS, 50);
        p.finish();
        return new TextbookSection(words, templatesDir);
    }
}
