package dev.phi4spark.udf.engine;

/** Turns generated token ids into text; the engine stays usable on token ids alone without one. */
@FunctionalInterface
public interface TokenDecoder {
    /** Decodes ids to text, special tokens left out. */
    String decode(long[] ids);

    /** A decoder for models without a tokenizer: no text. */
    TokenDecoder NONE = ids -> "";
}
