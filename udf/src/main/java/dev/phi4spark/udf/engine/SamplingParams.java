package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * How one row is decoded: the one sampling type of the project, from the {@code sampling.*} config keys
 * and datagen plans to the Spark params of {@code Phi4Generator} and the engine. Temperature 0 is greedy;
 * otherwise tokens are drawn with the row's own seed, so a row's text never depends on which rows share
 * its batch.
 *
 * <p>{@link #FIELDS} is the table of its fields: name, type, default, range and meaning. The
 * {@code sampling.*} config keys, {@code Phi4Generator}'s Spark params, {@link #DEFAULTS}, {@link #KEYS},
 * {@link #over}, {@link #checkKeys} and {@link #toJson} are made from it, so adding a field is the record
 * component and its row (the class refuses to load when a component has no row).
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

    // --- the table: one row per field, in the order of the configuration reference ---

    /** Softmax temperature. */
    public static final SamplingField<Double> TEMPERATURE = SamplingField.number("temperature",
            SamplingParams::temperature, 0.7, 0, false, 100, "Softmax temperature; 0 is greedy.");
    /** Nucleus mass. */
    public static final SamplingField<Double> TOP_P = SamplingField.number("top_p", SamplingParams::topP, 0.95, 0,
            true, 1, "Nucleus sampling mass.");
    /** Top-k. */
    public static final SamplingField<Integer> TOP_K = SamplingField.integer("top_k", SamplingParams::topK, 0, 0,
            Integer.MAX_VALUE, "Keep the k likeliest tokens (0: all).");
    /** Repetition penalty. */
    public static final SamplingField<Double> REPETITION_PENALTY = SamplingField.number("repetition_penalty",
            SamplingParams::repetitionPenalty, 1.0, 0, true, 100, "HF repetition penalty (1: none).");
    /** Token budget. */
    public static final SamplingField<Integer> MAX_NEW_TOKENS = SamplingField.integer("max_new_tokens",
            SamplingParams::maxNewTokens, 512, 1, ModelOptions.MAX_TOKENS, "Most tokens generated per completion.");
    /** Stop strings; the record component and the Spark param are named {@code stopStrings}. */
    public static final SamplingField<List<String>> STOP = SamplingField.strings("stop", "stopStrings",
            SamplingParams::stopStrings, List.of(), "Stop strings that end a completion.");
    /** The seed, given apart from the keys: per recipe, per row, or {@code Phi4Generator}'s base seed. */
    public static final SamplingField<Long> SEED = SamplingField.apart("seed", SamplingParams::seed, 0,
            "Random seed of a row; Phi4Generator mixes its base seed with each prompt's hash.");

    /** Every field, in reference order. */
    public static final List<SamplingField<?>> FIELDS = List.of(TEMPERATURE, TOP_P, TOP_K, REPETITION_PENALTY,
            MAX_NEW_TOKENS, STOP, SEED);

    /** The fields in the order of the record's components: of its constructor and of {@link #toJson}. */
    private static final List<SamplingField<?>> COMPONENTS = inComponentOrder();
    private static final Constructor<SamplingParams> CANONICAL = canonicalConstructor();

    /**
     * The one default of each field, whatever the path (config keys, datagen plans, the Spark
     * transformer, the SQL function, the command line), made from the table: moderate temperature 0.7,
     * nucleus 0.95, no top-k, no repetition penalty, 512 new tokens, seed 0, no stop strings.
     */
    public static final SamplingParams DEFAULTS = of(SamplingField::defaultValue);

    /** The keys a partial setting ({@link #over}) may name, in component order; the seed is given apart. */
    public static final List<String> KEYS = COMPONENTS.stream().filter(SamplingField::keyed)
            .map(SamplingField::name).toList();

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

    /**
     * Parameters made from each field's value.
     *
     * @param values a field's value (of its type) for every field
     * @throws IllegalArgumentException when a value has the wrong type or is out of range
     */
    public static SamplingParams of(Function<SamplingField<?>, Object> values) {
        Object[] args = new Object[COMPONENTS.size()];
        for (int i = 0; i < args.length; i++) {
            SamplingField<?> f = COMPONENTS.get(i);
            Object v = values.apply(f);
            require(f.type().isInstance(v), f.name() + " must be " + f.expected(), v);
            args[i] = v;
        }
        try {
            return CANONICAL.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("Cannot make sampling parameters: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot make sampling parameters: " + e, e);
        }
    }

    /** The same parameters with one field replaced (checked). */
    public <V> SamplingParams with(SamplingField<V> field, V value) {
        return of(f -> f == field ? value : f.get(this));
    }

    /** The same parameters with some fields replaced (checked). */
    private SamplingParams with(Map<SamplingField<?>, Object> values) {
        return of(f -> values.containsKey(f) ? values.get(f) : f.get(this));
    }

    /** The field of a snake_case name, or null. */
    public static SamplingField<?> field(String name) {
        return FIELDS.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens: no top-k, top-p or penalty, seed 0, no stops. */
    public static SamplingParams greedy(int maxNewTokens) {
        return DEFAULTS.with(Map.of(TEMPERATURE, 0.0, TOP_K, 0, TOP_P, 1.0, REPETITION_PENALTY, 1.0,
                MAX_NEW_TOKENS, maxNewTokens, SEED, 0L, STOP, List.of()));
    }

    /** Sampling at a temperature with nucleus {@code topP}: no top-k or penalty, no stops. */
    public static SamplingParams sample(double temperature, double topP, int maxNewTokens, long seed) {
        return DEFAULTS.with(Map.of(TEMPERATURE, temperature, TOP_K, 0, TOP_P, topP, REPETITION_PENALTY, 1.0,
                MAX_NEW_TOKENS, maxNewTokens, SEED, seed, STOP, List.of()));
    }

    /** The same parameters with another seed. */
    public SamplingParams withSeed(long newSeed) {
        return with(SEED, newSeed);
    }

    /** The same parameters with stop strings. */
    public SamplingParams withStopStrings(List<String> stops) {
        return with(STOP, stops == null ? List.of() : stops);
    }

    /** The same parameters with another temperature. */
    public SamplingParams withTemperature(double newTemperature) {
        return with(TEMPERATURE, newTemperature);
    }

    /** The same parameters with another token budget. */
    public SamplingParams withMaxNewTokens(int tokens) {
        return with(MAX_NEW_TOKENS, tokens);
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
            SamplingField<?> f = field(e.getKey());
            if (f == null || !f.keyed()) {
                throw new IllegalArgumentException("Cannot use sampling key '" + e.getKey()
                        + "': expected one of " + KEYS + " (" + e.getKey() + ").");
            }
            Object v = e.getValue();
            if (v != null && !f.accepts(v)) {
                throw new IllegalArgumentException("Cannot use sampling key '" + e.getKey() + "': expected "
                        + f.expected() + " (" + v + ").");
            }
            if (v != null) {
                out.put(e.getKey(), v instanceof List<?> l ? List.copyOf(l) : v);
            }
        }
        return out;
    }

    /** The fields a partial setting names (see {@link #KEYS}) over these; the others and the seed kept. */
    public SamplingParams over(Map<String, ?> keys) {
        Map<String, Object> k = checkKeys(keys);
        return of(f -> f.keyed() && k.containsKey(f.name()) ? f.convert(k.get(f.name())) : f.get(this));
    }

    /**
     * The canonical JSON form stored in the {@code sampling} column and hashed into row ids: fixed key
     * order, so equal settings always give the same string.
     */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (SamplingField<?> f : COMPONENTS) {
            m.put(f.name(), f.get(this));
        }
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

    /** The rows in the order of the record's components, checking that each component has exactly one. */
    private static List<SamplingField<?>> inComponentOrder() {
        List<SamplingField<?>> out = new ArrayList<>();
        for (RecordComponent c : SamplingParams.class.getRecordComponents()) {
            List<SamplingField<?>> rows = FIELDS.stream().filter(f -> f.javaName().equals(c.getName())).toList();
            if (rows.size() != 1 || boxed(c.getType()) != rows.get(0).type()) {
                throw new IllegalStateException("Cannot load SamplingParams: its component " + c.getName() + " ("
                        + c.getType().getSimpleName() + ") needs one row of that type in FIELDS (" + rows + ")");
            }
            out.add(rows.get(0));
        }
        if (out.size() != FIELDS.size()) {
            throw new IllegalStateException("Cannot load SamplingParams: FIELDS has rows that are no component ("
                    + FIELDS.stream().filter(f -> !out.contains(f)).map(SamplingField::name).toList() + ")");
        }
        return List.copyOf(out);
    }

    private static Class<?> boxed(Class<?> type) {
        return type == double.class ? Double.class : type == int.class ? Integer.class
                : type == long.class ? Long.class : type;
    }

    private static Constructor<SamplingParams> canonicalConstructor() {
        try {
            return SamplingParams.class.getDeclaredConstructor(Arrays.stream(SamplingParams.class
                    .getRecordComponents()).map(RecordComponent::getType).toArray(Class<?>[]::new));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("Cannot load SamplingParams: no canonical constructor", e);
        }
    }
}
