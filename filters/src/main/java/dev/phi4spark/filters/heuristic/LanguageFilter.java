package dev.phi4spark.filters.heuristic;

import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps documents written in an allowed language, detected with Lingua.
 *
 * <p>Lingua 1.2's confidence values are relative (the best language always scores 1.0), so they
 * cannot carry an absolute threshold. The confidence used here is instead the share of the
 * document's words, taken in chunks of {@value #CHUNK_WORDS} words, that Lingua assigns to the
 * document's majority language; chunks Lingua cannot tell apart (closer than {@code
 * minRelativeDistance}) count against it. A mixed-language page or gibberish therefore gets a low
 * confidence. Only the first {@code maxChunks} chunks are read, which bounds the cost on long
 * documents.
 *
 * <p>Defaults ({@link #LanguageFilter()}): detect among English, French, German, Spanish, Italian
 * and Portuguese (a small set keeps start-up time and memory low: each language model is loaded
 * once per JVM); allow English; minimum confidence 0.65 (the fastText-based default of datatrove);
 * Lingua's low-accuracy mode (trigram models only, reliable on 40-word chunks and several times
 * lighter); minimum relative distance 0.0; 10 chunks (the first 400 words).
 *
 * <p>Reasons: {@code language_low_confidence} (no language reaches the minimum confidence, which
 * includes text with no letters), {@code language_not_allowed}.
 *
 * <p>The detector is not serialised: each executor JVM builds it lazily, once per configuration,
 * and shares it between tasks.
 */
public final class LanguageFilter implements DocumentFilter {
    private static final long serialVersionUID = 1L;
    static final int CHUNK_WORDS = 40;
    private static final Map<DetectorConfig, LanguageDetector> DETECTORS = new ConcurrentHashMap<>();

    public static final Set<Language> DEFAULT_LANGUAGES = EnumSet.of(Language.ENGLISH,
            Language.FRENCH, Language.GERMAN, Language.SPANISH, Language.ITALIAN, Language.PORTUGUESE);
    public static final Set<Language> DEFAULT_ALLOWED = EnumSet.of(Language.ENGLISH);
    public static final double DEFAULT_MIN_CONFIDENCE = 0.65;
    public static final boolean DEFAULT_LOW_ACCURACY = true;
    public static final double DEFAULT_MIN_RELATIVE_DISTANCE = 0.0;
    public static final int DEFAULT_MAX_CHUNKS = 10;

    private final DetectorConfig config;
    private final EnumSet<Language> allowed;
    private final double minConfidence;
    private final int maxChunks;
    private transient LanguageDetector detector;

    /** The defaults (see class Javadoc). */
    public LanguageFilter() {
        this(DEFAULT_LANGUAGES, DEFAULT_ALLOWED, DEFAULT_MIN_CONFIDENCE, DEFAULT_LOW_ACCURACY,
                DEFAULT_MIN_RELATIVE_DISTANCE, DEFAULT_MAX_CHUNKS);
    }

    /**
     * @param languages languages Lingua chooses between
     * @param allowed languages that are kept; each must be in {@code languages}
     */
    public LanguageFilter(Set<Language> languages, Set<Language> allowed, double minConfidence,
            boolean lowAccuracy, double minRelativeDistance, int maxChunks) {
        if (languages.size() < 2) {
            throw new IllegalArgumentException("Cannot create language filter: Lingua needs at least two"
                    + " languages to choose from (" + languages + ")");
        }
        if (!languages.containsAll(allowed) || allowed.isEmpty()) {
            throw new IllegalArgumentException("Cannot create language filter: the allowed languages"
                    + " must be a non-empty subset of the detected ones (" + allowed + ")");
        }
        this.config = new DetectorConfig(EnumSet.copyOf(languages), lowAccuracy, minRelativeDistance);
        this.allowed = EnumSet.copyOf(allowed);
        this.minConfidence = minConfidence;
        this.maxChunks = maxChunks;
    }

    @Override
    public String name() {
        return "language";
    }

    @Override
    public FilterResult apply(String text) {
        Detection detection = detect(text == null ? "" : text);
        if (detection.language() == null || detection.confidence() < minConfidence) {
            return FilterResult.reject("language_low_confidence");
        }
        if (!allowed.contains(detection.language())) {
            return FilterResult.reject("language_not_allowed");
        }
        return FilterResult.keep();
    }

    /** The majority language (null when none) and its word-weighted share of the chunks. */
    public record Detection(Language language, double confidence) {}

    /** Detects the language of {@code text} as described in the class Javadoc. */
    public Detection detect(String text) {
        LanguageDetector d = detector();
        Map<Language, Integer> wordsPerLanguage = new EnumMap<>(Language.class);
        int totalWords = 0;
        for (Chunk chunk : chunks(text, maxChunks)) {
            totalWords += chunk.words();
            Language language = d.detectLanguageOf(chunk.text());
            if (language != Language.UNKNOWN) {
                wordsPerLanguage.merge(language, chunk.words(), Integer::sum);
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
        return new Detection(best, totalWords == 0 ? 0.0 : (double) bestWords / totalWords);
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
            chunks.add(new Chunk(String.join(" ", java.util.Arrays.asList(words).subList(start, end)),
                    end - start));
            start = end - CHUNK_WORDS;
        }
        return chunks;
    }

    private LanguageDetector detector() {
        LanguageDetector d = detector;
        if (d == null) {
            d = DETECTORS.computeIfAbsent(config, DetectorConfig::build);
            detector = d;
        }
        return d;
    }

    private record DetectorConfig(EnumSet<Language> languages, boolean lowAccuracy,
            double minRelativeDistance) implements java.io.Serializable {
        LanguageDetector build() {
            LanguageDetectorBuilder builder =
                    LanguageDetectorBuilder.fromLanguages(languages.toArray(new Language[0]))
                            .withMinimumRelativeDistance(minRelativeDistance);
            if (lowAccuracy) {
                builder = builder.withLowAccuracyMode();
            }
            return builder.build();
        }
    }
}
