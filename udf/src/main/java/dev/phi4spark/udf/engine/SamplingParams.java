package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one row is decoded: the one sampling type of the project, from the {@code sampling.*} config keys
 * and datagen plans to the Spark params of {@code Phi4Generator} and the engine. {@link #DEFAULTS} is
 * the one default of each field. Temperature 0 is greedy; otherwise tokens are drawn with the row's own
 * seed, so a row's text never depends on which rows share its batch.
 *
 * <p>Written as keys (a plan's {@code sampling:} block, the canonical JSON of {@link #toJson}) the fields
 * are named {@code temperature}, {@code top_k}, {@code top_p}, {@code repetition_penalty},
 * {@code max_new_tokens}, {@code stop} and {@code seed}.
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
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The one default of each field, whatever the path (config keys, datagen plans, the Spark
     * transformer, the SQL function, the command line): moderate temperature 0.7, nucleus 0.95, no top-k,
     * no repetition penalty, 512 new tokens, seed 0, no stop strings.
     */
    public static final SamplingParams DEFAULTS = new SamplingParams(0.7, 0, 0.95, 1.0, 512, 0, List.of());

    /** The keys a partial setting ({@link #over}) may name; the seed is given apart. */
    public static final List<String> KEYS = List.of("temperature", "top_k", "top_p", "repetition_penalty",
            "max_new_tokens", "stop");

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

    /** The same parameters with another temperature. */
    public SamplingParams withTemperature(double newTemperature) {
        return new SamplingParams(newTemperature, topK, topP, repetitionPenalty, maxNewTokens, seed, stopStrings);
    }

    /** The same parameters with another token budget. */
    public SamplingParams withMaxNewTokens(int tokens) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty, tokens, seed, stopStrings);
    }

    /**
     * Checks the names and types of a partial setting (a plan's {@code sampling:} block) without its
     * ranges, which {@link #over} checks.
     *
     * @throws IllegalArgumentException "Cannot use sampling key 'temprature': expected one of [...]."
     */
    public static Map<String, Object> checkKeys(Map<String, ?> keys) {
        Map<String, Object> out = new TreeMap<>();
        if (keys == null) {
            return out;
        }
        for (Map.Entry<String, ?> e : keys.entrySet()) {
            Object v = e.getValue();
            boolean ok = switch (e.getKey()) {
                case "temperature", "top_p", "repetition_penalty" -> v instanceof Number;
                case "top_k", "max_new_tokens" -> v instanceof Integer || v instanceof Long;
                case "stop" -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String);
                default -> throw new IllegalArgumentException("Cannot use sampling key '" + e.getKey()
                        + "': expected one of " + KEYS + " (" + e.getKey() + ").");
            };
            if (!ok && v != null) {
                String what = switch (e.getKey()) {
                    case "stop" -> "a list of strings";
                    case "top_k", "max_new_tokens" -> "an integer";
                    default -> "a number";
                };
                throw new IllegalArgumentException("Cannot use sampling key '" + e.getKey() + "': expected " + what
                        + " (" + v + ").");
            }
            if (v != null) {
                out.put(e.getKey(), v instanceof List<?> l ? List.copyOf(l) : v);
            }
        }
        return out;
    }

    /** The fields a partial setting names (see {@link #KEYS}) over these; the others and the seed kept. */
    @SuppressWarnings("unchecked")
    public SamplingParams over(Map<String, ?> keys) {
        Map<String, Object> k = checkKeys(keys);
        return new SamplingParams(
                k.containsKey("temperature") ? ((Number) k.get("temperature")).doubleValue() : temperature,
                k.containsKey("top_k") ? Math.toIntExact(((Number) k.get("top_k")).longValue()) : topK,
                k.containsKey("top_p") ? ((Number) k.get("top_p")).doubleValue() : topP,
                k.containsKey("repetition_penalty") ? ((Number) k.get("repetition_penalty")).doubleValue()
                        : repetitionPenalty,
                k.containsKey("max_new_tokens") ? Math.toIntExact(((Number) k.get("max_new_tokens")).longValue())
                        : maxNewTokens,
                seed,
                k.containsKey("stop") ? (List<String>) k.get("stop") : stopStrings);
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

    /** True when no randomness is involved. */
    public boolean isGreedy() {
        return temperature == 0;
    }
}
