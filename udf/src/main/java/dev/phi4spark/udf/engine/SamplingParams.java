package dev.phi4spark.udf.engine;

import java.io.Serializable;
import java.util.List;

/**
 * How one row is decoded. Temperature 0 is greedy; otherwise tokens are drawn with the row's own seed,
 * so a row's text never depends on which rows share its batch.
 *
 * @param temperature 0 for greedy, else the softmax temperature
 * @param topK keep the k most likely tokens (0: no limit)
 * @param topP keep the smallest set of tokens whose probability reaches p (1: no limit)
 * @param repetitionPenalty HF's CTRL-style penalty on tokens already seen (1: none)
 * @param maxNewTokens the most tokens to generate
 * @param seed the row's random seed
 * @param stopStrings text that ends generation; the completion is cut before it
 */
public record SamplingParams(double temperature, int topK, double topP, double repetitionPenalty,
        int maxNewTokens, long seed, List<String> stopStrings) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks ranges, with one clear message per mistake. */
    public SamplingParams {
        require(temperature >= 0 && Double.isFinite(temperature), "temperature must be >= 0", temperature);
        require(topK >= 0, "top_k must be >= 0", topK);
        require(topP > 0 && topP <= 1, "top_p must be in (0, 1]", topP);
        require(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty),
                "repetition_penalty must be > 0", repetitionPenalty);
        require(maxNewTokens >= 0, "max_new_tokens must be >= 0", maxNewTokens);
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) {
            require(s != null && !s.isEmpty(), "stop strings must not be empty", s);
        }
    }

    private static void require(boolean ok, String why, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("Cannot use sampling parameters: " + why + " (" + value + ")");
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens. */
    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0, 0, 1, 1, maxNewTokens, 0, List.of());
    }

    /** Sampling at a temperature with nucleus {@code topP}. */
    public static SamplingParams sample(double temperature, double topP, int maxNewTokens, long seed) {
        return new SamplingParams(temperature, 0, topP, 1, maxNewTokens, seed, List.of());
    }

    /** The same parameters with another seed. */
    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, maxNewTokens, newSeed, stopStrings);
    }

    /** The same parameters with stop strings. */
    public SamplingParams withStopStrings(List<String> stops) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, maxNewTokens, seed, stops);
    }

    /** True when no randomness is involved. */
    public boolean isGreedy() {
        return temperature == 0;
    }
}
