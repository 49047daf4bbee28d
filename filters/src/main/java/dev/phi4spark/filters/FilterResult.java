package dev.phi4spark.filters;

import java.io.Serializable;
import java.util.Objects;

/**
 * Outcome of a {@link DocumentFilter}: keep the document, or reject it with a reason of the form
 * {@code <filter>_<reason>} (for example {@code gopher_short_doc}).
 */
public final class FilterResult implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final FilterResult KEEP = new FilterResult(null);

    private final String reason;

    private FilterResult(String reason) {
        this.reason = reason;
    }

    /** The document passes the filter. */
    public static FilterResult keep() {
        return KEEP;
    }

    /** The document fails the filter for {@code reason}. */
    public static FilterResult reject(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("Cannot reject a document: the reason is empty (" + reason + ")");
        }
        return new FilterResult(reason);
    }

    /** True when the document passes. */
    public boolean kept() {
        return reason == null;
    }

    /** The reject reason, or {@code null} when the document is kept. */
    public String reason() {
        return reason;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FilterResult other && Objects.equals(reason, other.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(reason);
    }

    @Override
    public String toString() {
        return kept() ? "keep" : "reject(" + reason + ")";
    }
}
