package dev.phi4spark.datagen.recipe;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Majority voting over sampled answers (see {@link MajorityVoteQA}). */
public final class Votes {

    private Votes() {
    }

    /**
     * The result of a vote.
     *
     * @param majority the most frequent answer, null when no sample had one
     * @param count how many samples gave it
     * @param total how many samples there were, with or without an answer
     */
    public record Tally(String majority, int count, int total) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** The share of all samples that gave the majority answer; 0 for no samples. */
        public double agreement() {
            return total == 0 ? 0 : (double) count / total;
        }
    }

    /**
     * Counts the answers. A sample without an answer (null) counts in the total but never wins; a tie
     * goes to the answer that appeared first, so the result depends only on the sample order.
     */
    public static Tally tally(List<String> answers) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String a : answers) {
            if (a != null) {
                counts.merge(a, 1, Integer::sum);
            }
        }
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return new Tally(best, bestCount, answers.size());
    }
}
