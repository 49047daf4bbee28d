package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.col;

import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;

/**
 * A seed passage rewritten into exercises, a discussion, or a structured reasoning task: the Phi-4
 * report's "seed curation and rewrite". Each variant has its template,
 * {@code seed_rewrite_<variant>}.
 */
public final class SeedRewrite extends SingleTurnRecipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "seed_rewrite";
    /** The variants. */
    public static final List<String> VARIANTS = List.of("exercises", "discussion", "reasoning");
    /** The default variant. */
    public static final String DEFAULT_VARIANT = "exercises";
    /** The placeholders its templates must use. */
    public static final Set<String> PLACEHOLDERS = Set.of("passage");

    private final String rewriteVariant;
    private final PromptTemplate template;

    /** The default variant, bundled template. */
    public SeedRewrite() {
        this(DEFAULT_VARIANT, null);
    }

    /**
     * A rewrite recipe.
     *
     * @param variant {@code exercises}, {@code discussion} or {@code reasoning}
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public SeedRewrite(String variant, Path templatesDir) {
        if (!VARIANTS.contains(variant)) {
            throw new IllegalArgumentException("Cannot configure recipe '" + NAME + "': variant must be one of "
                    + String.join(", ", VARIANTS) + " (" + variant + ")");
        }
        this.rewriteVariant = variant;
        this.template = PromptTemplate.load(NAME + "_" + variant, PLACEHOLDERS, templatesDir);
    }

    /** From plan parameters: {@code variant} (default {@value #DEFAULT_VARIANT}). */
    public static SeedRewrite fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        String variant = p.choice("variant", DEFAULT_VARIANT, VARIANTS);
        p.finish();
        return new SeedRewrite(variant, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String variant() {
        return rewriteVariant;
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.PASSAGE;
    }

    @Override
    protected PromptTemplate template() {
        return template;
    }

    @Override
    protected Map<String, Column> values() {
        return Map.of("passage", col(Seeds.SEED_TEXT));
    }

    @Override
    protected String step() {
        return "rewrite";
    }
}
