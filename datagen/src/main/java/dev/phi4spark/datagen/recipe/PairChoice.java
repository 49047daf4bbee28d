package dev.phi4spark.datagen.recipe;

import dev.phi4spark.datagen.PairSchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Picks the chosen and rejected completion among the k of one prompt (see {@link PreferencePairs}).
 * Plain Java, so the rule is tested without Spark.
 */
public final class PairChoice {

    private PairChoice() {}

    /**
     * One completion of the prompt.
     *
     * @param sample its index among the k
     * @param completion its text, null when the call failed
     * @param answer its extracted final answer, or null
     * @param score the judge's rubric score out of 10, or null when not judged
     */
    public record Sample(int sample, String completion, String answer, Double score) implements Serializable {}

    /**
     * The pair, or why there is none.
     *
     * @param chosen the preferred completion, null when there is no pair
     * @param rejected the other one
     * @param chosenScore its score: 1 (correct) or the rubric score
     * @param rejectedScore the other's: 0 (incorrect) or the rubric score
     * @param how {@link PairSchema#BY_CORRECTNESS}, {@link PairSchema#BY_REFERENCE} or {@link PairSchema#BY_JUDGE}
     * @param reference the answer correctness was checked against, or null
     * @param reason why there is no pair, null when there is one
     */
    public record Pair(String chosen, String rejected, Double chosenScore, Double rejectedScore, String how,
            String reference, String reason) implements Serializable {

        static Pair none(String how, String reference, String reason) {
            return new Pair(null, null, null, null, how, reference, reason);
        }
    }

    /**
     * The checkable answer of a prompt: its majority answer, when at least {@code minAgreement} of the
     * samples gave it; else null.
     */
    public static String reference(List<Sample> samples, double minAgreement) {
        List<String> answers = new ArrayList<>();
        samples.forEach(s -> answers.add(s.answer()));
        Votes.Tally t = Votes.tally(answers);
        return t.majority() != null && t.agreement() >= minAgreement ? t.majority() : null;
    }

    /**
     * By correctness: the first sample whose answer is the reference against the first that has another
     * answer or none (scores 1 and 0).
     */
    public static Pair byCorrectness(List<Sample> samples, String reference) {
        return byCorrectness(samples, reference, PairSchema.BY_CORRECTNESS);
    }

    /**
     * {@link #byCorrectness(List, String)} recording {@code how} the reference was found:
     * {@link PairSchema#BY_CORRECTNESS} (the majority) or {@link PairSchema#BY_REFERENCE} (the seed's).
     */
    public static Pair byCorrectness(List<Sample> samples, String reference, String how) {
        Sample right = null;
        Sample wrong = null;
        for (Sample s : samples) {
            if (s.completion() == null) {
                continue;
            }
            if (reference.equals(s.answer())) {
                right = right == null ? s : right;
            } else {
                wrong = wrong == null ? s : wrong;
            }
        }
        if (right == null || wrong == null) {
            return Pair.none(how, reference, right == null
                    ? "no completion reached the answer " + reference
                    : "every completion reached the answer " + reference + ": nothing to reject");
        }
        return new Pair(right.completion(), wrong.completion(), 1.0, 0.0, how, reference, null);
    }

    /**
     * By the rubric: the best-scored sample against the worst (the first of equals), kept when the
     * scores differ by at least {@code minMargin}.
     */
    public static Pair byJudge(List<Sample> samples, double minMargin) {
        Sample best = null;
        Sample worst = null;
        for (Sample s : samples) {
            if (s.completion() == null || s.score() == null) {
                continue;
            }
            best = best == null || s.score() > best.score() ? s : best;
            worst = worst == null || s.score() < worst.score() ? s : worst;
        }
        if (best == null || best == worst) {
            return Pair.none(PairSchema.BY_JUDGE, null, "fewer than two completions were scored");
        }
        double margin = best.score() - worst.score();
        if (margin < minMargin) {
            return Pair.none(PairSchema.BY_JUDGE, null, String.format(Locale.ROOT,
                    "margin %.2f below min_margin %.2f", margin, minMargin));
        }
        return new Pair(best.completion(), worst.completion(), best.score(), worst.score(), PairSchema.BY_JUDGE, null,
                null);
    }
}
