package dev.phi4spark.filters.pipeline;

import com.github.pemistahl.lingua.api.Language;
import dev.phi4spark.filters.decontam.BenchmarkIndex;
import dev.phi4spark.filters.decontam.BenchmarkSource;
import dev.phi4spark.filters.decontam.Decontaminator;
import dev.phi4spark.filters.dedup.ExactDedup;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.heuristic.C4LineCleaner;
import dev.phi4spark.filters.heuristic.C4QualityFilter;
import dev.phi4spark.filters.heuristic.C4Rules;
import dev.phi4spark.filters.heuristic.FineWebQualityFilter;
import dev.phi4spark.filters.heuristic.GopherQualityFilter;
import dev.phi4spark.filters.heuristic.GopherRepetitionFilter;
import dev.phi4spark.filters.heuristic.LanguageFilter;
import dev.phi4spark.filters.heuristic.TokenCounter;
import dev.phi4spark.filters.heuristic.TokenLengthFilter;
import dev.phi4spark.filters.pii.PiiRedactor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Builds pipeline steps from names and parameter maps (the jobs module reads them from YAML).
 * Parameter names are the snake_case names of the constructor parameters; a missing parameter
 * takes the class's default.
 *
 * <ul>
 *   <li>{@code gopher_quality}: min_doc_words, max_doc_words, min_avg_word_length,
 *       max_avg_word_length, max_symbol_word_ratio, max_bullet_lines_ratio,
 *       max_ellipsis_lines_ratio, max_non_alpha_words_ratio, min_stop_words, stop_words
 *   <li>{@code gopher_repetition}: dup_line_frac, dup_para_frac, dup_line_char_frac,
 *       dup_para_char_frac, top_n_grams and dup_n_grams (maps from n to fraction)
 *   <li>{@code c4_quality}, {@code c4_lines}: remove_citations, filter_no_terminal_punct,
 *       min_num_sentences, min_words_per_line, max_word_length, filter_lorem_ipsum,
 *       filter_javascript, filter_curly_bracket, filter_policy
 *   <li>{@code fineweb_quality}: line_punct_thr, line_punct_exclude_zero, short_line_thr,
 *       short_line_length, char_duplicates_ratio, new_line_ratio
 *   <li>{@code language}: languages (Lingua language names; default all), allowed (default
 *       [english]), min_confidence, min_share, low_accuracy, max_chunks
 *   <li>{@code token_length}: min_tokens, max_tokens (approximate counter; set a Phi-4 counter
 *       through the builder instead)
 *   <li>{@code pii}: kinds (SECRET, EMAIL, CARD_NUMBER, IP_ADDRESS, PHONE; default all),
 *       phone_regions (ISO 3166 regions whose national numbers are recognised; default [US])
 *   <li>{@code exact_dedup}: no parameters
 *   <li>{@code near_dedup}: threshold (Jaccard above which one copy is removed, default 0.7),
 *       num_hashes (default 100), ngram_size, seed; bands and rows are derived from the threshold
 *       ({@link MinHashDedup#bandsAndRows}) unless both are given
 *   <li>{@code decontaminate}: benchmarks (list of maps with name, path, question_field,
 *       choices_field, answer_field, id_field), max_items_per_ngram, allow_list, contaminated_at,
 *       partial_at, reject_partial
 * </ul>
 */
public final class StepSpecs {
    private static final String WHY = "Cannot build filter pipeline: ";
    private static final Map<String, Function<Params, PipelineStep>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("gopher_quality", StepSpecs::gopherQuality);
        FACTORIES.put("gopher_repetition", StepSpecs::gopherRepetition);
        FACTORIES.put("c4_quality", p -> Steps.filter(new C4QualityFilter(c4Rules(p))));
        FACTORIES.put("c4_lines", p -> Steps.clean(new C4LineCleaner(c4Rules(p))));
        FACTORIES.put("fineweb_quality", StepSpecs::fineWeb);
        FACTORIES.put("language", StepSpecs::language);
        FACTORIES.put("token_length", p -> Steps.filter(new TokenLengthFilter(
                p.integer("min_tokens", TokenLengthFilter.DEFAULT_MIN_TOKENS),
                p.integer("max_tokens", TokenLengthFilter.DEFAULT_MAX_TOKENS),
                TokenCounter.approximate())));
        FACTORIES.put("pii", p -> Steps.clean(new PiiRedactor(
                p.strings("kinds", PiiRedactor.KINDS),
                p.strings("phone_regions", PiiRedactor.DEFAULT_PHONE_REGIONS))));
        FACTORIES.put("exact_dedup", p -> Steps.exactDedup(new ExactDedup()));
        FACTORIES.put("near_dedup", StepSpecs::nearDedup);
        FACTORIES.put("decontaminate", StepSpecs::decontaminate);
    }

    private StepSpecs() {}

    /** Known step names, in documentation order. */
    public static Set<String> names() {
        return FACTORIES.keySet();
    }

    /** The step described by {@code spec}: a {@code name} entry plus parameters. */
    public static PipelineStep build(Map<String, Object> spec) {
        Object name = spec.get("name");
        if (!(name instanceof String stepName)) {
            throw new IllegalArgumentException(WHY + "a step has no 'name' (" + spec + ")");
        }
        Function<Params, PipelineStep> factory = FACTORIES.get(stepName);
        if (factory == null) {
            throw new IllegalArgumentException(WHY + "unknown filter '" + stepName + "' ("
                    + suggestion(stepName, FACTORIES.keySet()) + ")");
        }
        Map<String, Object> values = new LinkedHashMap<>(spec);
        values.remove("name");
        Params params = new Params(stepName, values);
        PipelineStep step = factory.apply(params);
        params.rejectUnknown();
        return step;
    }

    private static PipelineStep gopherQuality(Params p) {
        return Steps.filter(new GopherQualityFilter(
                p.integer("min_doc_words", GopherQualityFilter.DEFAULT_MIN_DOC_WORDS),
                p.integer("max_doc_words", GopherQualityFilter.DEFAULT_MAX_DOC_WORDS),
                p.number("min_avg_word_length", GopherQualityFilter.DEFAULT_MIN_AVG_WORD_LENGTH),
                p.number("max_avg_word_length", GopherQualityFilter.DEFAULT_MAX_AVG_WORD_LENGTH),
                p.number("max_symbol_word_ratio", GopherQualityFilter.DEFAULT_MAX_SYMBOL_WORD_RATIO),
                p.number("max_bullet_lines_ratio", GopherQualityFilter.DEFAULT_MAX_BULLET_LINES_RATIO),
                p.number("max_ellipsis_lines_ratio", GopherQualityFilter.DEFAULT_MAX_ELLIPSIS_LINES_RATIO),
                p.number("max_non_alpha_words_ratio",
                        GopherQualityFilter.DEFAULT_MAX_NON_ALPHA_WORDS_RATIO),
                p.integer("min_stop_words", GopherQualityFilter.DEFAULT_MIN_STOP_WORDS),
                new HashSet<>(p.strings("stop_words",
                        new ArrayList<>(GopherQualityFilter.DEFAULT_STOP_WORDS)))));
    }

    private static PipelineStep gopherRepetition(Params p) {
        return Steps.filter(new GopherRepetitionFilter(
                p.number("dup_line_frac", GopherRepetitionFilter.DEFAULT_DUP_LINE_FRAC),
                p.number("dup_para_frac", GopherRepetitionFilter.DEFAULT_DUP_PARA_FRAC),
                p.number("dup_line_char_frac", GopherRepetitionFilter.DEFAULT_DUP_LINE_CHAR_FRAC),
                p.number("dup_para_char_frac", GopherRepetitionFilter.DEFAULT_DUP_PARA_CHAR_FRAC),
                p.fractionsByN("top_n_grams", GopherRepetitionFilter.DEFAULT_TOP_N_GRAMS),
                p.fractionsByN("dup_n_grams", GopherRepetitionFilter.DEFAULT_DUP_N_GRAMS)));
    }

    private static C4Rules c4Rules(Params p) {
        return new C4Rules(
                p.bool("remove_citations", true),
                p.bool("filter_no_terminal_punct", true),
                p.integer("min_num_sentences", C4Rules.DEFAULT_MIN_NUM_SENTENCES),
                p.integer("min_words_per_line", C4Rules.DEFAULT_MIN_WORDS_PER_LINE),
                p.integer("max_word_length", C4Rules.DEFAULT_MAX_WORD_LENGTH),
                p.bool("filter_lorem_ipsum", true),
                p.bool("filter_javascript", true),
                p.bool("filter_curly_bracket", true),
                p.bool("filter_policy", true));
    }

    private static PipelineStep fineWeb(Params p) {
        return Steps.filter(new FineWebQualityFilter(
                p.number("line_punct_thr", FineWebQualityFilter.DEFAULT_LINE_PUNCT_THR),
                p.bool("line_punct_exclude_zero", FineWebQualityFilter.DEFAULT_LINE_PUNCT_EXCLUDE_ZERO),
                p.number("short_line_thr", FineWebQualityFilter.DEFAULT_SHORT_LINE_THR),
                p.integer("short_line_length", FineWebQualityFilter.DEFAULT_SHORT_LINE_LENGTH),
                p.number("char_duplicates_ratio", FineWebQualityFilter.DEFAULT_CHAR_DUPLICATES_RATIO),
                p.number("new_line_ratio", FineWebQualityFilter.DEFAULT_NEW_LINE_RATIO)));
    }

    private static PipelineStep language(Params p) {
        return Steps.language(new LanguageFilter(
                p.languages("languages", LanguageFilter.DEFAULT_LANGUAGES),
                p.languages("allowed", LanguageFilter.DEFAULT_ALLOWED),
                p.number("min_confidence", LanguageFilter.DEFAULT_MIN_CONFIDENCE),
                p.number("min_share", LanguageFilter.DEFAULT_MIN_SHARE),
                p.bool("low_accuracy", LanguageFilter.DEFAULT_LOW_ACCURACY),
                p.integer("max_chunks", LanguageFilter.DEFAULT_MAX_CHUNKS)));
    }

    private static PipelineStep nearDedup(Params p) {
        double threshold = p.number("threshold", MinHashDedup.DEFAULT_THRESHOLD);
        int numHashes = p.integer("num_hashes", MinHashDedup.DEFAULT_NUM_HASHES);
        int ngramSize = p.integer("ngram_size", MinHashDedup.DEFAULT_NGRAM_SIZE);
        int seed = p.integer("seed", (int) MinHashDedup.DEFAULT_SEED);
        int bands = p.integer("bands", 0);
        int rows = p.integer("rows", 0);
        if ((bands > 0) != (rows > 0)) {
            throw new IllegalArgumentException(WHY + "filter 'near_dedup' needs both bands and rows, or"
                    + " neither to derive them from the threshold (" + bands + ", " + rows + ")");
        }
        MinHashDedup dedup = bands > 0
                ? new MinHashDedup(ngramSize, bands, rows, threshold, seed)
                : MinHashDedup.forThreshold(threshold, numHashes, ngramSize, seed);
        return Steps.nearDedup(dedup);
    }

    private static PipelineStep decontaminate(Params p) {
        List<BenchmarkSource> sources = new ArrayList<>();
        for (Map<String, Object> b : p.maps("benchmarks")) {
            Params bp = new Params("decontaminate.benchmarks", new LinkedHashMap<>(b));
            String path = bp.string("path", null);
            if (path == null) {
                throw new IllegalArgumentException(WHY + "a benchmark of filter 'decontaminate' has no"
                        + " 'path' (" + b + ")");
            }
            sources.add(new BenchmarkSource(bp.string("name", BenchmarkSource.fileName(path)),
                    path, bp.string("question_field", "question"),
                    bp.string("choices_field", "choices"), bp.string("answer_field", "answer"),
                    bp.string("id_field", null)));
            bp.rejectUnknown();
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException(WHY + "filter 'decontaminate' needs at least one"
                    + " benchmark (benchmarks)");
        }
        BenchmarkIndex index = BenchmarkIndex.build(sources,
                p.integer("max_items_per_ngram", BenchmarkIndex.DEFAULT_MAX_ITEMS_PER_NGRAM),
                p.strings("allow_list", List.of()));
        Decontaminator decontaminator = new Decontaminator(index,
                p.number("contaminated_at", Decontaminator.DEFAULT_CONTAMINATED_AT),
                p.number("partial_at", Decontaminator.DEFAULT_PARTIAL_AT));
        return Steps.decontaminate(decontaminator, p.bool("reject_partial", false));
    }

    /** "did you mean 'x'?" for the closest name within a few edits, else the known names. */
    static String suggestion(String given, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = editDistance(given, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        if (best != null && bestDistance <= Math.max(2, given.length() / 2)) {
            return "did you mean '" + best + "'?";
        }
        return "known: " + String.join(", ", known);
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Typed access to one step's parameters; remembers which names the factory asked for. */
    static final class Params {
        private final String step;
        private final Map<String, Object> values;
        private final Set<String> known = new java.util.LinkedHashSet<>();

        Params(String step, Map<String, Object> values) {
            this.step = step;
            this.values = values;
        }

        void rejectUnknown() {
            for (String key : values.keySet()) {
                if (!known.contains(key)) {
                    String hint = known.isEmpty() ? "it takes no parameters" : suggestion(key, known);
                    throw new IllegalArgumentException(WHY + "unknown parameter '" + key + "' for filter '"
                            + step + "' (" + hint + ")");
                }
            }
        }

        private Object raw(String key) {
            known.add(key);
            return values.get(key);
        }

        private IllegalArgumentException bad(String key, String expected, Object value) {
            return new IllegalArgumentException(WHY + "parameter '" + key + "' of filter '" + step
                    + "' must be " + expected + " (" + value + ")");
        }

        int integer(String key, int fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
                return n.intValue();
            }
            throw bad(key, "an integer", v);
        }

        double number(String key, double fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Number n) {
                return n.doubleValue();
            }
            throw bad(key, "a number", v);
        }

        boolean bool(String key, boolean fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            throw bad(key, "true or false", v);
        }

        String string(String key, String fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof String s) {
                return s;
            }
            throw bad(key, "a string", v);
        }

        List<String> strings(String key, List<String> fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof List<?> list && list.stream().allMatch(x -> x instanceof String)) {
                return list.stream().map(String.class::cast).toList();
            }
            throw bad(key, "a list of strings", v);
        }

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> maps(String key) {
            Object v = raw(key);
            if (v == null) {
                return List.of();
            }
            if (v instanceof List<?> list && list.stream().allMatch(x -> x instanceof Map)) {
                return (List<Map<String, Object>>) v;
            }
            throw bad(key, "a list of maps", v);
        }

        Map<Integer, Double> fractionsByN(String key, Map<Integer, Double> fallback) {
            Object v = raw(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Map<?, ?> map)) {
                throw bad(key, "a map from n to a fraction", v);
            }
            Map<Integer, Double> out = new TreeMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                try {
                    int n = Integer.parseInt(String.valueOf(e.getKey()).trim());
                    if (!(e.getValue() instanceof Number f) || n < 1) {
                        throw bad(key, "a map from n to a fraction", v);
                    }
                    out.put(n, f.doubleValue());
                } catch (NumberFormatException ex) {
                    throw bad(key, "a map from n to a fraction", v);
                }
            }
            return out;
        }

        Set<Language> languages(String key, Set<Language> fallback) {
            List<String> names = strings(key, null);
            if (names == null) {
                return fallback;
            }
            Set<Language> out = EnumSet.noneOf(Language.class);
            for (String name : names) {
                try {
                    out.add(Language.valueOf(name.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw bad(key, "a list of Lingua language names", name);
                }
            }
            return out;
        }
    }
}
