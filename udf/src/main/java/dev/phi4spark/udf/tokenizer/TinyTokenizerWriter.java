package dev.phi4spark.udf.tokenizer;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a small Phi-4-like tokenizer (a byte-level BPE {@code tokenizer.json} plus {@code
 * tokenizer_config.json}) for tests and for the engine's tiny random model.
 *
 * <p>The vocabulary is GPT-2's 256 byte symbols plus merges learned by {@link BpeTrainer} on an
 * embedded English sample, about {@value #REGULAR_VOCAB_TARGET} regular tokens, followed by Phi-4's
 * special tokens by name. Ids therefore differ from the real Phi-4 tokenizer, which keeps code
 * honest about reading ids from the files. The output is byte-for-byte deterministic.
 */
public final class TinyTokenizerWriter {

    /** File name DJL and Hugging Face read the tokenizer from. */
    public static final String TOKENIZER_JSON = "tokenizer.json";

    /** File name holding eos/pad token names and other settings. */
    public static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";

    /** Wanted number of regular (non-special) tokens. */
    static final int REGULAR_VOCAB_TARGET = 500;

    /** Phi-4's context length, copied so the tiny config looks like the real one. */
    static final int MODEL_MAX_LENGTH = 16384;

    /** Phi-4's chat template, in the Jinja form Hugging Face snapshots carry. */
    static final String CHAT_TEMPLATE =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '<|im_sep|>' +"
                    + " message['content'] + '<|im_end|>'}}{% endfor %}{% if add_generation_prompt %}{{"
                    + " '<|im_start|>assistant<|im_sep|>' }}{% endif %}";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private TinyTokenizerWriter() {}

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}, creating it
     * if needed and replacing existing files.
     *
     * @param dir target directory
     * @return sizes and special-token ids of what was written
     * @throws UncheckedIOException if the files cannot be written
     */
    public static TinyTokenizerInfo write(Path dir) {
        BpeTrainer.BpeModel model = Trained.MODEL;
        Map<String, Long> specialIds = specialTokenIds(model.vocab().size());
        try {
            Files.createDirectories(dir);
            writeJson(dir.resolve(TOKENIZER_JSON), tokenizerJson(model, specialIds));
            writeJson(dir.resolve(TOKENIZER_CONFIG_JSON), tokenizerConfig(specialIds));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write tiny tokenizer: I/O error in " + dir, e);
        }
        return info(model, specialIds);
    }

    private static TinyTokenizerInfo info(BpeTrainer.BpeModel model, Map<String, Long> specialIds) {
        int regular = model.vocab().size();
        return new TinyTokenizerInfo(
                regular + specialIds.size(),
                regular,
                model.merges().size(),
                specialIds,
                specialIds.get(Phi4SpecialTokens.IM_END),
                specialIds.get(Phi4SpecialTokens.PAD));
    }

    private static Map<String, Long> specialTokenIds(int firstId) {
        Map<String, Long> ids = new LinkedHashMap<>();
        for (String token : Phi4SpecialTokens.ALL) {
            ids.put(token, (long) firstId + ids.size());
        }
        return ids;
    }

    private static ObjectNode tokenizerJson(BpeTrainer.BpeModel model, Map<String, Long> specialIds) {
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        specialIds.forEach(
                (token, id) -> added.add(NODES.objectNode().put("id", id).setAll(addedToken(token))));
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(false, false));
        root.set("decoder", byteLevel(true, true));
        root.set("model", bpeModel(model));
        return root;
    }

    private static ObjectNode addedToken(String token) {
        ObjectNode node = NODES.objectNode();
        node.put("content", token);
        node.put("single_word", false);
        node.put("lstrip", false);
        node.put("rstrip", false);
        node.put("normalized", false);
        node.put("special", true);
        return node;
    }

    /** Same shape as the ByteLevel components in GPT-2-style tokenizer.json files. */
    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode node = NODES.objectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", addPrefixSpace);
        node.put("trim_offsets", trimOffsets);
        node.put("use_regex", true);
        return node;
    }

    private static ObjectNode bpeModel(BpeTrainer.BpeModel model) {
        ObjectNode node = NODES.objectNode();
        node.put("type", "BPE");
        node.putNull("dropout");
        node.putNull("unk_token");
        node.putNull("continuing_subword_prefix");
        node.putNull("end_of_word_suffix");
        node.put("fuse_unk", false);
        node.put("byte_fallback", false);
        node.put("ignore_merges", false);
        ObjectNode vocab = node.putObject("vocab");
        List<String> tokens = model.vocab();
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        ArrayNode merges = node.putArray("merges");
        model.merges().forEach(merges::add);
        return node;
    }

    private static ObjectNode tokenizerConfig(Map<String, Long> specialIds) {
        ObjectNode root = NODES.objectNode();
        root.put("add_bos_token", false);
        root.put("add_eos_token", false);
        ObjectNode decoder = root.putObject("added_tokens_decoder");
        specialIds.forEach((token, id) -> decoder.set(String.valueOf(id), addedToken(token)));
        root.putNull("bos_token");
        root.put("chat_template", CHAT_TEMPLATE);
        root.put("clean_up_tokenization_spaces", false);
        root.put("eos_token", Phi4SpecialTokens.IM_END);
        root.put("model_max_length", MODEL_MAX_LENGTH);
        root.put("pad_token", Phi4SpecialTokens.PAD);
        root.put("tokenizer_class", "GPT2Tokenizer");
        return root;
    }

    /** Fixed indentation and "\n" line ends, so the bytes do not depend on the platform. */
    private static void writeJson(Path file, ObjectNode json) throws IOException {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer =
                new DefaultPrettyPrinter(
                                Separators.createDefaultInstance()
                                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                        .withObjectIndenter(indenter)
                        .withArrayIndenter(indenter);
        ObjectWriter writer = new ObjectMapper().writer(printer);
        Files.write(file, writer.writeValueAsBytes(json));
    }

    /** Trains once per JVM: the result never changes, and executors may write it many times. */
    private static final class Trained {
        static final BpeTrainer.BpeModel MODEL =
                BpeTrainer.train(TinyCorpus.TEXT, REGULAR_VOCAB_TARGET);
    }
}
