package dev.phi4spark.datagen.recipe;

import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.stage.GenerationStage;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/**
 * What a recipe run needs besides its seeds.
 *
 * @param stage the model
 * @param sampling the decoding settings, with the run's base seed
 * @param systemPrompt a system message put before every prompt, or null for none
 * @param keepRejected keep rows that failed the recipe's checks (with {@code accepted = false})
 * @param createdAt the run's start, written to {@code created_at}
 * @param runKey the run key (a date, say) hashed into the row ids, or empty for none
 */
public record RecipeContext(GenerationStage stage, SamplingParams sampling, String systemPrompt, boolean keepRejected,
        Instant createdAt, String runKey) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks the required parts. */
    public RecipeContext {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(createdAt, "createdAt");
        runKey = runKey == null ? "" : runKey;
    }

    /** A context without a run key. */
    public RecipeContext(GenerationStage stage, SamplingParams sampling, String systemPrompt, boolean keepRejected,
            Instant createdAt) {
        this(stage, sampling, systemPrompt, keepRejected, createdAt, "");
    }

    /** A context with no system prompt that drops rejected rows, created now. */
    public static RecipeContext of(GenerationStage stage, SamplingParams sampling) {
        return new RecipeContext(stage, sampling, null, false, Instant.now());
    }

    /** The same context keeping or dropping rejected rows. */
    public RecipeContext withKeepRejected(boolean keep) {
        return new RecipeContext(stage, sampling, systemPrompt, keep, createdAt, runKey);
    }

    /** The same context with another creation time. */
    public RecipeContext withCreatedAt(Instant time) {
        return new RecipeContext(stage, sampling, systemPrompt, keepRejected, time, runKey);
    }
}
