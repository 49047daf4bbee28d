package dev.phi4spark.datagen;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.List;

/**
 * Sampling settings as written in a plan: every key optional, so a recipe's block overrides only what
 * it names. There is no seed here: the plan's {@code seed} (or a recipe's own) is the one seed knob.
 *
 * @param temperature see {@link SamplingSpec#temperature()}
 * @param topK see {@link SamplingSpec#topK()}
 * @param topP see {@link SamplingSpec#topP()}
 * @param repetitionPenalty see {@link SamplingSpec#repetitionPenalty()}
 * @param maxNewTokens see {@link SamplingSpec#maxNewTokens()}
 * @param stop see {@link SamplingSpec#stopStrings()}
 */
public record SamplingConfig(
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("repetition_penalty") Double repetitionPenalty,
        @JsonProperty("max_new_tokens") Integer maxNewTokens,
        @JsonProperty("stop") List<String> stop) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** No settings: everything from the layer below. */
    public static final SamplingConfig EMPTY = new SamplingConfig(null, null, null, null, null, null);

    /** Jackson's constructor. */
    @JsonCreator
    public SamplingConfig {
    }

    /** The settings named here over {@code base}. */
    public SamplingSpec over(SamplingSpec base) {
        return new SamplingSpec(
                temperature != null ? temperature : base.temperature(),
                topK != null ? topK : base.topK(),
                topP != null ? topP : base.topP(),
                repetitionPenalty != null ? repetitionPenalty : base.repetitionPenalty(),
                maxNewTokens != null ? maxNewTokens : base.maxNewTokens(),
                base.seed(),
                stop != null ? stop : base.stopStrings());
    }
}
