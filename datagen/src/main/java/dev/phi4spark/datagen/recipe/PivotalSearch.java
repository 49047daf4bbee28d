package dev.phi4spark.datagen.recipe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The search of the Phi-4 report's pivotal token search, for one solution, without Spark: which
 * prefixes need a success probability next, and, once they have one, which tokens are pivotal.
 *
 * <p>It subdivides the solution's token span: a span {@code [lo, hi)} is done when it is one token long
 * or when {@code |p(hi) - p(lo)| < threshold} (no jump inside worth finding); otherwise it is halved and
 * both halves are searched. A one-token span whose probability jumps by at least the threshold is a
 * pivotal token. Every round asks for the probabilities of the prefixes at the ends of the open spans
 * that are not known yet; {@link PivotalTokens} estimates them by rollouts, all solutions at once.
 */
public final class PivotalSearch {

    /**
     * A pivotal token.
     *
     * @param position its index in the solution's tokens
     * @param before the success probability of the prefix before it
     * @param after the success probability of the prefix ending with it
     */
    public record Pivot(int position, double before, double after) {

        /** How much the token changes the probability: positive when it helps. */
        public double delta() {
            return after - before;
        }
    }

    private final int tokens;
    private final double threshold;
    private final Map<Integer, Double> p = new HashMap<>();
    private List<int[]> open = new ArrayList<>();
    private final TreeMap<Integer, Pivot> pivots = new TreeMap<>();

    /**
     * A search over a solution.
     *
     * @param tokens the solution's token count, at least 1
     * @param threshold the smallest jump of the success probability that makes a token pivotal, in (0, 1]
     */
    public PivotalSearch(int tokens, double threshold) {
        this.tokens = tokens;
        this.threshold = threshold;
        if (tokens > 0) {
            open.add(new int[] {0, tokens});
        }
    }

    /** Prefix lengths whose probability the next round needs; empty when the search is done. */
    public List<Integer> needed() {
        List<Integer> out = new ArrayList<>();
        for (int[] span : open) {
            for (int end : span) {
                if (!p.containsKey(end) && !out.contains(end)) {
                    out.add(end);
                }
            }
        }
        out.sort(Integer::compare);
        return out;
    }

    /** Records an estimate of the probability of reaching the right answer from a prefix. */
    public void estimate(int prefixLength, double probability) {
        p.put(prefixLength, probability);
    }

    /** A known estimate, or null. */
    public Double probability(int prefixLength) {
        return p.get(prefixLength);
    }

    /** Closes or halves every open span whose ends are known. */
    public void advance() {
        List<int[]> next = new ArrayList<>();
        for (int[] span : open) {
            Double lo = p.get(span[0]);
            Double hi = p.get(span[1]);
            if (lo == null || hi == null) {
                next.add(span);
                continue;
            }
            boolean jump = Math.abs(hi - lo) >= threshold;
            if (span[1] - span[0] == 1) {
                if (jump) {
                    pivots.put(span[0], new Pivot(span[0], lo, hi));
                }
            } else if (jump) {
                int mid = (span[0] + span[1]) >>> 1;
                next.add(new int[] {span[0], mid});
                next.add(new int[] {mid, span[1]});
            }
        }
        open = next;
    }

    /** True when no span is open. */
    public boolean done() {
        return open.isEmpty();
    }

    /** The pivotal tokens found, by position. */
    public List<Pivot> pivots() {
        return List.copyOf(pivots.values());
    }

    /** The solution's token count. */
    public int tokens() {
        return tokens;
    }
}
