package dev.phi4spark.filters.pipeline;

import static dev.phi4spark.filters.pipeline.StepParam.Range.atLeast;
import static dev.phi4spark.filters.pipeline.StepParam.Range.closed;

import com.github.pemistahl.lingua.api.Language;
import dev.phi4spark.filters.DidYouMean;
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
import dev.phi4spark.filters.model.JudgeScoreStep;
import dev.phi4spark.filters.model.PerplexityStep;
import dev.phi4spark.filters.pii.PiiRedactor;
import dev.phi4spark.filters.pipeline.StepParam.Range;
import dev.phi4spark.filters.pipeline.StepParam.Type;
import dev.phi4spark.udf.spark.Phi4Options;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry of filter steps: every step, model-based ones included, is registered here once with
 * its declared parameters ({@link StepParam}: name, type, default, range, meaning). Parsing a step spec
 * (a {@code name} entry plus parameters, as the jobs read it from YAML), the unknown-parameter errors,
 * validation without building ({@link #check}, what {@code --dry-run} runs for model steps) and the
 * documentation ({@link #markdownTable()}, the table in {@code filters/README.md}) all come from these
 * declarations.
 */
public final class StepSpecs {
    static final String WHY = "Cannot build filter pipeline: ";

    /** Builds a step from its checked arguments; {@code model} is null when none was given. */
    @FunctionalInterface
    interface Factory {
        PipelineStep build(Args args, Phi4Options model);
    }

    /**
     * One registered step.
     *
     * @param name the name in a spec, the funnel and {@code reject_step}
     * @param doc what it does, for the documentation table
     * @param needsModel true when it runs the Phi-4 model (built only with the run's model options)
     * @param params its declared parameters
     * @param check checks between parameters that one parameter's range cannot express
     * @param factory builds the step
     */
    record StepType(String name, String doc, boolean needsModel, List<StepParam> params,
            java.util.function.Consumer<Args> check, Factory factory) {}

    private static final Map<String, StepType> TYPES = new LinkedHashMap<>();

    private StepSpecs() {}

    private static void register(String name, String doc, List<StepParam> params,
            java.util.function.Function<Args, PipelineStep> factory) {
        register(name, doc, params, a -> { }, factory);
    }

    private static void register(String name, String doc, List<StepParam> params,
            java.util.function.Consumer<Args> check, java.util.function.Function<Args, PipelineStep> factory) {
        TYPES.put(name, new StepType(name, doc, false, params, check, (a, model) -> factory.apply(a)));
    }

    /** Known step names, in documentation order, the model-based ones last. */
    public static Set<String> names() {
        return TYPES.keySet();
    }

    /** True when the step of {@code spec} runs the model (its name must be known). */
    public static boolean needsModel(Map<String, Object> spec) {
        return type(spec).needsModel();
    }

    /**
     * Checks {@code spec} against its step's declaration without building anything: the name, every
     * parameter's name, type and range, and the checks between parameters. The errors are those {@link
     * #build} gives, so a spec that passes here fails at build only on what needs the data (a benchmark
     * file's content) or the model.
     */
    public static void check(Map<String, Object> spec) {
        parse(spec);
    }

    /** The model-free step described by {@code spec}. */
    public static PipelineStep build(Map<String, Object> spec) {
        return build(spec, null);
    }

    /** The step described by {@code spec}; {@code model} runs the model-based steps (null: none given). */
    public static PipelineStep build(Map<String, Object> spec, Phi4Options model) {
        Args args = parse(spec);
        StepType type = TYPES.get(args.step());
        if (type.needsModel() && model == null) {
            throw new IllegalArgumentException(WHY + "filter '" + type.name() + "' runs the model and no model"
                    + " was given (build it with FilterPipeline.Builder.spec(spec, options))");
        }
        return type.factory().build(args, model);
    }

    /** The MinHash settings of a {@code near_dedup} spec, as its step uses them (earlier-runs dedup too). */
    public static MinHashSettings nearDedup(Map<String, Object> spec) {
        Args args = parse(spec);
        if (!args.step().equals("near_dedup")) {
            throw new IllegalArgumentException(WHY + "not a near_dedup step (" + spec + ")");
        }
        return minHash(args);
    }

    /**
     * The benchmarks of a {@code decontaminate} spec as its step names and reads them (names defaulted),
     * checked but not read.
     */
    public static List<BenchmarkSource> benchmarks(Map<String, Object> spec) {
        Args args = parse(spec);
        if (!args.step().equals("decontaminate")) {
            throw new IllegalArgumentException(WHY + "not a decontaminate step (" + spec + ")");
        }
        return sources(args);
    }

    private static StepType type(Map<String, Object> spec) {
        Object name = spec.get("name");
        if (!(name instanceof String stepName)) {
            throw new IllegalArgumentException(WHY + "a step has no 'name' (" + spec + ")");
        }
        StepType type = TYPES.get(stepName);
        if (type == null) {
            throw new IllegalArgumentException(WHY + "unknown filter '" + stepName + "' ("
                    + DidYouMean.hint(stepName, TYPES.keySet()) + ")");
        }
        return type;
    }

    private static Args parse(Map<String, Object> spec) {
        StepType type = type(spec);
        Map<String, Object> values = new LinkedHashMap<>(spec);
        values.remove("name");
        Args args = Args.parse(type.name(), "filter '" + type.name() + "'", type.params(), values);
        type.check().accept(args);
        return args;
    }

    // ---- declarations and factories, step by step ----

    private static final List<StepParam> NEAR_DEDUP = List.of(
            StepParam.number("threshold", MinHashDedup.DEFAULT_THRESHOLD, closed(0, 1),
                    "Jaccard similarity above which one copy of a pair is removed; candidates are verified at it."),
            StepParam.integer("num_hashes", MinHashDedup.DEFAULT_NUM_HASHES, atLeast(1),
                    "Most hash functions; bands and rows are derived from the threshold within it."),
            StepParam.integer("ngram_size", MinHashDedup.DEFAULT_NGRAM_SIZE, atLeast(1), "Words per shingle."),
            StepParam.integer("seed", (int) MinHashDedup.DEFAULT_SEED, null, "Seed of the hash permutations."),
            StepParam.integer("bands", 0, atLeast(0), "Bands (with rows; 0: derived from the threshold)."),
            StepParam.integer("rows", 0, atLeast(0), "Rows per band (with bands; 0: derived from the threshold)."));

    /**
     * The MinHash settings of a {@code near_dedup} step: its bands and rows as given, or derived from the
     * threshold as {@link MinHashDedup#forThreshold} does.
     *
     * @param ngramSize words per shingle
     * @param bands signature bands
     * @param rows values per band
     * @param threshold the Jaccard estimate a candidate pair must reach to be removed
     * @param seed seed of the hash permutations
     */
    public record MinHashSettings(int ngramSize, int bands, int rows, double threshold, int seed) {
        /** The dedup these settings describe. */
        public MinHashDedup dedup() {
            return new MinHashDedup(ngramSize, bands, rows, threshold, seed);
        }
    }

    private static void checkBands(Args a) {
        int bands = a.integer("bands");
        int rows = a.integer("rows");
        if ((bands > 0) != (rows > 0)) {
            throw new IllegalArgumentException(WHY + "filter 'near_dedup' needs both bands and rows, or"
                    + " neither to derive them from the threshold (" + bands + ", " + rows + ")");
        }
        double threshold = a.number("threshold");
        if (bands == 0 && !(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException(WHY + "filter 'near_dedup' derives bands and rows from its"
                    + " threshold, which must then be between 0 and 1, exclusive (" + threshold + ")");
        }
    }

    private static MinHashSettings minHash(Args a) {
        int bands = a.integer("bands");
        int rows = a.integer("rows");
        if (bands == 0) {
            int[] derived = MinHashDedup.bandsAndRows(a.number("threshold"), a.integer("num_hashes"));
            bands = derived[0];
            rows = derived[1];
        }
        return new MinHashSettings(a.integer("ngram_size"), bands, rows, a.number("threshold"), a.integer("seed"));
    }

    private static final List<StepParam> GOPHER_QUALITY = List.of(
            StepParam.integer("min_doc_words", GopherQualityFilter.DEFAULT_MIN_DOC_WORDS, atLeast(0),
                    "Fewest words."),
            StepParam.integer("max_doc_words", GopherQualityFilter.DEFAULT_MAX_DOC_WORDS, atLeast(0), "Most words."),
            StepParam.number("min_avg_word_length", GopherQualityFilter.DEFAULT_MIN_AVG_WORD_LENGTH, atLeast(0),
                    "Shortest mean word length."),
            StepParam.number("max_avg_word_length", GopherQualityFilter.DEFAULT_MAX_AVG_WORD_LENGTH, atLeast(0),
                    "Longest mean word length."),
            StepParam.number("max_symbol_word_ratio", GopherQualityFilter.DEFAULT_MAX_SYMBOL_WORD_RATIO, atLeast(0),
                    "Most '#' (and, separately, ellipses) per word."),
            StepParam.number("max_bullet_lines_ratio", GopherQualityFilter.DEFAULT_MAX_BULLET_LINES_RATIO,
                    closed(0, 1), "Largest share of lines starting with a bullet."),
            StepParam.number("max_ellipsis_lines_ratio", GopherQualityFilter.DEFAULT_MAX_ELLIPSIS_LINES_RATIO,
                    closed(0, 1), "Largest share of lines ending with an ellipsis."),
            StepParam.number("max_non_alpha_words_ratio", GopherQualityFilter.DEFAULT_MAX_NON_ALPHA_WORDS_RATIO,
                    closed(0, 1), "Despite the reference's name, the least share of words with a letter."),
            StepParam.integer("min_stop_words", GopherQualityFilter.DEFAULT_MIN_STOP_WORDS, atLeast(0),
                    "Fewest stop words."),
            StepParam.of("stop_words", Type.STRINGS, new ArrayList<>(GopherQualityFilter.DEFAULT_STOP_WORDS),
                    "the be to of and that have with", "The stop words (matched case-sensitively)."));

    private static PipelineStep gopherQuality(Args a) {
        return Steps.filter(new GopherQualityFilter(a.integer("min_doc_words"), a.integer("max_doc_words"),
                a.number("min_avg_word_length"), a.number("max_avg_word_length"), a.number("max_symbol_word_ratio"),
                a.number("max_bullet_lines_ratio"), a.number("max_ellipsis_lines_ratio"),
                a.number("max_non_alpha_words_ratio"), a.integer("min_stop_words"),
                new HashSet<>(a.strings("stop_words"))));
    }

    private static final List<StepParam> GOPHER_REPETITION = List.of(
            StepParam.number("dup_line_frac", GopherRepetitionFilter.DEFAULT_DUP_LINE_FRAC, closed(0, 1),
                    "Largest share of duplicated lines."),
            StepParam.number("dup_para_frac", GopherRepetitionFilter.DEFAULT_DUP_PARA_FRAC, closed(0, 1),
                    "Largest share of duplicated paragraphs."),
            StepParam.number("dup_line_char_frac", GopherRepetitionFilter.DEFAULT_DUP_LINE_CHAR_FRAC, closed(0, 1),
                    "Largest share of characters in duplicated lines."),
            StepParam.number("dup_para_char_frac", GopherRepetitionFilter.DEFAULT_DUP_PARA_CHAR_FRAC, closed(0, 1),
                    "Largest share of characters in duplicated paragraphs."),
            StepParam.of("top_n_grams", Type.FRACTIONS_BY_N, GopherRepetitionFilter.DEFAULT_TOP_N_GRAMS,
                    "{2: 0.2, 3: 0.18, 4: 0.16}", "Per n, the largest share of characters the most frequent"
                            + " n-gram may cover."),
            StepParam.of("dup_n_grams", Type.FRACTIONS_BY_N, GopherRepetitionFilter.DEFAULT_DUP_N_GRAMS,
                    "{5: 0.15, ..., 10: 0.1}", "Per n, the largest share of characters in duplicated n-grams."));

    private static PipelineStep gopherRepetition(Args a) {
        return Steps.filter(new GopherRepetitionFilter(a.number("dup_line_frac"), a.number("dup_para_frac"),
                a.number("dup_line_char_frac"), a.number("dup_para_char_frac"), a.get("top_n_grams"),
                a.get("dup_n_grams")));
    }

    private static final List<StepParam> C4 = List.of(
            StepParam.bool("remove_citations", true, "Remove Wikipedia citations ([1], [edit])."),
            StepParam.bool("filter_no_terminal_punct", true, "Drop lines without terminal punctuation."),
            StepParam.integer("min_num_sentences", C4Rules.DEFAULT_MIN_NUM_SENTENCES, atLeast(0),
                    "Fewest sentences in the kept lines."),
            StepParam.integer("min_words_per_line", C4Rules.DEFAULT_MIN_WORDS_PER_LINE, atLeast(0),
                    "Fewest words in a kept line."),
            StepParam.integer("max_word_length", C4Rules.DEFAULT_MAX_WORD_LENGTH, atLeast(0),
                    "Drop lines with a longer word."),
            StepParam.bool("filter_lorem_ipsum", true, "Reject pages with lorem ipsum."),
            StepParam.bool("filter_javascript", true, "Drop lines that mention javascript."),
            StepParam.bool("filter_curly_bracket", true, "Reject pages with a curly bracket."),
            StepParam.bool("filter_policy", true, "Drop lines with a policy phrase (terms of use, cookies)."));

    private static C4Rules c4Rules(Args a) {
        return new C4Rules(a.bool("remove_citations"), a.bool("filter_no_terminal_punct"),
                a.integer("min_num_sentences"), a.integer("min_words_per_line"), a.integer("max_word_length"),
                a.bool("filter_lorem_ipsum"), a.bool("filter_javascript"), a.bool("filter_curly_bracket"),
                a.bool("filter_policy"));
    }

    private static final List<StepParam> FINEWEB = List.of(
            StepParam.number("line_punct_thr", FineWebQualityFilter.DEFAULT_LINE_PUNCT_THR, closed(0, 1),
                    "Reject when at most this share of lines ends in punctuation."),
            StepParam.bool("line_punct_exclude_zero", FineWebQualityFilter.DEFAULT_LINE_PUNCT_EXCLUDE_ZERO,
                    "Keep documents where no line ends in punctuation."),
            StepParam.number("short_line_thr", FineWebQualityFilter.DEFAULT_SHORT_LINE_THR, closed(0, 1),
                    "Reject when at least this share of lines is short."),
            StepParam.integer("short_line_length", FineWebQualityFilter.DEFAULT_SHORT_LINE_LENGTH, atLeast(0),
                    "Longest short line (characters)."),
            StepParam.number("char_duplicates_ratio", FineWebQualityFilter.DEFAULT_CHAR_DUPLICATES_RATIO,
                    closed(0, 1), "Reject when repeated lines hold at least this share of the characters."),
            StepParam.number("new_line_ratio", FineWebQualityFilter.DEFAULT_NEW_LINE_RATIO, atLeast(0),
                    "Reject above this many line breaks per word."));

    private static PipelineStep fineWeb(Args a) {
        return Steps.filter(new FineWebQualityFilter(a.number("line_punct_thr"), a.bool("line_punct_exclude_zero"),
                a.number("short_line_thr"), a.integer("short_line_length"), a.number("char_duplicates_ratio"),
                a.number("new_line_ratio")));
    }

    private static final List<StepParam> LANGUAGE = List.of(
            StepParam.of("languages", Type.LANGUAGES, LanguageFilter.DEFAULT_LANGUAGES, "all",
                    "Lingua languages to choose among."),
            StepParam.of("allowed", Type.LANGUAGES, LanguageFilter.DEFAULT_ALLOWED, "english", "Languages kept."),
            StepParam.number("min_confidence", LanguageFilter.DEFAULT_MIN_CONFIDENCE, closed(0, 1),
                    "Least confidence (relative distance to the second-best language)."),
            StepParam.number("min_share", LanguageFilter.DEFAULT_MIN_SHARE, closed(0, 1),
                    "Least share of words in the majority language."),
            StepParam.bool("low_accuracy", LanguageFilter.DEFAULT_LOW_ACCURACY, "Low-accuracy models only."),
            StepParam.integer("max_chunks", LanguageFilter.DEFAULT_MAX_CHUNKS, atLeast(1),
                    "40-word chunks read per document."));

    private static PipelineStep language(Args a) {
        return Steps.language(new LanguageFilter(a.<Set<Language>>get("languages"), a.get("allowed"),
                a.number("min_confidence"), a.number("min_share"), a.bool("low_accuracy"), a.integer("max_chunks")));
    }

    /** The fields of one {@code benchmarks} entry. */
    private static final List<StepParam> BENCHMARK = List.of(
            StepParam.string("path", null, "JSON lines file: a local path or a Hadoop URI.").mandatory(),
            StepParam.of("name", Type.STRING, null, "the file name", "Name in decontam_benchmark."),
            StepParam.string("question_field", "question", "Field of the question text."),
            StepParam.string("choices_field", "choices", "Field of the answer choices (optional in the file)."),
            StepParam.string("answer_field", "answer", "Field of the answer (optional in the file)."),
            StepParam.string("id_field", null, "Field of the item id (unset: the line number)."));

    private static final List<StepParam> DECONTAMINATE = List.of(
            StepParam.maps("benchmarks", BENCHMARK, "Benchmark files, each {path, name, question_field,"
                    + " choices_field, answer_field, id_field}.").mandatory(),
            StepParam.integer("max_items_per_ngram", BenchmarkIndex.DEFAULT_MAX_ITEMS_PER_NGRAM, atLeast(1),
                    "A 13-gram in more items than this does not contaminate."),
            StepParam.of("allow_list", Type.STRINGS, List.of(), "[]", "Texts whose 13-grams never contaminate."),
            StepParam.number("contaminated_at", Decontaminator.DEFAULT_CONTAMINATED_AT, Range.openClosed(0, 1),
                    "7-gram overlap from which a document is contaminated."),
            StepParam.number("partial_at", Decontaminator.DEFAULT_PARTIAL_AT, Range.openClosed(0, 1),
                    "7-gram overlap from which a document is partially contaminated."),
            StepParam.bool("reject_partial", false, "Reject partially contaminated documents too."));

    private static void checkBenchmarks(Args a) {
        if (a.entries("benchmarks").isEmpty()) {
            throw new IllegalArgumentException(WHY + "filter 'decontaminate' needs at least one benchmark"
                    + " (benchmarks)");
        }
    }

    private static List<BenchmarkSource> sources(Args a) {
        List<BenchmarkSource> sources = new ArrayList<>();
        for (Args b : a.entries("benchmarks")) {
            String path = b.string("path");
            String name = b.string("name");
            sources.add(new BenchmarkSource(name == null ? BenchmarkSource.fileName(path) : name, path,
                    b.string("question_field"), b.string("choices_field"), b.string("answer_field"),
                    b.string("id_field")));
        }
        return sources;
    }

    private static PipelineStep decontaminate(Args a) {
        List<BenchmarkSource> sources = sources(a);
        BenchmarkIndex index = BenchmarkIndex.build(sources, a.integer("max_items_per_ngram"), a.strings("allow_list"));
        return Steps.decontaminate(new Decontaminator(index, a.number("contaminated_at"), a.number("partial_at")),
                a.bool("reject_partial"));
    }

    // After the declarations above: static initialisers run in textual order.
    static {
        register("pii", "Redacts e-mails, phones, IP addresses, card numbers and secrets; rejects nothing.",
                List.of(StepParam.of("kinds", Type.STRINGS, PiiRedactor.KINDS, String.join(", ", PiiRedactor.KINDS),
                                "Kinds to redact."),
                        StepParam.of("phone_regions", Type.STRINGS, PiiRedactor.DEFAULT_PHONE_REGIONS, "US",
                                "ISO 3166 regions whose national phone numbers are recognised.")),
                a -> Steps.clean(new PiiRedactor(a.strings("kinds"), a.strings("phone_regions"))));
        register("exact_dedup", "Removes exact duplicates of the normalised text; keeps the smallest id.",
                List.of(), a -> Steps.exactDedup(new ExactDedup()));
        register("near_dedup", "MinHash near dedup; keeps the smallest id of each cluster (see Near dedup"
                + " parameters).", NEAR_DEDUP, StepSpecs::checkBands, a -> Steps.nearDedup(minHash(a).dedup()));
        register("gopher_quality", "Gopher quality rules (0 disables a threshold).", GOPHER_QUALITY,
                StepSpecs::gopherQuality);
        register("gopher_repetition", "Gopher repetition rules (0 disables a threshold).", GOPHER_REPETITION,
                StepSpecs::gopherRepetition);
        register("c4_quality", "C4 page rules: rejects a page with too few sentences, lorem ipsum or a curly"
                + " bracket.", C4, a -> Steps.filter(new C4QualityFilter(c4Rules(a))));
        register("c4_lines", "C4 line rules: removes the lines C4 drops; rejects nothing.", C4,
                a -> Steps.clean(new C4LineCleaner(c4Rules(a))));
        register("fineweb_quality", "FineWeb's extra quality rules.", FINEWEB, StepSpecs::fineWeb);
        register("language", "Lingua language identification; adds language and language_confidence.",
                LANGUAGE, StepSpecs::language);
        register("token_length", "Keeps documents within a token window (approximate counter).", List.of(
                StepParam.integer("min_tokens", TokenLengthFilter.DEFAULT_MIN_TOKENS, atLeast(0), "Fewest tokens."),
                StepParam.integer("max_tokens", TokenLengthFilter.DEFAULT_MAX_TOKENS, atLeast(0),
                        "Most tokens (0: no limit).")),
                a -> Steps.filter(new TokenLengthFilter(a.integer("min_tokens"), a.integer("max_tokens"),
                        TokenCounter.approximate())));
        register("decontaminate", "13-/7-gram benchmark decontamination; adds the decontam_* columns.",
                DECONTAMINATE, StepSpecs::checkBenchmarks, StepSpecs::decontaminate);
        TYPES.put("judge_score", new StepType("judge_score", "The Phi-4 judge's educational-value score (0 to"
                + " 5); adds judge_score.", true, List.of(StepParam.number("min_score",
                        JudgeScoreStep.DEFAULT_MIN_SCORE, closed(0, 5), "Lowest score kept.")), a -> { },
                (a, model) -> new JudgeScoreStep(model, a.number("min_score"))));
        TYPES.put("perplexity", new StepType("perplexity", "Perplexity under the model; adds perplexity.", true,
                List.of(StepParam.number("max_perplexity", 1000, Range.above(1), "Highest perplexity kept.")),
                a -> { }, (a, model) -> new PerplexityStep(model, a.number("max_perplexity"))));
    }

    // ---- documentation ----

    /**
     * Every step and its parameters as a Markdown table: a row per step (its meaning), then a row per
     * parameter with its type and range, default and meaning. {@code filters/README.md} carries it.
     */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder("| step | parameter | type | default | meaning |\n"
                + "|---|---|---|---|---|\n");
        for (StepType t : TYPES.values()) {
            out.append(String.format("| `%s` | | | | %s%s |%n", t.name(), t.needsModel() ? "Model-based. " : "",
                    cell(t.doc())));
            for (StepParam p : t.params()) {
                row(out, p.name(), p);
                for (StepParam f : p.fields()) {
                    row(out, p.name() + "[]." + f.name(), f);
                }
            }
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String name, StepParam p) {
        String type = p.type().shown() + (p.range() == null ? "" : " " + p.range());
        out.append(String.format("| | `%s` | %s | `%s` | %s |%n", name, type, cell(p.shownDefault()), cell(p.doc())));
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** The checked arguments of one step (or one entry of a list-of-maps parameter), defaults filled in. */
    static final class Args {
        private final String step;
        private final Map<String, Object> values;

        private Args(String step, Map<String, Object> values) {
            this.step = step;
            this.values = values;
        }

        /** Checks {@code given} against {@code params}: unknown names first, then each value. */
        static Args parse(String step, String owner, List<StepParam> params, Map<String, Object> given) {
            Map<String, StepParam> byName = new LinkedHashMap<>();
            params.forEach(p -> byName.put(p.name(), p));
            for (String key : given.keySet()) {
                if (!byName.containsKey(key)) {
                    String hint = byName.isEmpty() ? "it takes no parameters" : DidYouMean.hint(key, byName.keySet());
                    throw new IllegalArgumentException(WHY + "unknown parameter '" + key + "' for " + owner + " ("
                            + hint + ")");
                }
            }
            Map<String, Object> values = new LinkedHashMap<>();
            for (StepParam p : params) {
                Object raw = given.get(p.name());
                if (raw == null && p.required()) {
                    throw new IllegalArgumentException(WHY + owner + " has no '" + p.name() + "' (" + given + ")");
                }
                Object value = p.parse(raw, owner);
                values.put(p.name(), p.type() == Type.MAPS ? entries(step, owner, p, value) : value);
            }
            return new Args(step, values);
        }

        @SuppressWarnings("unchecked")
        private static List<Args> entries(String step, String owner, StepParam p, Object value) {
            List<Args> out = new ArrayList<>();
            List<Map<String, Object>> maps = (List<Map<String, Object>>) value;
            for (int i = 0; i < maps.size(); i++) {
                out.add(parse(step, p.name() + "[" + i + "] of " + owner, p.fields(),
                        new LinkedHashMap<>(maps.get(i))));
            }
            return out;
        }

        String step() {
            return step;
        }

        @SuppressWarnings("unchecked")
        <T> T get(String name) {
            if (!values.containsKey(name)) {
                throw new IllegalStateException("Cannot read step parameter: '" + name + "' is not declared for '"
                        + step + "'");
            }
            return (T) values.get(name);
        }

        int integer(String name) {
            return this.<Integer>get(name);
        }

        double number(String name) {
            return this.<Double>get(name);
        }

        boolean bool(String name) {
            return this.<Boolean>get(name);
        }

        String string(String name) {
            return get(name);
        }

        List<String> strings(String name) {
            return get(name);
        }

        List<Args> entries(String name) {
            return get(name);
        }
    }
}
