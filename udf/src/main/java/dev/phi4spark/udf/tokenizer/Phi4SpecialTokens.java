package dev.phi4spark.udf.tokenizer;

import java.util.List;

/**
 * Names of Phi-4's special tokens.
 *
 * <p>Only the names are fixed; ids differ between the real Phi-4 tokenizer and test tokenizers, so
 * callers must resolve ids through {@link Phi4Tokenizer#tokenId(String)}.
 */
public final class Phi4SpecialTokens {

    /** End of document; Phi-4's pre-training separator. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** Opens a chat turn, followed by the role. */
    public static final String IM_START = "<|im_start|>";

    /** Closes a chat turn; the token generation stops on. */
    public static final String IM_END = "<|im_end|>";

    /** Separates a turn's role from its content. */
    public static final String IM_SEP = "<|im_sep|>";

    /** The padding token Phi-4's tokenizer_config names. */
    public static final String PAD = "<|dummy_85|>";

    /** All of the above, in the order the tiny tokenizer assigns them ids. */
    public static final List<String> ALL = List.of(END_OF_TEXT, IM_START, IM_END, IM_SEP, PAD);

    private Phi4SpecialTokens() {}
}
