package dev.phi4spark.filters;

import java.util.Collection;

/**
 * The one "did you mean" of the project: the known name nearest to a mistyped one, for unknown config
 * keys, filter steps and step parameters alike, so every such message suggests by the same rule.
 */
public final class DidYouMean {

    private DidYouMean() {}

    /**
     * The known name nearest to {@code given} by edit distance, or null when none is close: at most half
     * the longer name's length apart (at least 2), so a typo or a missing word part ({@code question} for
     * {@code question_field}) is found and an unrelated name is not offered.
     */
    public static String nearest(String given, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = editDistance(given, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(2, Math.max(given.length(), best.length()) / 2)
                ? best : null;
    }

    /** {@code did you mean 'x'?} for the nearest known name, else {@code known: a, b, c}. */
    public static String hint(String given, Collection<String> known) {
        String near = nearest(given, known);
        return near != null ? "did you mean '" + near + "'?" : "known: " + String.join(", ", known);
    }

    /** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
    public static int editDistance(String a, String b) {
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
}
