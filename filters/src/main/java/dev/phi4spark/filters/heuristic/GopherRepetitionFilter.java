package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import dev.phi4spark.filters.Words;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Gopher repetition rules (Rae et al. 2021, table A1; datatrove {@code GopherRepetitionFilter}).
 *
 * <p>Defaults ({@link #GopherRepetitionFilter()}): duplicate paragraph fraction 0.3 and duplicate
 * paragraph character fraction 0.2, duplicate line fraction 0.3 and character fraction 0.2; the
 * most frequent 2-, 3-, 4-gram may cover at most 0.20, 0.18, 0.16 of the characters; duplicated 5-
 * to 10-grams at most 0.15, 0.14, 0.13, 0.12, 0.11, 0.10. Character fractions are over the length
 * of the whole text. A threshold of 0 disables its check.
 *
 * <p>Duplicated n-grams are counted as the paper describes: scanning left to right, a repeated
 * n-gram adds its characters and the scan jumps past it, so overlapping repeats are not counted
 * twice. Blank lines are left out of the line statistics (datatrove counts them, which rejects
 * any page of more than a handful of blank-line-separated paragraphs as {@code dup_line_frac}).
 * (datatrove's {@code find_all_duplicate} is passed the list of n-grams rather than words,
 * which measures joins of n consecutive n-grams; this class does not copy that slip.)
 *
 * <p>Reasons: {@code gopher_repetition_dup_para_frac}, {@code gopher_repetition_dup_para_char_frac},
 * {@code gopher_repetition_dup_line_frac}, {@code gopher_repetition_dup_line_char_frac}, {@code
 * gopher_repetition_top_<n>_gram}, {@code gopher_repetition_duplicated_<n>_n_grams}.
 */
public final class GopherRepetitionFilter implements DocumentFilter {
    private static final long serialVersionUID = 1L;
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\n{2,}");

    public static final double DEFAULT_DUP_LINE_FRAC = 0.3;
    public static final double DEFAULT_DUP_PARA_FRAC = 0.3;
    public static final double DEFAULT_DUP_LINE_CHAR_FRAC = 0.2;
    public static final double DEFAULT_DUP_PARA_CHAR_FRAC = 0.2;
    public static final SortedMap<Integer, Double> DEFAULT_TOP_N_GRAMS =
            new TreeMap<>(Map.of(2, 0.20, 3, 0.18, 4, 0.16));
    public static final SortedMap<Integer, Double> DEFAULT_DUP_N_GRAMS =
            new TreeMap<>(Map.of(5, 0.15, 6, 0.14, 7, 0.13, 8, 0.12, 9, 0.11, 10, 0.10));

    private final double dupLineFrac;
    private final double dupParaFrac;
    private final double dupLineCharFrac;
    private final double dupParaCharFrac;
    private final TreeMap<Integer, Double> topNGrams;
    private final TreeMap<Integer, Double> dupNGrams;

    /** The published defaults (see class Javadoc). */
    public GopherRepetitionFilter() {
        this(DEFAULT_DUP_LINE_FRAC, DEFAULT_DUP_PARA_FRAC, DEFAULT_DUP_LINE_CHAR_FRAC,
                DEFAULT_DUP_PARA_CHAR_FRAC, DEFAULT_TOP_N_GRAMS, DEFAULT_DUP_N_GRAMS);
    }

    /**
     * @param topNGrams n to the largest allowed character fraction of the most frequent n-gram
     * @param dupNGrams n to the largest allowed character fraction of duplicated n-grams
     */
    public GopherRepetitionFilter(double dupLineFrac, double dupParaFrac, double dupLineCharFrac,
            double dupParaCharFrac, Map<Integer, Double> topNGrams, Map<Integer, Double> dupNGrams) {
        this.dupLineFrac = dupLineFrac;
        this.dupParaFrac = dupParaFrac;
        this.dupLineCharFrac = dupLineCharFrac;
        this.dupParaCharFrac = dupParaCharFrac;
        this.topNGrams = new TreeMap<>(topNGrams);
        this.dupNGrams = new TreeMap<>(dupNGrams);
    }

    @Override
    public String name() {
        return "gopher_repetition";
    }

    @Override
    public FilterResult apply(String text) {
        text = text == null ? "" : text;
        if (text.isEmpty()) {
            return FilterResult.keep();
        }
        String[] paragraphs = PARAGRAPH_BREAK.split(text.strip(), -1);
        long[] paraDups = findDuplicates(paragraphs);
        if (dupParaFrac > 0 && (double) paraDups[0] / paragraphs.length > dupParaFrac) {
            return reject("dup_para_frac");
        }
        if (dupParaCharFrac > 0 && (double) paraDups[1] / text.length() > dupParaCharFrac) {
            return reject("dup_para_char_frac");
        }
        String[] lines = nonBlank(Words.splitLines(text));
        long[] lineDups = findDuplicates(lines);
        if (dupLineFrac > 0 && lines.length > 0 && (double) lineDups[0] / lines.length > dupLineFrac) {
            return reject("dup_line_frac");
        }
        if (dupLineCharFrac > 0 && (double) lineDups[1] / text.length() > dupLineCharFrac) {
            return reject("dup_line_char_frac");
        }
        List<String> words = Words.tokenize(text);
        for (Map.Entry<Integer, Double> e : topNGrams.entrySet()) {
            int n = e.getKey();
            if (e.getValue() > 0 && words.size() >= n
                    && (double) topNGramChars(words, n) / text.length() > e.getValue()) {
                return reject("top_" + n + "_gram");
            }
        }
        for (Map.Entry<Integer, Double> e : dupNGrams.entrySet()) {
            int n = e.getKey();
            if (e.getValue() > 0 && words.size() >= n
                    && (double) duplicatedNGramChars(words, n) / text.length() > e.getValue()) {
                return reject("duplicated_" + n + "_n_grams");
            }
        }
        return FilterResult.keep();
    }

    // Blank lines separate paragraphs; counting them as repeated lines would reject any page with
    // more than a few paragraphs.
    private static String[] nonBlank(String[] lines) {
        return java.util.Arrays.stream(lines).filter(l -> !l.isBlank()).toArray(String[]::new);
    }

    private static FilterResult reject(String reason) {
        return FilterResult.reject("gopher_repetition_" + reason);
    }

    /** {number of repeated elements, characters in the repeats}, first occurrences excluded. */
    static long[] findDuplicates(String[] elements) {
        Set<String> seen = new HashSet<>();
        long count = 0;
        long chars = 0;
        for (String element : elements) {
            if (!seen.add(element)) {
                count++;
                chars += element.length();
            }
        }
        return new long[] {count, chars};
    }

    /** Characters of the most frequent n-gram times its count; ties go to the first to reach it. */
    static long topNGramChars(List<String> words, int n) {
        Map<String, Integer> counts = new HashMap<>();
        String best = null;
        int bestCount = 0;
        for (int i = 0; i + n <= words.size(); i++) {
            String gram = String.join(" ", words.subList(i, i + n));
            int c = counts.merge(gram, 1, Integer::sum);
            if (c > bestCount) {
                bestCount = c;
                best = gram;
            }
        }
        return best == null ? 0 : (long) best.length() * bestCount;
    }

    /** Characters in repeated n-grams, skipping past each repeat so overlaps count once. */
    static long duplicatedNGramChars(List<String> words, int n) {
        Set<String> seen = new HashSet<>();
        long chars = 0;
        int i = 0;
        while (i + n <= words.size()) {
            String gram = String.join(" ", words.subList(i, i + n));
            if (seen.add(gram)) {
                i++;
            } else {
                chars += gram.length();
                i += n;
            }
        }
        return chars;
    }
}
