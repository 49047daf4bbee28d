package dev.phi4spark.filters;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Text produced by a {@link TextCleaner} together with how many edits of each kind were made
 * (for example {@code EMAIL -> 2}). Kinds with no edit are absent from {@link #counts()}.
 */
public record CleanedText(String text, Map<String, Integer> counts) implements Serializable {

    public CleanedText {
        counts = Collections.unmodifiableMap(new TreeMap<>(counts));
    }

    /** Total number of edits over all kinds. */
    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Number of edits of {@code kind} (0 when none). */
    public int count(String kind) {
        return counts.getOrDefault(kind, 0);
    }
}
