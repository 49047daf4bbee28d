package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** The models and runs the decoder paths' tests compare ({@link FusedDecoderTest}, {@link NativeDecoderTest}). */
final class DecoderPaths {

    private DecoderPaths() {}

    /**
     * A random Phi-3 with half-width rotary and longrope factors that switch to the long ones past 32
     * positions: the parts of the layer the golden fixtures (full rotary, no scaling) leave out.
     */
    static Path model(Path temp, String name, int layers) throws IOException {
        Path dir = temp.resolve(name);
        Files.createDirectories(dir);
        String config = "{\"architectures\": [\"Phi3ForCausalLM\"], \"hidden_size\": 64, \"num_hidden_layers\": "
                + layers + ", \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 96,"
                + " \"vocab_size\": 300, \"max_position_embeddings\": 128, \"original_max_position_embeddings\": 32,"
                + " \"partial_rotary_factor\": 0.5, \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-5,"
                + " \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0, 1.1, 1.3, 1.7],"
                + " \"long_factor\": [1.5, 2.0, 3.0, 5.0]}, \"tie_word_embeddings\": false, \"eos_token_id\": 2}";
        Files.writeString(dir.resolve("config.json"), config);
        TinyModelWriter.writeWeights(dir, Phi3Config.read(dir.resolve("config.json")), 17);
        return dir;
    }

    static Phi3Model load(Path dir, String attention) {
        Phi3Model model = Phi3Model.load(dir, Phi3Config.read(dir.resolve("config.json")), Device.cpu(),
                DataType.FLOAT32, attention);
        assertThat(model.attention()).isEqualTo(attention);
        return model;
    }

    /**
     * Logits of a padded batch's prefill (each row's last two columns), {@code chunk} columns per forward, then
     * of decode steps past the longrope switch, per column.
     */
    static float[][] logits(Phi3Model model, int chunk) {
        return logits(model, chunk, new long[][] {{5, 9, 14, 22, 7, 3}, {11, 4}, {8, 30, 12, 6, 2, 19, 40, 41, 50, 60}}, 40);
    }

    /** The same for these prompts and {@code columns} decode steps (ids below 293). */
    static float[][] logits(Phi3Model model, int chunk, long[][] prompts, int columns) {
        Batch batch = new Batch(prompts);
        float[][] out = new float[1 + columns][];
        try (NDManager call = model.manager().newSubManager();
                KvCache cache = model.newCache(batch.rows(), batch.width + columns)) {
            model.prefill(call, batch, cache, chunk, (step, hidden, start, end) -> {
                if (end == batch.width) {
                    out[0] = model.logits(hidden.get(":, -2:, :")).toFloatArray(); // each row's last two columns
                }
            });
            for (int c = 0; c < columns; c++) {
                int column = batch.width + c;
                try (NDManager step = call.newSubManager()) {
                    long[] ids = new long[batch.rows()];
                    float[] positions = new float[batch.rows()];
                    int maxPosition = 0;
                    for (int r = 0; r < ids.length; r++) {
                        ids[r] = 3 + (7L * c + r) % 290;
                        positions[r] = column - batch.pad[r];
                        maxPosition = Math.max(maxPosition, (int) positions[r]);
                    }
                    NDArray hidden = model.hidden(step, step.create(ids).reshape(ids.length, 1),
                            step.create(positions).reshape(ids.length, 1), maxPosition, cache, column);
                    out[1 + c] = model.logits(hidden).toFloatArray();
                }
            }
        }
        return out;
    }

    /**
     * Four greedy requests of different lengths through two continuous-batching slots: {@code attention}
     * gives the plain path's tokens.
     */
    static void assertSlotsGiveThePlainPathsTokens(Path dir, String attention) {
        List<GenerationRequest> requests = slotRequests();
        try (Phi3Model plain = load(dir, "plain"); Phi3Model other = load(dir, attention)) {
            List<GenerationResult> a = new ContinuousGenerator(plain, 2, 4, Set.of(), TokenDecoder.NONE).generate(requests);
            List<GenerationResult> b = new ContinuousGenerator(other, 2, 4, Set.of(), TokenDecoder.NONE).generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(b.get(i).tokenIds()).as("request %d", i).containsExactly(a.get(i).tokenIds());
            }
        }
    }

    private static List<GenerationRequest> slotRequests() {
        return List.of(
                new GenerationRequest(new long[] {5, 9, 14}, SamplingParams.greedy(30)),
                new GenerationRequest(new long[] {11, 4, 8, 30, 12}, SamplingParams.greedy(5)),
                new GenerationRequest(new long[] {7}, SamplingParams.greedy(20)),
                new GenerationRequest(new long[] {3, 3, 3, 3}, SamplingParams.greedy(12)));
    }
}
