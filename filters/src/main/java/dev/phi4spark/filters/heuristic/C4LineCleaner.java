package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.CleanedText;
import dev.phi4spark.filters.TextCleaner;

/**
 * C4's line rules as a cleaner (see {@link C4Rules}): keeps the stripped, citation-free lines that
 * pass, joined with {@code \n}, and counts dropped lines per rule ({@code too_long_word}, {@code
 * no_terminal_punct}, {@code too_few_words}, {@code javascript}, {@code policy}). Lines that
 * condemn the whole page (lorem ipsum, curly bracket) are kept so that {@link C4QualityFilter}
 * can reject the page afterwards.
 */
public final class C4LineCleaner implements TextCleaner {
    private static final long serialVersionUID = 1L;
    private final C4Rules rules;

    /** The published defaults. */
    public C4LineCleaner() {
        this(new C4Rules());
    }

    public C4LineCleaner(C4Rules rules) {
        this.rules = rules;
    }

    @Override
    public String name() {
        return "c4_lines";
    }

    @Override
    public CleanedText clean(String text) {
        C4Rules.Outcome outcome = rules.apply(text == null ? "" : text, false);
        return new CleanedText(String.join("\n", outcome.keptLines()), outcome.droppedLines());
    }
}
