package dev.phi4spark.udf.tokenizer;

/** UTF-16 repairs needed before text crosses into the native (UTF-8) tokenizer. */
final class Utf16 {

    private static final char REPLACEMENT = '\uFFFD';

    private Utf16() {}

    /**
     * Replaces each surrogate that is not part of a high-low pair with U+FFFD, as a UTF-8 encoder
     * would; Java strings can hold them, UTF-8 cannot. Returns {@code text} itself when it has none.
     */
    static String replaceLoneSurrogates(String text) {
        int first = firstLoneSurrogate(text, 0);
        if (first < 0) {
            return text;
        }
        StringBuilder repaired = new StringBuilder(text);
        for (int i = first; i >= 0; i = firstLoneSurrogate(text, i + 1)) {
            repaired.setCharAt(i, REPLACEMENT);
        }
        return repaired.toString();
    }

    private static int firstLoneSurrogate(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
