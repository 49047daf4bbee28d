package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import dev.phi4spark.filters.Murmur3;
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
        HashedWords words = new HashedWords(Words.tokenize(text));
        for (Map.Entry<Integer, Double> e : topNGrams.entrySet()) {
            int n = e.getKey();
            if (e.getValue() > 0 && words.size() >= n
                    && (double) words.topNGramChars(n) / text.length() > e.getValue()) {
                return reject("top_" + n + "_gram");
            }
        }
        for (Map.Entry<Integer, Double> e : dupNGrams.entrySet()) {
            int n = e.getKey();
            if (e.getValue() > 0 && words.size() >= n
                    && (double) words.duplicatedNGramChars(n) / text.length() > e.getValue()) {
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
        return new HashedWords(words).topNGramChars(n);
    }

    /** Characters in repeated n-grams, skipping past each repeat so overlaps count once. */
    static long duplicatedNGramChars(List<String> words, int n) {
        return new HashedWords(words).duplicatedNGramChars(n);
    }

    /** The string-keyed reference for {@link #topNGramChars}; the tests compare the two. */
    static long topNGramCharsByString(List<String> words, int n) {
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

    /** The string-keyed reference for {@link #duplicatedNGramChars}. */
    static long duplicatedNGramCharsByString(List<String> words, int n) {
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

    /**
     * The tokens as 64-bit hashes with prefix sums of their lengths: an n-gram is then a hash
     * combination and a length difference, with no string built (the string version made this
     * filter the slowest of the stack). Two different n-grams collide with probability about
     * 2^-64 per pair.
     */
    static final class HashedWords {
        private final long[] hashes;
        private final int[] lengthBefore;
        private long[] grams;
        private int gramN;
        private LongIntMap counts;

        HashedWords(List<String> words) {
            hashes = new long[words.size()];
            lengthBefore = new int[words.size() + 1];
            for (int i = 0; i < hashes.length; i++) {
                String w = words.get(i);
                hashes[i] = wordHash(w);
                lengthBefore[i + 1] = lengthBefore[i] + w.length();
            }
        }

        int size() {
            return hashes.length;
        }

        /** 64-bit FNV-1a over the characters, finalised (String.hashCode collides too easily). */
        private static long wordHash(String w) {
            long h = 0xCBF29CE484222325L;
            for (int i = 0; i < w.length(); i++) {
                h = (h ^ w.charAt(i)) * 0x100000001B3L;
            }
            return Murmur3.fmix64(h);
        }

        /**
         * The hashes of all n-grams, built from those of the (n-1)-grams: one mixing step per
         * position and n, since the filter asks for n = 2, 3, ... in increasing order.
         */
        private long[] grams(int n) {
            if (n < gramN || grams == null) {
                grams = new long[hashes.length];
                for (int i = 0; i < hashes.length; i++) {
                    grams[i] = Murmur3.fmix64(hashes[i]);
                }
                gramN = 1;
            }
            for (; gramN < n; gramN++) {
                for (int i = 0; i + gramN < hashes.length; i++) {
                    grams[i] = Murmur3.fmix64(grams[i] * 31 + hashes[i + gramN]);
                }
            }
            return grams;
        }

        private LongIntMap emptyMap() {
            if (counts == null) {
                counts = new LongIntMap(hashes.length);
            } else {
                counts.clear();
            }
            return counts;
        }

        /** Characters of the n-gram at {@code at} joined by single spaces. */
        private int chars(int at, int n) {
            return lengthBefore[at + n] - lengthBefore[at] + n - 1;
        }

        long topNGramChars(int n) {
            LongIntMap counts = emptyMap();
            long[] g = grams(n);
            int best = -1;
            int bestCount = 0;
            for (int i = 0; i + n <= hashes.length; i++) {
                int c = counts.increment(g[i]);
                if (c > bestCount) {
                    bestCount = c;
                    best = i;
                }
            }
            return best < 0 ? 0 : (long) chars(best, n) * bestCount;
        }

        long duplicatedNGramChars(int n) {
            LongIntMap seen = emptyMap();
            long[] g = grams(n);
            long chars = 0;
            int i = 0;
            while (i + n <= hashes.length) {
                if (seen.increment(g[i]) == 1) {
                    i++;
                } else {
                    chars += chars(i, n);
                    i += n;
                }
            }
            return chars;
        }
    }

    /**
     * Open-addressing map from a long key to a count, cleared in O(1) by a generation stamp so one
     * map serves every n of a document (nine passes would otherwise allocate and zero nine tables).
     */
    static final class LongIntMap {
        private final long[] keys;
        private final int[] values;
        private final int[] stamps;
        private final int mask;
        private int generation = 1;

        LongIntMap(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
            keys = new long[capacity];
            values = new int[capacity];
            stamps = new int[capacity];
            mask = capacity - 1;
        }

        /** Forgets every key. */
        void clear() {
            generation++;
        }

        /** Adds one to the count of {@code key} and returns the new count. */
        int increment(long key) {
            int slot = (int) (key ^ (key >>> 32)) & mask;
            while (stamps[slot] == generation && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            if (stamps[slot] != generation) {
                stamps[slot] = generation;
                keys[slot] = key;
                values[slot] = 0;
            }
            return ++values[slot];
        }
    }
}
