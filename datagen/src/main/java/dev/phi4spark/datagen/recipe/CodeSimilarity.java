package dev.phi4spark.datagen.recipe;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How alike two pieces of code are, for {@link InstructionReversal}: the Jaccard index of their sets of
 * token shingles.
 *
 * <p>Tokens are identifiers, numbers and single other non-space characters, so whitespace and layout
 * do not count but names, literals and operators do. A shingle is {@code n} consecutive tokens (code
 * shorter than {@code n} tokens is one shingle). The similarity is |A ∩ B| / |A ∪ B| over the two sets
 * of shingles: 1 for the same token sequence, 0 for nothing in common; two empty snippets count as
 * equal.
 */
public final class CodeSimilarity {

    /** The default shingle length. */
    public static final int DEFAULT_SHINGLE = 3;

    private static final Pattern TOKEN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*|\\d+(?:\\.\\d+)?|\\S");
    private static final Pattern FENCE = Pattern.compile("```[^\\n`]*\\n(.*?)```", Pattern.DOTALL);

    private CodeSimilarity() {
    }

    /** The Jaccard index of the two snippets' {@code n}-token shingles. */
    public static double jaccard(String a, String b, int n) {
        Set<String> sa = shingles(a, n);
        Set<String> sb = shingles(b, n);
        if (sa.isEmpty() && sb.isEmpty()) {
            return 1.0;
        }
        Set<String> inter = new HashSet<>(sa);
        inter.retainAll(sb);
        Set<String> union = new HashSet<>(sa);
        union.addAll(sb);
        return (double) inter.size() / union.size();
    }

    /** The code's tokens. */
    public static List<String> tokens(String code) {
        List<String> out = new ArrayList<>();
        if (code == null) {
            return out;
        }
        Matcher m = TOKEN.matcher(code);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static Set<String> shingles(String code, int n) {
        List<String> t = tokens(code);
        Set<String> out = new HashSet<>();
        if (t.isEmpty()) {
            return out;
        }
        if (t.size() < n) {
            out.add(String.join(" ", t));
            return out;
        }
        for (int i = 0; i + n <= t.size(); i++) {
            out.add(String.join(" ", t.subList(i, i + n)));
        }
        return out;
    }

    /**
     * The code in a model's answer: the first fenced block's content when there is one, else the whole
     * text; models wrap code in prose and fences more often than not.
     */
    public static String extractCode(String answer) {
        if (answer == null) {
            return null;
        }
        Matcher m = FENCE.matcher(answer);
        return m.find() ? m.group(1).strip() : answer.strip();
    }
}
