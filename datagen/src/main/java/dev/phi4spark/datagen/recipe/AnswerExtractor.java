package dev.phi4spark.datagen.recipe;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The final answer of a worked solution, normalised so that equal answers compare equal.
 *
 * <p>Where it is looked for, first match wins: the last {@code \boxed{...}}; else the last
 * "Final answer: X", "The answer is X" or "Answer: X" (the rest of that line); else the last number in the text.
 *
 * <p>Normalisation: trims spaces and trailing periods, drops {@code $} delimiters, {@code \text{}},
 * {@code \left}/{@code \right}, turns {@code \frac{a}{b}} into {@code a/b}, lower-cases, removes
 * spaces; drops a unit after a number ({@code 42 apples} becomes {@code 42}); and writes a plain number
 * canonically ({@code 1,000.50} becomes {@code 1000.5}).
 */
public final class AnswerExtractor {

    private static final Pattern FINAL = Pattern.compile("(?im)(?:\\bfinal\\s+answer\\b[*_\\s]*(?:is\\b)?[*_\\s]*[:=]?"
            + "|\\bthe\\s+answer\\s+is\\b[*_\\s]*[:=]?|\\banswer[*_\\s]*[:=])[*_\\s]*(.+?)\\s*$");
    private static final Pattern NUMBER_WITH_UNIT = Pattern.compile("([-+]?[\\d,]*\\.?\\d+)[a-z%\u00b0]+");
    private static final Pattern NUMBER = Pattern.compile("-?\\d[\\d,]*(?:\\.\\d+)?|-?\\.\\d+");
    private static final Pattern PLAIN_NUMBER = Pattern.compile("[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|[-+]?\\.\\d+");
    private static final Pattern FRAC = Pattern.compile("\\\\[dt]?frac\\{([^{}]*)}\\{([^{}]*)}");
    private static final Pattern TEXT = Pattern.compile("\\\\(?:text|mathrm|textbf)\\{([^{}]*)}");

    private AnswerExtractor() {
    }

    /**
     * The normalised final answer.
     *
     * @param solution the model's text, possibly null
     * @return the answer, or null when none is found
     */
    public static String extract(String solution) {
        if (solution == null || solution.isBlank()) {
            return null;
        }
        String raw = lastBoxed(solution);
        if (raw == null) {
            raw = lastMatch(FINAL, solution);
        }
        if (raw == null) {
            raw = lastMatch(NUMBER, solution);
        }
        if (raw == null) {
            return null;
        }
        String n = normalise(raw);
        return n.isEmpty() ? null : n;
    }

    /**
     * The normalised form of a reference answer from a seed source, to compare with {@link #extract}ed
     * answers. A reference is often the bare answer ({@code 3/4}), where looking for the last number as
     * {@link #extract} does would keep only {@code 4}; so: the last {@code \boxed{...}}, else the last
     * "Final answer: X"-style line, else what follows the last {@code ####} (GSM8K's solutions), else
     * the whole text.
     *
     * @param reference the seed's answer, possibly null
     * @return the answer, or null when the reference is blank
     */
    public static String reference(String reference) {
        if (reference == null || reference.isBlank()) {
            return null;
        }
        String raw = lastBoxed(reference);
        if (raw == null) {
            raw = lastMatch(FINAL, reference);
        }
        if (raw == null && reference.contains("####")) {
            raw = reference.substring(reference.lastIndexOf("####") + "####".length());
        }
        String n = normalise(raw == null ? reference : raw);
        return n.isEmpty() ? null : n;
    }

    /** The content of the last {@code \boxed{...}}, braces balanced, or null. */
    static String lastBoxed(String text) {
        int at = text.lastIndexOf("\\boxed{");
        if (at < 0) {
            return null;
        }
        int start = at + "\\boxed{".length();
        int depth = 1;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return text.substring(start, i);
            }
        }
        return null;
    }

    private static String lastMatch(Pattern p, String text) {
        Matcher m = p.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.groupCount() >= 1 ? m.group(1) : m.group();
        }
        return last;
    }

    /** Brings equal answers written differently to one form. */
    public static String normalise(String answer) {
        String s = answer.strip();
        s = TEXT.matcher(s).replaceAll("$1");
        s = FRAC.matcher(s).replaceAll("$1/$2");
        s = s.replace("\\left", "").replace("\\right", "").replace("\\!", "").replace("\\,", "");
        s = s.replace("$", "").replace("**", "").strip();
        while (s.endsWith(".") || s.endsWith(",") || s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        s = s.toLowerCase(Locale.ROOT).replaceAll("\\s+", "");
        Matcher unit = NUMBER_WITH_UNIT.matcher(s);
        if (unit.matches() && PLAIN_NUMBER.matcher(unit.group(1)).matches()) {
            s = unit.group(1);
        }
        if (PLAIN_NUMBER.matcher(s).matches()) {
            return canonicalNumber(s);
        }
        return s;
    }

    private static String canonicalNumber(String s) {
        BigDecimal d = new BigDecimal(s.replace(",", "").replace("+", "")).stripTrailingZeros();
        return d.signum() == 0 ? "0" : d.toPlainString();
    }
}
