package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phi4spark.udf.tokenizer.Phi4SpecialTokens;
import dev.phi4spark.udf.tokenizer.TinyTokenizerInfo;
import dev.phi4spark.udf.tokenizer.TinyTokenizerWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a small random-weight {@code Phi3ForCausalLM} snapshot in the HF layout, with a byte-level BPE
 * tokenizer that has Phi-4's special tokens, so every part of the project runs without the 29 GB
 * download. Its text is random: it exercises the machinery, not the model.
 */
public final class TinyModelWriter {

    /** Hidden size of the tiny model. */
    public static final int HIDDEN = 64;
    /** Context length of the tiny model: room for the recipes' prompts in byte-level tokens. */
    public static final int CONTEXT = 4096;

    private TinyModelWriter() {}

    /** Writes the snapshot into {@code dir} (created if needed) and returns its config. */
    public static Phi3Config write(Path dir, long seed, SafetensorsDType dtype) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create model folder " + dir, e);
        }
        TinyTokenizerInfo tokenizer = TinyTokenizerWriter.write(dir);
        int vocab = (tokenizer.vocabSize() + 63) / 64 * 64; // padded like real checkpoints
        long endOfText = tokenizer.specialTokenIds().get(Phi4SpecialTokens.END_OF_TEXT);
        String configJson = configJson(vocab, tokenizer.eosTokenId(), endOfText, tokenizer.padTokenId());
        writeString(dir.resolve("config.json"), configJson);
        writeString(dir.resolve("generation_config.json"), "{\n  \"bos_token_id\": " + endOfText
                + ",\n  \"eos_token_id\": [" + tokenizer.eosTokenId() + ", " + endOfText + "],\n  \"pad_token_id\": "
                + tokenizer.padTokenId() + "\n}\n");
        writeString(dir.resolve("README.md"), "# tiny random Phi-3 model\n\nWritten by `phi4spark model make-tiny`"
                + " (seed " + seed + "). Its weights are random, so its text is random: it is for running the"
                + " machinery without downloading Phi-4.\n");
        Phi3Config config = Phi3Config.parse(configJson);
        weights(config, new Random(seed), dtype).write(dir.resolve(Checkpoint.SINGLE_FILE));
        return config;
    }

    private static String configJson(int vocab, long eos, long bos, long pad) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add(Phi3Config.ARCHITECTURE);
        c.put("model_type", "phi3");
        c.put("hidden_size", HIDDEN);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("intermediate_size", 2 * HIDDEN);
        c.put("vocab_size", vocab);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 250000.0);
        c.put("max_position_embeddings", CONTEXT);
        c.put("original_max_position_embeddings", CONTEXT);
        c.putNull("rope_scaling");
        c.put("tie_word_embeddings", false);
        c.put("hidden_act", "silu");
        c.put("bos_token_id", bos);
        c.put("eos_token_id", eos);
        c.put("pad_token_id", pad);
        c.put("torch_dtype", "float32");
        return c.toPrettyString();
    }

    /** Writes seeded random float32 weights for any config as {@code model.safetensors} in {@code dir}. */
    public static void writeWeights(Path dir, Phi3Config config, long seed) {
        weights(config, new Random(seed), SafetensorsDType.F32).write(dir.resolve(Checkpoint.SINGLE_FILE));
    }

    /** Seeded normal weights; norms are ones, as a freshly initialised model has. */
    static SafetensorsWriter weights(Phi3Config c, Random random, SafetensorsDType dtype) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        long h = c.hiddenSize;
        w.add("model.embed_tokens.weight", normal(random, c.vocabSize * h, 0.5), new long[] {c.vocabSize, h}, dtype);
        for (int i = 0; i < c.layers; i++) {
            String p = "model.layers." + i + ".";
            w.add(p + "input_layernorm.weight", ones(h), new long[] {h}, dtype);
            w.add(p + "self_attn.qkv_proj.weight", normal(random, c.qkvDim() * h, 0.1), new long[] {c.qkvDim(), h}, dtype);
            w.add(p + "self_attn.o_proj.weight", normal(random, h * h, 0.1), new long[] {h, h}, dtype);
            w.add(p + "post_attention_layernorm.weight", ones(h), new long[] {h}, dtype);
            long gateUp = 2L * c.intermediateSize;
            w.add(p + "mlp.gate_up_proj.weight", normal(random, gateUp * h, 0.1), new long[] {gateUp, h}, dtype);
            w.add(p + "mlp.down_proj.weight", normal(random, h * c.intermediateSize, 0.1),
                    new long[] {h, c.intermediateSize}, dtype);
        }
        w.add("model.norm.weight", ones(h), new long[] {h}, dtype);
        w.add("lm_head.weight", normal(random, c.vocabSize * h, 0.2), new long[] {c.vocabSize, h}, dtype);
        return w;
    }

    private static float[] normal(Random random, long n, double std) {
        float[] out = new float[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (random.nextGaussian() * std);
        }
        return out;
    }

    private static float[] ones(long n) {
        float[] out = new float[Math.toIntExact(n)];
        java.util.Arrays.fill(out, 1f);
        return out;
    }

    private static void writeString(Path path, String text) {
        try {
            Files.writeString(path, text);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + path, e);
        }
    }
}
