package dev.phi4spark.filters;

import java.io.Serializable;

/**
 * A per-document quality filter. Implementations are plain Java, immutable and {@link Serializable}
 * because Spark ships them to the executors; heavy state (models, detectors) must be transient and
 * created lazily.
 */
public interface DocumentFilter extends Serializable {

    /** Short snake_case name, used as the pipeline step name and the reason prefix. */
    String name();

    /** Decides whether to keep {@code text}; a {@code null} text is treated as empty. */
    FilterResult apply(String text);
}
