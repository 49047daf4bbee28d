package dev.phi4spark.udf.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads what {@link Phi4Tokenizer} needs from a Hugging Face snapshot that DJL does not expose: the
 * token-to-id table and the eos/pad token names.
 */
final class TokenizerFiles {

    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    static final String GENERATION_CONFIG_JSON = "generation_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {}

    /**
     * The vocabulary: regular tokens from {@code model.vocab} plus {@code added_tokens}.
     *
     * @param ids id of each token string
     * @param tokens token string of each id, {@code null} where the id is unused
     * @param specialIds ids of added tokens marked special
     */
    record Vocabulary(Map<String, Long> ids, String[] tokens, Set<Long> specialIds) {}

    /**
     * Token names from tokenizer_config.json; each is empty when absent or null there.
     *
     * @param eosToken end-of-sequence token
     * @param padToken padding token
     */
    record Config(Optional<String> eosToken, Optional<String> padToken) {
        static final Config EMPTY = new Config(Optional.empty(), Optional.empty());
    }

    static Vocabulary readVocabulary(Path tokenizerJson) {
        JsonNode root = readTree(tokenizerJson);
        Map<String, Long> ids = new HashMap<>();
        root.path("model")
                .path("vocab")
                .fields()
                .forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asLong()));
        Set<Long> specialIds = new HashSet<>();
        for (JsonNode added : root.path("added_tokens")) {
            long id = added.path("id").asLong();
            ids.put(added.path("content").asText(), id);
            if (added.path("special").asBoolean(false)) {
                specialIds.add(id);
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(
                    "Cannot load tokenizer: no model.vocab or added_tokens in " + tokenizerJson);
        }
        return new Vocabulary(ids, tokensById(ids), specialIds);
    }

    /** Missing file: every token name is absent, which callers treat as "not configured". */
    static Config readConfig(Path tokenizerConfigJson) {
        if (!Files.isRegularFile(tokenizerConfigJson)) {
            return Config.EMPTY;
        }
        JsonNode root = readTree(tokenizerConfigJson);
        return new Config(tokenName(root, "eos_token"), tokenName(root, "pad_token"));
    }

    /**
     * The {@code eos_token_id} of generation_config.json (a number or a list), empty when the file or
     * the field is absent. Hugging Face's generate() stops on these, so we do too.
     */
    static List<Long> readGenerationEosIds(Path generationConfigJson) {
        List<Long> ids = new ArrayList<>();
        if (Files.isRegularFile(generationConfigJson)) {
            JsonNode eos = readTree(generationConfigJson).path("eos_token_id");
            if (eos.isIntegralNumber()) {
                ids.add(eos.asLong());
            }
            eos.forEach(id -> ids.add(id.asLong()));
        }
        return ids;
    }

    /** Token fields are a string, an AddedToken object {@code {"content": ...}}, or null. */
    private static Optional<String> tokenName(JsonNode config, String field) {
        JsonNode node = config.path(field);
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return Optional.of(node.path("content").asText());
        }
        return Optional.empty();
    }

    private static String[] tokensById(Map<String, Long> ids) {
        long maxId = ids.values().stream().mapToLong(Long::longValue).max().orElse(-1);
        long minId = ids.values().stream().mapToLong(Long::longValue).min().orElse(0);
        if (minId < 0 || maxId >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Cannot load tokenizer: token ids must lie in [0, 2^31 - 1) ("
                            + minId
                            + ".."
                            + maxId
                            + ")");
        }
        String[] tokens = new String[(int) maxId + 1];
        ids.forEach((token, id) -> tokens[id.intValue()] = token);
        return tokens;
    }

    static byte[] writeBytes(JsonNode root) throws JsonProcessingException {
        return JSON.writeValueAsBytes(root);
    }

    static JsonNode readTree(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Cannot load tokenizer: malformed JSON (" + file + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load tokenizer: unreadable JSON (" + file + ")", e);
        }
    }
}
