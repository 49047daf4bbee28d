package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.BaseNDManager;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.Phi4SpecialTokens;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on a tiny snapshot with a tokenizer, as {@code model make-tiny} writes it. */
class EngineTest {

    @TempDir
    static Path temp;

    private static Path dir;
    private static Phi4Engine engine;

    @BeforeAll
    static void load() throws IOException {
        dir = temp.resolve("tiny");
        TinyModelWriter.write(dir, 1, SafetensorsDType.F32);
        engine = Phi4Engine.load(dir, EngineOptions.DEFAULTS.withDevice("cpu").withPrefillChunk(64));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void stopTokensComeFromTheSnapshotFiles() {
        Phi4Tokenizer tok = engine.requireTokenizer();
        long imEnd = tok.tokenId(Phi4SpecialTokens.IM_END).orElseThrow();
        long endOfText = tok.tokenId(Phi4SpecialTokens.END_OF_TEXT).orElseThrow();
        assertThat(engine.stopTokens()).containsExactlyInAnyOrder(imEnd, endOfText);
    }

    @Test
    void chatGenerationReturnsTextAndCounts() {
        List<List<ChatMessage>> chats = List.of(
                List.of(ChatMessage.system("You are terse."), ChatMessage.user("Name a prime number.")),
                List.of(ChatMessage.user("Write a haiku about the sea.")));
        List<GenerationResult> results = engine.generateChat(chats,
                List.of(SamplingParams.sample(1.0, 0.95, 20, 3), SamplingParams.greedy(12)));
        Phi4Tokenizer tok = engine.requireTokenizer();
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            assertThat(r.error()).isNull();
            assertThat(r.promptTokens()).isEqualTo(tok.encodeChat(chats.get(i), true).length);
            assertThat(r.completionTokens()).isEqualTo(r.tokenIds().length).isPositive();
            assertThat(r.finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
            long[] textIds = r.finishReason() == FinishReason.STOP
                    ? java.util.Arrays.copyOf(r.tokenIds(), r.tokenIds().length - 1) : r.tokenIds();
            assertThat(r.text()).isEqualTo(Phi4Engine.decodeKnown(tok, textIds));
        }
    }

    @Test
    void aStopStringCutsTheCompletion() {
        long[] prompt = engine.requireTokenizer().encode("Once upon a time");
        GenerationResult free = engine.generate(List.of(new GenerationRequest(prompt, SamplingParams.greedy(40)))).get(0);
        assertThat(free.text().length()).isGreaterThan(6);
        String stop = free.text().substring(3, 6);
        GenerationResult cut = engine.generate(List.of(new GenerationRequest(prompt,
                SamplingParams.greedy(40).withStopStrings(List.of(stop))))).get(0);
        assertThat(cut.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(cut.text()).isEqualTo(free.text().substring(0, free.text().indexOf(stop)));
    }

    @Test
    void badRowsGetErrorsAndTheOthersMatchTheirSoloRun() {
        long[] good = engine.requireTokenizer().encode("The quick brown fox");
        long[] tooLong = new long[engine.config().maxPositions];
        java.util.Arrays.fill(tooLong, 40);
        SamplingParams p = SamplingParams.sample(1.0, 1.0, 10, 11);
        List<GenerationResult> results = engine.generate(List.of(
                new GenerationRequest(new long[0], p),
                new GenerationRequest(good, p),
                new GenerationRequest(tooLong, p),
                new GenerationRequest(new long[] {5, 1_000_000}, p)));
        assertThat(results.get(0).error().code()).isEqualTo("empty_prompt");
        assertThat(results.get(0).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(results.get(2).error().render()).isEqualTo("prompt_too_long: the prompt has 4096 tokens and the context holds 4096");
        assertThat(results.get(3).error().code()).isEqualTo("invalid_token");
        GenerationResult alone = engine.generate(List.of(new GenerationRequest(good, p))).get(0);
        assertThat(results.get(1).tokenIds()).containsExactly(alone.tokenIds());
        assertThat(results.get(1).error()).isNull();
    }

    @Test
    void promptsLongerThan512TokensAreNotTruncated() {
        String text = "The mitochondria is the powerhouse of the cell. ".repeat(60);
        long[] ids = engine.requireTokenizer().encode(text);
        assertThat(ids.length).isGreaterThan(512);
        ScoreResult r = engine.score(List.of(ids)).get(0);
        assertThat(r.tokenCount()).isEqualTo(ids.length - 1);
    }

    @Test
    void liveNativeArraysStayFlatOver200DecodeSteps() {
        BaseNDManager manager = (BaseNDManager) engine.model().manager();
        int before = manager.getManagedArrays().size();
        List<Integer> counts = new ArrayList<>();
        long[] prompt = engine.requireTokenizer().encode("Count the arrays");
        List<GenerationRequest> rows = List.of(
                new GenerationRequest(prompt, new SamplingParams(0.9, 20, 0.9, 1.1, 200, 1, List.of())),
                new GenerationRequest(prompt, new SamplingParams(0.9, 20, 0.9, 1.1, 200, 2, List.of())));
        // A generator without stop tokens, so both rows run all 200 steps.
        Generator generator = new Generator(engine.model(), 64, java.util.Set.of(), TokenDecoder.NONE);
        List<GenerationResult> results = generator.generate(rows,
                (step, live) -> counts.add(manager.getManagedArrays().size()));
        assertThat(results).allSatisfy(r -> assertThat(r.completionTokens()).isEqualTo(200));
        assertThat(counts).hasSize(200);
        assertThat(counts.subList(1, 199)).containsOnly(counts.get(1));
        assertThat(manager.getManagedArrays().size()).isEqualTo(before);
    }

    @Test
    void concurrentCallsFromSeveralThreadsGiveTheSequentialResults() throws Exception {
        List<long[]> prompts = new ArrayList<>();
        for (String s : List.of("alpha beta", "gamma delta epsilon", "zeta", "eta theta iota kappa")) {
            prompts.add(engine.requireTokenizer().encode(s));
        }
        List<long[]> expected = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            expected.add(engine.generate(List.of(new GenerationRequest(prompts.get(i),
                    SamplingParams.sample(1.0, 0.9, 16, i)))).get(0).tokenIds());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < prompts.size(); i++) {
                    int row = i;
                    futures.add(pool.submit(() -> engine.generate(List.of(new GenerationRequest(prompts.get(row),
                            SamplingParams.sample(1.0, 0.9, 16, row)))).get(0).tokenIds()));
                }
            }
            for (int f = 0; f < futures.size(); f++) {
                assertThat(futures.get(f).get()).containsExactly(expected.get(f % prompts.size()));
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void logitsMatchTheScorer() {
        long[] ids = engine.requireTokenizer().encode("Logits and scores agree.");
        float[][] all = engine.logits(ids, true);
        float[][] last = engine.logits(ids, false);
        assertThat(all).hasNumberOfRows(ids.length);
        assertThat(last).hasNumberOfRows(1);
        // One row and many rows take different GEMM paths: equal to float rounding, not bit for bit.
        assertThat(Fixtures.maxAbsDiff(last[0], all[ids.length - 1])).isLessThan(1e-5);
        assertThatThrownBy(() -> engine.logits(new long[0], false))
                .hasMessage("Cannot compute logits: the sequence has 0 tokens; expected 1 to 4096");
    }

    @Test
    void theSnapshotIsWrittenTheSameWayEveryTime() throws IOException {
        Path again = temp.resolve("tiny-again");
        TinyModelWriter.write(again, 1, SafetensorsDType.F32);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertThat(Files.mismatch(dir.resolve(f), again.resolve(f))).as(f).isEqualTo(-1L);
        }
        assertThat(engine.identity()).startsWith(dir.getFileName().toString() + "@").hasSize(
                dir.getFileName().toString().length() + 13);
    }
}
