package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The HuggingFace {@code config.json} of a {@code Phi3ForCausalLM} checkpoint, with readable field
 * names. Phi-4 is this architecture: 40 layers, hidden 5120, 40 query heads over 10 key/value heads.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public final class Phi3Config {

    /** The architecture this engine implements. */
    public static final String ARCHITECTURE = "Phi3ForCausalLM";

    private static final ObjectMapper JSON = new ObjectMapper();

    @JsonProperty("architectures")
    public List<String> architectures = List.of();

    @JsonProperty("model_type")
    public String modelType;

    @JsonProperty("hidden_size")
    public int hiddenSize;

    @JsonProperty("num_hidden_layers")
    public int layers;

    @JsonProperty("num_attention_heads")
    public int heads;

    /** Defaults to {@link #heads} when absent, as in HF (no grouped-query attention). */
    @JsonProperty("num_key_value_heads")
    public Integer kvHeads;

    @JsonProperty("intermediate_size")
    public int intermediateSize;

    @JsonProperty("vocab_size")
    public int vocabSize;

    @JsonProperty("rms_norm_eps")
    public double rmsNormEps = 1e-5;

    @JsonProperty("rope_theta")
    public double ropeTheta = 10000.0;

    @JsonProperty("partial_rotary_factor")
    public double partialRotaryFactor = 1.0;

    @JsonProperty("max_position_embeddings")
    public int maxPositions = 4096;

    @JsonProperty("original_max_position_embeddings")
    public Integer originalMaxPositions;

    /** Null for Phi-4; {@code longrope} (or its old name {@code su}) for the 128k Phi-3 models. */
    @JsonProperty("rope_scaling")
    public JsonNode ropeScaling;

    @JsonProperty("tie_word_embeddings")
    public boolean tieWordEmbeddings;

    @JsonProperty("hidden_act")
    public String hiddenAct = "silu";

    @JsonProperty("bos_token_id")
    public JsonNode bosTokenId;

    @JsonProperty("eos_token_id")
    public JsonNode eosTokenId;

    @JsonProperty("pad_token_id")
    public JsonNode padTokenId;

    @JsonProperty("torch_dtype")
    public String torchDtype;

    /** Reads and validates {@code config.json} in a snapshot folder. */
    public static Phi3Config read(Path configFile) {
        if (!Files.isRegularFile(configFile)) {
            throw new ModelLoadException("Cannot load model: config.json is missing (" + configFile + ")");
        }
        Phi3Config config;
        try {
            config = JSON.readValue(configFile.toFile(), Phi3Config.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelLoadException(
                    "Cannot load model: config.json is not valid JSON (" + configFile + "): "
                            + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot load model: cannot read " + configFile + ": " + e.getMessage(), e);
        }
        config.validate(configFile);
        return config;
    }

    /** Parses a config from JSON text, validating it. */
    public static Phi3Config parse(String json) {
        try {
            Phi3Config config = JSON.readValue(json, Phi3Config.class);
            config.validate(Path.of("config.json"));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void validate(Path file) {
        boolean known = architectures != null && architectures.contains(ARCHITECTURE);
        if (!known) {
            throw new ModelLoadException(
                    "Cannot load model: architecture " + architectures + " is not supported, only "
                            + ARCHITECTURE + " (" + file + ")");
        }
        requirePositive("hidden_size", hiddenSize, file);
        requirePositive("num_hidden_layers", layers, file);
        requirePositive("num_attention_heads", heads, file);
        requirePositive("intermediate_size", intermediateSize, file);
        requirePositive("vocab_size", vocabSize, file);
        requirePositive("max_position_embeddings", maxPositions, file);
        if (kvHeads == null) {
            kvHeads = heads;
        }
        requirePositive("num_key_value_heads", kvHeads, file);
        if (hiddenSize % heads != 0 || heads % kvHeads != 0) {
            throw new ModelLoadException(
                    "Cannot load model: hidden_size " + hiddenSize + ", num_attention_heads " + heads
                            + " and num_key_value_heads " + kvHeads + " do not divide evenly (" + file + ")");
        }
        if (!"silu".equals(hiddenAct)) {
            throw new ModelLoadException(
                    "Cannot load model: hidden_act '" + hiddenAct + "' is not supported, only silu (" + file + ")");
        }
        if (partialRotaryFactor <= 0 || partialRotaryFactor > 1 || rotaryDim() % 2 != 0) {
            throw new ModelLoadException(
                    "Cannot load model: partial_rotary_factor " + partialRotaryFactor
                            + " gives an odd or empty rotary dimension (" + file + ")");
        }
        String scaling = ropeScalingType();
        if (scaling != null && !scaling.equals("longrope") && !scaling.equals("default")) {
            throw new ModelLoadException(
                    "Cannot load model: rope_scaling type '" + scaling
                            + "' is not supported, only null or longrope (" + file + ")");
        }
    }

    private static void requirePositive(String key, int value, Path file) {
        if (value <= 0) {
            throw new ModelLoadException(
                    "Cannot load model: " + key + " must be positive (" + value + " in " + file + ")");
        }
    }

    /** The per-head dimension: hidden size over query heads (128 for Phi-4). */
    public int headDim() {
        return hiddenSize / heads;
    }

    /** Query heads that share one key/value head. */
    public int groups() {
        return heads / kvHeads;
    }

    /** The leading dimensions of each head that are rotated. */
    public int rotaryDim() {
        return (int) (headDim() * partialRotaryFactor);
    }

    /** Width of the fused {@code qkv_proj} output. */
    public int qkvDim() {
        return (heads + 2 * kvHeads) * headDim();
    }

    /** {@code longrope}, {@code default} or null. The old name {@code su} reads as longrope. */
    public String ropeScalingType() {
        if (ropeScaling == null || ropeScaling.isNull()) {
            return null;
        }
        JsonNode type = ropeScaling.has("rope_type") ? ropeScaling.get("rope_type") : ropeScaling.get("type");
        String name = type == null ? "default" : type.asText();
        return name.equals("su") ? "longrope" : name;
    }

    /** Token ids of {@code eos_token_id}, which HF allows to be a number or a list. */
    public List<Long> eosTokenIds() {
        return ids(eosTokenId);
    }

    static List<Long> ids(JsonNode node) {
        List<Long> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asLong()));
        } else {
            out.add(node.asLong());
        }
        return out;
    }

    /** Number of parameters implied by the shapes. */
    public long parameterCount() {
        long embed = (long) vocabSize * hiddenSize;
        long norms = (2L * layers + 1) * hiddenSize;
        return embed + layers * layerMatrixParameters() + norms + (tieWordEmbeddings ? 0 : embed);
    }

    /** Parameters of one decoder layer's weight matrices (qkv, o_proj, gate_up, down; the norms left out). */
    public long layerMatrixParameters() {
        long h = hiddenSize;
        return h * qkvDim() + (long) heads * headDim() * h + 3L * intermediateSize * h;
    }

    /**
     * FLOPs of one token through the weight matrices (2 per weight: the layers and the lm_head). The
     * attention over the context is left out: it depends on the context length.
     */
    public long flopsPerToken() {
        return 2 * (layers * layerMatrixParameters() + (long) vocabSize * hiddenSize);
    }
}
