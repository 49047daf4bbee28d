package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;

/**
 * C4's page-level decision (see {@link C4Rules} for the rules and defaults): rejects a page with
 * {@code c4_lorem_ipsum}, {@code c4_curly_bracket} or {@code c4_too_few_sentences}. It does not
 * change the text; run {@link C4LineCleaner} before it to also drop the failing lines, which
 * together do what datatrove's {@code C4QualityFilter} does in one step.
 */
public final class C4QualityFilter implements DocumentFilter {
    private static final long serialVersionUID = 1L;
    private final C4Rules rules;

    /** The published defaults. */
    public C4QualityFilter() {
        this(new C4Rules());
    }

    public C4QualityFilter(C4Rules rules) {
        this.rules = rules;
    }

    @Override
    public String name() {
        return "c4_quality";
    }

    @Override
    public FilterResult apply(String text) {
        String reason = rules.apply(text == null ? "" : text, true).pageReason();
        return reason == null ? FilterResult.keep() : FilterResult.reject("c4_" + reason);
    }
}
