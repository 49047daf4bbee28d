package dev.phi4spark.datagen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.udf.engine.SamplingParams;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoding settings of a recipe's model calls. The {@code seed} is a base: every model call gets
 * its own seed derived from it and the row's id (see {@link Ids#rowSeed}), so a row's text never
 * depends on which other rows were generated with it.
 *
 * <p>The ranges are the engine's ({@link SamplingParams}); they are checked here so that a bad plan
 * fails on the driver before any Spark job starts.
 *
 * @param temperature 0 for greedy decoding, else the softmax temperature
 * @param topK keep the k most likely tokens (0: no limit)
 * @param topP nucleus mass (1: no limit)
 * @param repetitionPenalty CTRL-style penalty (1: none)
 * @param maxNewTokens the most tokens one call generates
 * @param seed base seed of the per-call seeds
 * @param stopStrings text that ends a completion
 */
public record SamplingSpec(
        double temperature,
        int topK,
        double topP,
        double repetitionPenalty,
        int maxNewTokens,
        long seed,
        List<String> stopStrings) implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Defaults of the Phi-4 data recipes: moderate temperature, nucleus 0.95, 1024 new tokens, seed 0. */
    public static final SamplingSpec DEFAULTS = new SamplingSpec(0.7, 0, 0.95, 1.0, 1024, 0, List.of());

    /** Checks the ranges with the engine's rules and messages. */
    public SamplingSpec {
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        new SamplingParams(temperature, topK, topP, repetitionPenalty, maxNewTokens, seed, stopStrings);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens. */
    public static SamplingSpec greedy(int maxNewTokens) {
        return new SamplingSpec(0, 0, 1, 1, maxNewTokens, 0, List.of());
    }

    /** The same settings with another base seed. */
    public SamplingSpec withSeed(long newSeed) {
        return new SamplingSpec(temperature, topK, topP, repetitionPenalty, maxNewTokens, newSeed, stopStrings);
    }

    /** The same settings with another temperature. */
    public SamplingSpec withTemperature(double newTemperature) {
        return new SamplingSpec(newTemperature, topK, topP, repetitionPenalty, maxNewTokens, seed, stopStrings);
    }

    /** The same settings with another token budget. */
    public SamplingSpec withMaxNewTokens(int tokens) {
        return new SamplingSpec(temperature, topK, topP, repetitionPenalty, tokens, seed, stopStrings);
    }

    /** True when no randomness is involved, so repeated calls give the same text. */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** The engine's parameters for one call with its own seed. */
    public SamplingParams toSamplingParams(long callSeed) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, maxNewTokens, callSeed, stopStrings);
    }

    /**
     * The canonical JSON form stored in the {@code sampling} column and hashed into row ids: fixed key
     * order, so equal settings always give the same string.
     */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", temperature);
        m.put("top_k", topK);
        m.put("top_p", topP);
        m.put("repetition_penalty", repetitionPenalty);
        m.put("max_new_tokens", maxNewTokens);
        m.put("seed", seed);
        m.put("stop", stopStrings);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write sampling settings as JSON: " + e.getMessage(), e);
        }
    }
}
