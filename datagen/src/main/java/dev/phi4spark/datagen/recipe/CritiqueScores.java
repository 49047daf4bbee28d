package dev.phi4spark.datagen.recipe;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the score line a critique ends with. Accepted forms, case-insensitive, with optional Markdown
 * emphasis: {@code Score: 7/10}, {@code **Score:** 7 / 10}, {@code Final score = 6 out of 10},
 * {@code Rating: 4/5} (scaled to 8 out of 10), {@code Grade: 7.5/10}, and a bare {@code Score: 7}
 * (taken as out of 10). When a critique has several (per-criterion scores, then the overall one), the
 * last counts. A score above its scale, or no score at all, is null: the critique did not grade.
 */
public final class CritiqueScores {

    /** Every score is scaled to this. */
    public static final double SCALE = 10;

    private static final Pattern SCORE = Pattern.compile(
            "(?i)\\b(?:score|rating|grade)\\b[*_\\s]*[:=]?[*_\\s]*(\\d+(?:\\.\\d+)?)"
                    + "(?:\\s*(?:/|out\\s+of)\\s*(\\d+(?:\\.\\d+)?))?");

    private CritiqueScores() {
    }

    /**
     * The critique's score out of {@value #SCALE}.
     *
     * @param critique the critique text, possibly null
     * @return the last score, scaled, or null when there is none or it exceeds its scale
     */
    public static Double parse(String critique) {
        if (critique == null) {
            return null;
        }
        Matcher m = SCORE.matcher(critique);
        Double last = null;
        boolean found = false;
        while (m.find()) {
            found = true;
            last = scaled(Double.parseDouble(m.group(1)), m.group(2) == null ? SCALE : Double.parseDouble(m.group(2)));
        }
        return found ? last : null;
    }

    private static Double scaled(double value, double outOf) {
        if (outOf <= 0 || value > outOf) {
            return null;
        }
        return value * SCALE / outOf;
    }
}
