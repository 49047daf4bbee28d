package dev.phi4spark.filters;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Word tokenisation shared by the heuristic filters.
 *
 * <p>It approximates NLTK's {@code word_tokenize} (which the datatrove reference filters use)
 * without its cost: a word is a run of letters, digits or {@code _}, which may contain single inner
 * apostrophes or hyphens ({@code don't}, {@code state-of-the-art}); every other non-space character
 * is a token of its own ({@code .}, {@code ,}, {@code #}, {@code •}).
 */
public final class Words {
    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private Words() {}

    /**
     * The last text tokenised on this thread and its tokens. The filters of a stack are applied one
     * after another to the same string, and three of them tokenise it: the second and third asking
     * get the first one's tokens (the string is compared by identity, so no text is ever mistaken for
     * another).
     */
    private static final ThreadLocal<Object[]> LAST = ThreadLocal.withInitial(() -> new Object[2]);

    /** Tokens of {@code text}, words and punctuation, in order; the list is unmodifiable. */
    public static List<String> tokenize(String text) {
        Object[] last = LAST.get();
        if (last[0] == text) {
            @SuppressWarnings("unchecked")
            List<String> cached = (List<String>) last[1];
            return cached;
        }
        List<String> tokens = Collections.unmodifiableList(split(text));
        last[0] = text;
        last[1] = tokens;
        return tokens;
    }

    private static List<String> split(String text) {
        List<String> tokens = new ArrayList<>(Math.max(16, text.length() / 5));
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (isWordChar(c)) {
                int start = i;
                i++;
                while (i < n) {
                    char d = text.charAt(i);
                    if (isWordChar(d)) {
                        i++;
                    } else if ((d == '\'' || d == '-' || d == '\u2019') && i + 1 < n
                            && isWordChar(text.charAt(i + 1))) {
                        i += 2;
                    } else {
                        break;
                    }
                }
                tokens.add(text.substring(start, i));
            } else {
                int start = i;
                i += Character.isHighSurrogate(c) && i + 1 < n ? 2 : 1;
                tokens.add(text.substring(start, i));
            }
        }
        return tokens;
    }

    /** True for a one-character token that Python's {@code string.punctuation} contains. */
    public static boolean isPunctuation(String token) {
        return token.length() == 1 && ASCII_PUNCTUATION.indexOf(token.charAt(0)) >= 0;
    }

    /** True when {@code token} has at least one alphabetic character. */
    public static boolean hasAlpha(String token) {
        for (int i = 0; i < token.length(); i++) {
            if (Character.isLetter(token.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Lines as Python's {@code str.splitlines()} gives them: no trailing empty line. */
    public static String[] splitLines(String text) {
        if (text.isEmpty()) {
            return new String[0];
        }
        return trimTrailingEmpty(text.split("\\R", -1));
    }

    private static String[] trimTrailingEmpty(String[] parts) {
        // splitlines() drops only the one empty piece after a final line break.
        if (parts.length > 0 && parts[parts.length - 1].isEmpty()) {
            String[] out = new String[parts.length - 1];
            System.arraycopy(parts, 0, out, 0, out.length);
            return out;
        }
        return parts;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || Character.isSurrogate(c) && !Character.isWhitespace(c);
    }
}
