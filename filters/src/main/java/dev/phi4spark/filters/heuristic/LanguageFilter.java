package dev.phi4spark.filters.heuristic;

import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps documents written in an allowed language, detected with Lingua among all the languages it
 * knows (or a configured set).
 *
 * <p>The text is read in chunks of {@value #CHUNK_WORDS} words (only the first {@code maxChunks},
 * which bounds the cost on long documents). For each chunk Lingua ranks the languages; its
 * confidence is Lingua's own relative distance between the best and the second-best language (the
 * quantity Lingua's {@code withMinimumRelativeDistance} thresholds): 0 when Lingua cannot tell
 * them apart, about 0.3 for a typical sentence, less between close languages such as Spanish and
 * Portuguese. The document's language is the one most of its words were assigned to; its {@code
 * share} is that fraction of the words and its confidence the word-weighted mean of the chunk
 * confidences (chunks of another language count 0), so a mixed page scores low on both.
 *
 * <p>Accuracy and cost: Lingua's low-accuracy mode (trigram models, about 140 MB for all
 * languages) detects every chunk; a chunk under 120 characters, where trigrams alone are least
 * reliable, is detected again in high-accuracy mode among the three best candidates only, so the
 * 1- to 5-gram models are loaded just for the languages short texts actually come in. With {@code
 * lowAccuracy} the second pass is skipped. Each model is loaded once per JVM and shared.
 *
 * <p>Defaults ({@link #LanguageFilter()}): all Lingua languages, allow English, minimum confidence
 * {@value #DEFAULT_MIN_CONFIDENCE}, minimum share {@value #DEFAULT_MIN_SHARE}, high-accuracy second
 * pass on, 10 chunks (the first 400 words).
 *
 * <p>Reasons: {@code language_low_confidence} (no language detected, which includes text with no
 * letters, or confidence or share under the minimum) and {@code language_not_allowed: <code>}
 * (the ISO 639-1 code of the detected language, such as {@code nl}).
 */
public final class LanguageFilter implements DocumentFilter {
    private static final long serialVersionUID = 2L;
    static final int CHUNK_WORDS = 40;
    /** Lingua uses all n-gram orders only below this many characters. */
    private static final int SHORT_CHUNK_CHARS = 120;
    private static final int CANDIDATES = 3;
    private static final Map<Set<Language>, LanguageDetector> LOW = new ConcurrentHashMap<>();
    private static final Map<Set<Language>, LanguageDetector> HIGH = new ConcurrentHashMap<>();

    public static final Set<Language> DEFAULT_LANGUAGES = allLanguages();
    public static final Set<Language> DEFAULT_ALLOWED = EnumSet.of(Language.ENGLISH);
    public static final double DEFAULT_MIN_CONFIDENCE = 0.02;
    public static final double DEFAULT_MIN_SHARE = 0.6;
    public static final boolean DEFAULT_LOW_ACCURACY = false;
    public static final int DEFAULT_MAX_CHUNKS = 10;

    private final EnumSet<Language> languages;
    private final EnumSet<Language> allowed;
    private final double minConfidence;
    private final double minShare;
    private final boolean lowAccuracy;
    private final int maxChunks;

    /** The defaults (see class Javadoc). */
    public LanguageFilter() {
        this(DEFAULT_LANGUAGES, DEFAULT_ALLOWED, DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_SHARE,
                DEFAULT_LOW_ACCURACY, DEFAULT_MAX_CHUNKS);
    }

    /**
     * @param languages languages Lingua chooses between (at least two)
     * @param allowed languages that are kept; each must be in {@code languages}
     * @param minConfidence minimum document confidence (Lingua's relative distance, 0 to 1)
     * @param minShare minimum fraction of the words in the document's language
     * @param lowAccuracy skip the high-accuracy second pass on short chunks
     */
    public LanguageFilter(Set<Language> languages, Set<Language> allowed, double minConfidence,
            double minShare, boolean lowAccuracy, int maxChunks) {
        if (languages.size() < 2) {
            throw new IllegalArgumentException("Cannot create language filter: Lingua needs at least two"
                    + " languages to choose from (" + languages + ")");
        }
        if (!languages.containsAll(allowed) || allowed.isEmpty()) {
            throw new IllegalArgumentException("Cannot create language filter: the allowed languages"
                    + " must be a non-empty subset of the detected ones (" + allowed + ")");
        }
        this.languages = EnumSet.copyOf(languages);
        this.allowed = EnumSet.copyOf(allowed);
        this.minConfidence = minConfidence;
        this.minShare = minShare;
        this.lowAccuracy = lowAccuracy;
        this.maxChunks = maxChunks;
    }

    /** Every language Lingua knows. */
    public static Set<Language> allLanguages() {
        Set<Language> all = EnumSet.allOf(Language.class);
        all.remove(Language.UNKNOWN);
        return all;
    }

    @Override
    public String name() {
        return "language";
    }

    @Override
    public FilterResult apply(String text) {
        return judge(detect(text == null ? "" : text));
    }

    /** The verdict on a detection: keep, low confidence, or not allowed with the language code. */
    public FilterResult judge(Detection detection) {
        if (detection.language() == null || detection.confidence() < minConfidence
                || detection.share() < minShare) {
            return FilterResult.reject("language_low_confidence");
        }
        if (!allowed.contains(detection.language())) {
            return FilterResult.reject("language_not_allowed: " + detection.code());
        }
        return FilterResult.keep();
    }

    /**
     * The majority language (null when none), its confidence and its share of the words.
     */
    public record Detection(Language language, double confidence, double share) {
        /** ISO 639-1 code of the language in lower case, or null. */
        public String code() {
            return language == null ? null
                    : language.getIsoCode639_1().toString().toLowerCase(Locale.ROOT);
        }
    }

    /** Detects the language of {@code text} as described in the class Javadoc. */
    public Detection detect(String text) {
        Map<Language, Integer> wordsPerLanguage = new EnumMap<>(Language.class);
        Map<Language, Double> confidencePerLanguage = new EnumMap<>(Language.class);
        int totalWords = 0;
        for (Chunk chunk : chunks(text == null ? "" : text, maxChunks)) {
            totalWords += chunk.words();
            Ranked ranked = rank(chunk.text());
            if (ranked != null) {
                wordsPerLanguage.merge(ranked.best(), chunk.words(), Integer::sum);
                confidencePerLanguage.merge(ranked.best(), ranked.distance() * chunk.words(), Double::sum);
            }
        }
        Language best = null;
        int bestWords = 0;
        for (Map.Entry<Language, Integer> e : wordsPerLanguage.entrySet()) {
            if (e.getValue() > bestWords) {
                best = e.getKey();
                bestWords = e.getValue();
            }
        }
        if (best == null) {
            return new Detection(null, 0.0, 0.0);
        }
        return new Detection(best, confidencePerLanguage.get(best) / totalWords,
                (double) bestWords / totalWords);
    }

    /** Best language of one chunk and Lingua's relative distance to the runner-up. */
    private record Ranked(Language best, double distance, List<Language> top) {}

    private Ranked rank(String chunk) {
        Ranked low = ranked(LOW.computeIfAbsent(languages, l -> build(l, true))
                .computeLanguageConfidenceValues(chunk));
        if (lowAccuracy || chunk.length() >= SHORT_CHUNK_CHARS) {
            return low;
        }
        Set<Language> candidates = low == null || low.top().size() < 2 ? languages : EnumSet.copyOf(low.top());
        Ranked high = ranked(HIGH.computeIfAbsent(candidates, l -> build(l, false))
                .computeLanguageConfidenceValues(chunk));
        return high == null ? low : high;
    }

    private static Ranked ranked(SortedMap<Language, Double> values) {
        Iterator<Map.Entry<Language, Double>> it = values.entrySet().iterator();
        if (!it.hasNext()) {
            return null;
        }
        Map.Entry<Language, Double> first = it.next();
        if (first.getKey() == Language.UNKNOWN || first.getValue() <= 0) {
            return null;
        }
        List<Language> top = new ArrayList<>(List.of(first.getKey()));
        double second = 0;
        while (it.hasNext() && top.size() < CANDIDATES) {
            Map.Entry<Language, Double> next = it.next();
            if (top.size() == 1) {
                second = next.getValue();
            }
            top.add(next.getKey());
        }
        return new Ranked(first.getKey(), first.getValue() - second, top);
    }

    private static LanguageDetector build(Set<Language> languages, boolean lowAccuracy) {
        LanguageDetectorBuilder builder = LanguageDetectorBuilder.fromLanguages(
                languages.toArray(new Language[0]));
        return lowAccuracy ? builder.withLowAccuracyMode().build() : builder.build();
    }

    private record Chunk(String text, int words) {}

    private static List<Chunk> chunks(String text, int maxChunks) {
        List<Chunk> chunks = new ArrayList<>();
        String[] words = text.strip().split("\\s+");
        if (words.length == 1 && words[0].isEmpty()) {
            return chunks;
        }
        for (int start = 0; start < words.length && chunks.size() < maxChunks; start += CHUNK_WORDS) {
            int end = Math.min(words.length, start + CHUNK_WORDS);
            // A short tail is folded into the previous chunk: a few words alone detect poorly.
            if (end < words.length && words.length - end < CHUNK_WORDS / 2) {
                end = words.length;
            }
            chunks.add(new Chunk(String.join(" ", Arrays.asList(words).subList(start, end)), end - start));
            start = end - CHUNK_WORDS;
        }
        return chunks;
    }
}
