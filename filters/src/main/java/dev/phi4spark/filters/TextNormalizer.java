package dev.phi4spark.filters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Normalisation used for exact dedup, near dedup and decontamination: lower case, punctuation and
 * symbols replaced by a space (so {@code "end.Start"} does not glue into one word), whitespace
 * collapsed to single spaces, ends trimmed.
 */
public final class TextNormalizer {
    private TextNormalizer() {}

    /** The normalised form of {@code text} ({@code null} gives the empty string). */
    public static String normalize(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isSeparator(c)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }

    /** The words of the normalised text. */
    public static List<String> words(String text) {
        String normalized = normalize(text);
        List<String> words = new ArrayList<>(normalized.length() / 5 + 1);
        int start = 0;
        for (int i = 0; i <= normalized.length(); i++) {
            if (i == normalized.length() || normalized.charAt(i) == ' ') {
                if (i > start) {
                    words.add(normalized.substring(start, i));
                }
                start = i + 1;
            }
        }
        return words;
    }

    /**
     * 64-bit hashes of the words of the normalised text, in order, computed without building it:
     * {@code wordHashes(t)[i] == wordHash(words(t).get(i))}. Near dedup hashes every word of every
     * document; building the lower-cased copy and a string per word cost more than the MinHash itself.
     */
    public static long[] wordHashes(String text) {
        if (text == null) {
            return new long[0];
        }
        long[] out = new long[Math.max(8, text.length() / 5)];
        int n = 0;
        long h = FNV_OFFSET;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 128 ? ASCII_SEPARATOR[c] : isSeparator(c)) {
                if (inWord) {
                    if (n == out.length) {
                        out = Arrays.copyOf(out, n * 2);
                    }
                    out[n++] = Murmur3.fmix64(h);
                    h = FNV_OFFSET;
                    inWord = false;
                }
            } else {
                h = (h ^ Character.toLowerCase(c)) * FNV_PRIME;
                inWord = true;
            }
        }
        if (inWord) {
            if (n == out.length) {
                out = Arrays.copyOf(out, n + 1);
            }
            out[n++] = Murmur3.fmix64(h);
        }
        return Arrays.copyOf(out, n);
    }

    /** The hash {@link #wordHashes} gives a word of the normalised text: FNV-1a over its chars, finalised. */
    public static long wordHash(String normalizedWord) {
        long h = FNV_OFFSET;
        for (int i = 0; i < normalizedWord.length(); i++) {
            h = (h ^ normalizedWord.charAt(i)) * FNV_PRIME;
        }
        return Murmur3.fmix64(h);
    }

    private static final long FNV_OFFSET = 0xCBF29CE484222325L;
    private static final long FNV_PRIME = 0x100000001B3L;
    private static final boolean[] ASCII_SEPARATOR = new boolean[128];

    static {
        for (char c = 0; c < 128; c++) {
            ASCII_SEPARATOR[c] = isSeparator(c);
        }
    }

    private static boolean isSeparator(char c) {
        if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
            return true;
        }
        switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
            case Character.MATH_SYMBOL:
            case Character.CURRENCY_SYMBOL:
            case Character.MODIFIER_SYMBOL:
            case Character.OTHER_SYMBOL:
            case Character.CONTROL:
                return true;
            default:
                return false;
        }
    }
}
