package dev.phi4spark.filters.decontam;

import java.io.Serializable;

/**
 * Decontamination outcome for one document.
 *
 * @param status {@code clean}, {@code partial} or {@code contaminated}
 * @param benchmark benchmark of the matched item (null when clean)
 * @param item id of the matched item (null when clean)
 * @param overlap shared 7-grams / min(7-grams of document, 7-grams of item) for the matched item,
 *     or the best item when clean
 * @param matched13Gram true when a non-allowed 13-gram was shared
 */
public record Verdict(String status, String benchmark, String item, double overlap,
        boolean matched13Gram) implements Serializable {
    public static final String CLEAN = "clean";
    public static final String PARTIAL = "partial";
    public static final String CONTAMINATED = "contaminated";
}
