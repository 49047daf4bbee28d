package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.Words;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The C4 line and page rules (Raffel et al. 2020, section 2.2; datatrove {@code C4QualityFilter}),
 * shared by {@link C4QualityFilter} and {@link C4LineCleaner}.
 *
 * <p>Per line (after stripping): drop it when a word is longer than {@code maxWordLength} (1000),
 * remove Wikipedia citations ({@code [1]}, {@code [edit]}, {@code [citation needed]}), drop it
 * when it does not end in {@code . ? ! " '} or ends in {@code ...}, when it has fewer than {@code
 * minWordsPerLine} (3) words, when it mentions "javascript", or a policy phrase ("terms of use",
 * "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"). A kept line
 * containing "lorem ipsum" or a curly bracket condemns the whole page, and so does having fewer
 * than {@code minNumSentences} (5) sentences in the kept lines. Sentences are counted with a
 * punctuation rule ({@code [.!?]} followed by space) instead of NLTK's punkt.
 */
public final class C4Rules implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern CITATION = Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?]+[\"')\\]]*\\s+(?=\\S)");
    static final List<String> POLICY_SUBSTRINGS = List.of("terms of use", "privacy policy",
            "cookie policy", "uses cookies", "use of cookies", "use cookies");

    public static final int DEFAULT_MIN_NUM_SENTENCES = 5;
    public static final int DEFAULT_MIN_WORDS_PER_LINE = 3;
    public static final int DEFAULT_MAX_WORD_LENGTH = 1000;

    final boolean removeCitations;
    final boolean filterNoTerminalPunct;
    final int minNumSentences;
    final int minWordsPerLine;
    final int maxWordLength;
    final boolean filterLoremIpsum;
    final boolean filterJavascript;
    final boolean filterCurlyBracket;
    final boolean filterPolicy;

    /** The published defaults: every rule on, 5 sentences, 3 words per line, 1000-char words. */
    public C4Rules() {
        this(true, true, DEFAULT_MIN_NUM_SENTENCES, DEFAULT_MIN_WORDS_PER_LINE, DEFAULT_MAX_WORD_LENGTH,
                true, true, true, true);
    }

    /** A value of -1 for {@code minNumSentences}, {@code minWordsPerLine} or {@code maxWordLength} disables it. */
    public C4Rules(boolean removeCitations, boolean filterNoTerminalPunct, int minNumSentences,
            int minWordsPerLine, int maxWordLength, boolean filterLoremIpsum, boolean filterJavascript,
            boolean filterCurlyBracket, boolean filterPolicy) {
        this.removeCitations = removeCitations;
        this.filterNoTerminalPunct = filterNoTerminalPunct;
        this.minNumSentences = minNumSentences;
        this.minWordsPerLine = minWordsPerLine;
        this.maxWordLength = maxWordLength;
        this.filterLoremIpsum = filterLoremIpsum;
        this.filterJavascript = filterJavascript;
        this.filterCurlyBracket = filterCurlyBracket;
        this.filterPolicy = filterPolicy;
    }

    /** What the rules did to one page. */
    record Outcome(List<String> keptLines, Map<String, Integer> droppedLines, int sentences,
            String pageReason) {}

    /**
     * Applies the line rules. {@code stopAtPageReject} stops at the first page-level reject, as the
     * filter needs; the cleaner keeps going and leaves such lines in place for the filter to judge.
     */
    Outcome apply(String text, boolean stopAtPageReject) {
        List<String> kept = new ArrayList<>();
        Map<String, Integer> dropped = new TreeMap<>();
        int sentences = 0;
        String pageReason = null;
        for (String rawLine : Words.splitLines(text)) {
            String line = rawLine.strip();
            String[] words = line.isEmpty() ? new String[0] : line.split("\\s+");
            String lineReason = lineReason(line, words);
            if (lineReason != null) {
                dropped.merge(lineReason, 1, Integer::sum);
                continue;
            }
            if (removeCitations) {
                line = CITATION.matcher(line).replaceAll("");
            }
            String lower = line.toLowerCase(Locale.ROOT);
            String reason = afterCitationReason(line, lower, words.length);
            if (reason != null && reason.startsWith("page:")) {
                if (pageReason == null) {
                    pageReason = reason.substring(5);
                }
                if (stopAtPageReject) {
                    break;
                }
            } else if (reason != null) {
                dropped.merge(reason, 1, Integer::sum);
                continue;
            }
            sentences += countSentences(line);
            kept.add(line);
        }
        if (pageReason == null && minNumSentences != -1 && sentences < minNumSentences) {
            pageReason = "too_few_sentences";
        }
        return new Outcome(kept, dropped, sentences, pageReason);
    }

    private String lineReason(String line, String[] words) {
        if (maxWordLength != -1) {
            for (String w : words) {
                if (w.length() > maxWordLength) {
                    return "too_long_word";
                }
            }
        }
        return null;
    }

    /** Rules checked after citation removal, in the reference's order; "page:" marks page rejects. */
    private String afterCitationReason(String line, String lower, int wordCount) {
        if (filterNoTerminalPunct && (!endsWithTerminal(line) || line.endsWith("..."))) {
            return "no_terminal_punct";
        }
        if (wordCount < minWordsPerLine) {
            return "too_few_words";
        }
        if (filterLoremIpsum && lower.contains("lorem ipsum")) {
            return "page:lorem_ipsum";
        }
        if (filterJavascript && lower.contains("javascript")) {
            return "javascript";
        }
        if (filterCurlyBracket && line.indexOf('{') >= 0) {
            return "page:curly_bracket";
        }
        if (filterPolicy) {
            for (String p : POLICY_SUBSTRINGS) {
                if (lower.contains(p)) {
                    return "policy";
                }
            }
        }
        return null;
    }

    private static boolean endsWithTerminal(String line) {
        if (line.isEmpty()) {
            return false;
        }
        char c = line.charAt(line.length() - 1);
        return c == '.' || c == '?' || c == '!' || c == '"' || c == '\'';
    }

    static int countSentences(String line) {
        int n = 1;
        var m = SENTENCE_END.matcher(line);
        while (m.find()) {
            n++;
        }
        return n;
    }
}
