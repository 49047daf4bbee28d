package dev.phi4spark.udf.engine;

/** Why a row's generation ended. */
public enum FinishReason {
    /** A stop token or stop string was produced. */
    STOP,
    /** {@code max_new_tokens} or the context length was reached. */
    LENGTH,
    /** The row could not be run; see the result's error. */
    ERROR;

    /** The lower-case name used in tables and JSON ({@code stop}, {@code length}, {@code error}). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
