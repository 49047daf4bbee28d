package dev.phi4spark.udf.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2's reversible byte-to-unicode mapping, as used by the Hugging Face ByteLevel pre-tokenizer
 * and decoder.
 *
 * <p>Byte-level BPE works on bytes, but the vocabulary file is JSON text; GPT-2 therefore maps
 * every byte to a printable code point (printable Latin-1 bytes map to themselves, the rest to
 * U+0100 and up) so that no vocabulary entry contains whitespace or control characters.
 */
final class ByteLevel {

    /** Symbol for each byte value, indexed by the unsigned byte. */
    private static final String[] SYMBOLS = buildSymbols();

    /** Byte values in GPT-2's order, the order its vocabulary assigns the first 256 ids in. */
    private static final int[] ORDER = buildOrder();

    private ByteLevel() {}

    /** The 256 single-byte symbols in GPT-2's id order. */
    static List<String> alphabet() {
        List<String> alphabet = new ArrayList<>(256);
        for (int b : ORDER) {
            alphabet.add(SYMBOLS[b]);
        }
        return alphabet;
    }

    /** Maps the UTF-8 bytes of {@code text} to byte-level symbols, one symbol per byte. */
    static List<String> symbols(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            symbols.add(SYMBOLS[b & 0xFF]);
        }
        return symbols;
    }

    private static boolean isPrintable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    private static int[] buildOrder() {
        int[] order = new int[256];
        int next = 0;
        for (int b = 0; b < 256; b++) {
            if (isPrintable(b)) {
                order[next++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!isPrintable(b)) {
                order[next++] = b;
            }
        }
        return order;
    }

    private static String[] buildSymbols() {
        String[] symbols = new String[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            int codePoint = isPrintable(b) ? b : 256 + shifted++;
            symbols[b] = new String(Character.toChars(codePoint));
        }
        return symbols;
    }
}
