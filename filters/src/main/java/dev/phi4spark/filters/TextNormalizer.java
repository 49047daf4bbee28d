package dev.phi4spark.filters;

import java.util.ArrayList;
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
