package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.RowError;
import dev.phi4spark.udf.engine.ScoreResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a long document into windows the model can score, and adds the windows' scores back up.
 *
 * <p>Window {@code k} ends {@code windowTokens - overlap} tokens after window {@code k-1} ended and
 * starts {@code overlap} tokens before that, so its first {@code overlap} tokens are context only and
 * are not scored again: every token but the document's first is scored exactly once, and tokens after
 * the first window are scored with at least {@code overlap} tokens of context (HF's "strided
 * perplexity"). An overlap of 0 is raised to 1, since a window's first token has nothing to be scored
 * against. The document's mean log-probability is the sum over all windows divided by all scored tokens.
 */
public final class ScoreWindows {

    private ScoreWindows() {}

    /** A window: its tokens and the first one scored. */
    public record Window(long[] ids, int firstScored) {}

    /** What scoring one document gave: its totals, or why there are none. */
    public sealed interface TextScore permits Total, Failed {}

    /** A document that could not be scored, and why. */
    public record Failed(RowError error) implements TextScore {}

    /** The document's totals. */
    public record Total(double sum, int count) implements TextScore {
        /** Mean log-probability per scored token. */
        public double mean() {
            return sum / count;
        }

        /** {@code exp(-mean)}. */
        public double perplexity() {
            return Math.exp(-mean());
        }
    }

    /** Checks the window settings: "Cannot score: why (value)". */
    public static void check(int windowTokens, int overlap) {
        if (windowTokens < 2) {
            throw new IllegalArgumentException("Cannot score: windowTokens must be >= 2 (" + windowTokens + ")");
        }
        if (overlap < 0 || overlap >= windowTokens) {
            throw new IllegalArgumentException("Cannot score: windowOverlap must be >= 0 and < windowTokens ("
                    + overlap + ")");
        }
    }

    /** The windows of a document of at least 2 tokens. */
    public static List<Window> split(long[] ids, int windowTokens, int overlap) {
        check(windowTokens, overlap);
        int keep = Math.max(1, overlap);
        List<Window> out = new ArrayList<>();
        int end = Math.min(ids.length, windowTokens);
        out.add(new Window(Arrays.copyOfRange(ids, 0, end), 1));
        while (end < ids.length) {
            int start = end - keep;
            int next = Math.min(ids.length, start + windowTokens);
            out.add(new Window(Arrays.copyOfRange(ids, start, next), keep));
            end = next;
        }
        return out;
    }

    /** Adds window results up; the first failed window's error is the document's. */
    public static TextScore combine(List<ScoreResult> windows) {
        double sum = 0;
        int count = 0;
        for (ScoreResult r : windows) {
            if (r.error() != null) {
                return new Failed(r.error());
            }
            sum += r.sum();
            count += r.tokenCount();
        }
        return new Total(sum, count);
    }
}
