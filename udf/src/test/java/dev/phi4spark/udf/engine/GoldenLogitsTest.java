package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine against logits made outside the project (llama.cpp, cross-checked with numpy), on every
 * path: the NDArray reference, libtorch's fused attention kernel, and the fused TorchScript decoder.
 */
class GoldenLogitsTest {

    @ParameterizedTest
    @CsvSource({"tiny-phi3, plain", "tiny-phi3, fused", "tiny-phi3, layers", "tiny-phi3-bf16, plain", "tiny-phi3-bf16, fused",
        "tiny-phi3-bf16, layers"})
    void logitsAtEveryPromptPositionMatch(String fixture, String attention) {
        JsonNode golden = Fixtures.golden(fixture);
        long[] prompt = Fixtures.longs(golden.get("prompt_ids"));
        try (Phi3Model model = Fixtures.load(fixture, attention); NDManager step = model.manager().newSubManager();
                KvCache cache = model.newCache(1, prompt.length)) {
            assertThat(model.attention()).isEqualTo(attention);
            Batch batch = new Batch(new long[][] {prompt});
            NDArray hidden = model.hidden(step, batch.tokens(step, 0, prompt.length),
                    batch.positions(step, 0, prompt.length), prompt.length - 1, cache, 0);
            NDArray logits = model.logits(hidden);
            for (int pos = 0; pos < prompt.length; pos++) {
                float[] ours = logits.get(0, pos).toFloatArray();
                float[] theirs = Fixtures.floats(golden.get("logits").get(pos));
                assertThat(Fixtures.maxAbsDiff(ours, theirs)).as("position %d", pos).isLessThan(Fixtures.TOLERANCE);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-phi3, plain", "tiny-phi3, fused", "tiny-phi3, layers", "tiny-phi3-bf16, plain", "tiny-phi3-bf16, fused",
        "tiny-phi3-bf16, layers"})
    void greedyDecodingThroughTheCacheMatches(String fixture, String attention) {
        JsonNode golden = Fixtures.golden(fixture);
        long[] prompt = Fixtures.longs(golden.get("prompt_ids"));
        long[] expected = Fixtures.longs(golden.get("greedy_new_ids"));
        try (Phi3Model model = Fixtures.load(fixture, attention)) {
            // A one-column prefill chunk feeds the prompt one token at a time through the cache too.
            for (int chunk : new int[] {1, 5, 64}) {
                Generator generator = new Generator(model, chunk, Set.of(), TokenDecoder.NONE);
                GenerationResult result = generator.generate(List.of(
                        new GenerationRequest(prompt, SamplingParams.greedy(expected.length)))).get(0);
                assertThat(result.tokenIds()).as("prefill chunk %d", chunk).containsExactly(expected);
                assertThat(result.finishReason()).isEqualTo(FinishReason.LENGTH);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-phi3, plain", "tiny-phi3, fused", "tiny-phi3, layers", "tiny-phi3-bf16, plain", "tiny-phi3-bf16, fused",
        "tiny-phi3-bf16, layers"})
    void sequencesOfDifferentLengthsDecodedTogetherMatch(String fixture, String attention) {
        JsonNode golden = Fixtures.golden(fixture);
        List<long[]> prompts = new ArrayList<>();
        golden.get("batch").forEach(b -> prompts.add(Fixtures.longs(b.get("ids"))));
        try (Phi3Model model = Fixtures.load(fixture, attention); NDManager step = model.manager().newSubManager()) {
            Batch batch = new Batch(prompts.toArray(new long[0][]));
            try (KvCache cache = model.newCache(batch.rows(), batch.width)) {
                for (int r = 0; r < batch.rows(); r++) {
                    cache.markPadding(r, batch.pad[r]);
                }
                NDArray hidden = model.hidden(step, batch.tokens(step, 0, batch.width),
                        batch.positions(step, 0, batch.width), batch.maxPosition(batch.width), cache, 0);
                NDArray logits = model.logits(hidden);
                for (int r = 0; r < batch.rows(); r++) {
                    float[] ours = logits.get(r, batch.width - 1).toFloatArray();
                    float[] theirs = Fixtures.floats(golden.get("batch").get(r).get("last_logits"));
                    assertThat(Fixtures.maxAbsDiff(ours, theirs)).as("sequence %d", r).isLessThan(Fixtures.TOLERANCE);
                }
            }
        }
    }
}
