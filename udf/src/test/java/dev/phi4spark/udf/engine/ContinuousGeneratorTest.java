package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.BaseNDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching gives the static generator's tokens, whatever slot a row lands in. */
class ContinuousGeneratorTest {

    private static final JsonNode GOLDEN = Fixtures.golden("tiny-phi3");
    private static final long[] GOLDEN_PROMPT = Fixtures.longs(GOLDEN.get("prompt_ids"));
    private static final long[] GOLDEN_GREEDY = Fixtures.longs(GOLDEN.get("greedy_new_ids"));

    private static Phi3Model model;

    @BeforeAll
    static void load() {
        model = Fixtures.load("tiny-phi3");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /**
     * More prompts than slots, of lengths 2 to 25 and budgets 1 to 40, greedy, sampled, with top-k and
     * with a repetition penalty; request 4 is the golden prompt, decoded greedily.
     */
    static List<GenerationRequest> queue(int n, long seed) {
        Random random = new Random(seed);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i == 4) {
                requests.add(new GenerationRequest(GOLDEN_PROMPT, SamplingParams.greedy(GOLDEN_GREEDY.length)));
                continue;
            }
            long[] prompt = new long[2 + random.nextInt(24)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = 3 + random.nextInt(500);
            }
            int budget = 1 + random.nextInt(40);
            SamplingParams params = switch (i % 4) {
                case 0 -> SamplingParams.greedy(budget);
                case 1 -> SamplingParams.sample(1.0, 0.95, budget, 100 + i);
                case 2 -> new SamplingParams(0.8, 20, 1.0, 1, budget, 200 + i, List.of());
                default -> new SamplingParams(1.2, 0, 0.9, 1.3, budget, 300 + i, List.of());
            };
            requests.add(new GenerationRequest(prompt, params));
        }
        return requests;
    }

    private static void assertSameTokens(List<GenerationResult> ours, List<GenerationResult> reference) {
        assertThat(ours).hasSameSizeAs(reference);
        for (int i = 0; i < ours.size(); i++) {
            GenerationResult a = ours.get(i);
            GenerationResult b = reference.get(i);
            assertThat(a.tokenIds()).as("request %d", i).containsExactly(b.tokenIds());
            assertThat(a.finishReason()).as("request %d", i).isEqualTo(b.finishReason());
            assertThat(a.promptTokens()).isEqualTo(b.promptTokens());
            assertThat(a.completionTokens()).isEqualTo(b.completionTokens());
            assertThat(a.error()).isEqualTo(b.error());
        }
    }

    @Test
    void slotsAndPrefillChunksMustBePositive() {
        assertThatThrownBy(() -> new ContinuousGenerator(model, 0, 8, Set.of(), TokenDecoder.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot create generator: slots must be positive (0)");
        assertThatThrownBy(() -> new ContinuousGenerator(model, 2, 0, Set.of(), TokenDecoder.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot create generator: prefill chunk must be positive (0)");
        assertThatThrownBy(() -> new Generator(model, -1, Set.of(), TokenDecoder.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot create generator: prefill chunk must be positive (-1)");
    }

    @Test
    void staticBatchingIsTheLoopWithoutRefillAndReportsEveryStep() {
        List<GenerationRequest> requests = queue(5, 3);
        List<int[]> steps = new ArrayList<>();
        List<GenerationResult> results = new Generator(model, 8, Set.of(), TokenDecoder.NONE)
                .generate(requests, (step, live) -> steps.add(new int[] {step, live}));
        int longest = results.stream().mapToInt(GenerationResult::completionTokens).max().orElseThrow();
        // Step 0 follows the prefill of all rows together; the last step reports no row left.
        assertThat(steps).hasSize(longest);
        assertThat(steps.get(0)).containsExactly(0, requests.size());
        assertThat(steps.get(longest - 1)).containsExactly(longest - 1, 0);
        for (int i = 1; i < steps.size(); i++) {
            assertThat(steps.get(i)[1]).as("step %d", i).isLessThanOrEqualTo(steps.get(i - 1)[1]);
        }
    }

    @Test
    void aQueueLongerThanTheSlotsGivesTheStaticGeneratorsTokens() {
        List<GenerationRequest> requests = queue(13, 5);
        List<GenerationResult> reference = new Generator(model, 64, Set.of(), TokenDecoder.NONE).generate(requests);
        // {slots, prefill chunk}: one slot, refills with chunked prefills, and every row at once.
        for (int[] config : new int[][] {{1, 64}, {3, 4}, {16, 64}}) {
            List<GenerationResult> ours = new ContinuousGenerator(model, config[0], config[1], Set.of(),
                    TokenDecoder.NONE).generate(requests);
            assertSameTokens(ours, reference);
            assertThat(ours.get(4).tokenIds()).as("golden greedy ids, %d slots", config[0]).containsExactly(GOLDEN_GREEDY);
        }
    }

    @Test
    void eachRowMatchesItsSoloRun() {
        List<GenerationRequest> requests = queue(9, 11);
        List<GenerationResult> ours = new ContinuousGenerator(model, 3, 8, Set.of(), TokenDecoder.NONE).generate(requests);
        Generator generator = new Generator(model, 8, Set.of(), TokenDecoder.NONE);
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult alone = generator.generate(List.of(requests.get(i))).get(0);
            assertThat(ours.get(i).tokenIds()).as("request %d", i).containsExactly(alone.tokenIds());
        }
    }

    @Test
    void stopTokensStopStringsAndBadRowsMatchTheStaticGenerator() {
        Set<Long> stops = Set.of(GOLDEN_GREEDY[14], 2L);
        TokenDecoder decoder = ids -> java.util.Arrays.toString(ids);
        List<GenerationRequest> requests = new ArrayList<>(queue(10, 3));
        requests.add(2, new GenerationRequest(new long[0], SamplingParams.greedy(4)));
        requests.add(5, new GenerationRequest(new long[] {5, 99_999}, SamplingParams.greedy(4)));
        requests.add(new GenerationRequest(GOLDEN_PROMPT, SamplingParams.greedy(0)));
        requests.add(new GenerationRequest(GOLDEN_PROMPT, SamplingParams.greedy(30).withStopStrings(List.of("369"))));
        List<GenerationResult> reference = new Generator(model, 16, stops, decoder).generate(requests);
        List<GenerationResult> ours = new ContinuousGenerator(model, 4, 16, stops, decoder).generate(requests);
        assertSameTokens(ours, reference);
        for (int i = 0; i < ours.size(); i++) {
            assertThat(ours.get(i).text()).as("request %d", i).isEqualTo(reference.get(i).text());
        }
        assertThat(reference).extracting(GenerationResult::finishReason).contains(FinishReason.STOP, FinishReason.ERROR);
        assertThat(ours.get(2).error().code()).isEqualTo(GenerationResult.EMPTY_PROMPT);
        assertThat(ours.get(ours.size() - 1).text()).isEqualTo("[175, 197, 96, 72, 15, 209, ");
    }

    @Test
    void liveNativeArraysStayFlatOverManyRefills() {
        BaseNDManager manager = (BaseNDManager) model.manager();
        int before = manager.getManagedArrays().size();
        Random random = new Random(1);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            long[] prompt = new long[3 + random.nextInt(10)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = 3 + random.nextInt(500);
            }
            requests.add(new GenerationRequest(prompt, new SamplingParams(0.9, 20, 0.9, 1.1, 2 + random.nextInt(12),
                    i, List.of())));
        }
        List<Integer> counts = new ArrayList<>();
        List<Integer> live = new ArrayList<>();
        List<GenerationResult> results = new ContinuousGenerator(model, 3, 8, Set.of(), TokenDecoder.NONE)
                .generate(requests, (step, rows) -> {
                    counts.add(manager.getManagedArrays().size());
                    live.add(rows);
                });
        assertThat(results).allSatisfy(r -> assertThat(r.error()).isNull());
        // 60 rows of 2 to 13 tokens through 3 slots: well over a hundred steps, dozens of refills.
        assertThat(counts.size()).isGreaterThan(100);
        assertThat(live.get(1)).isEqualTo(3);
        assertThat(counts.subList(1, counts.size() - 1)).containsOnly(counts.get(1));
        assertThat(manager.getManagedArrays().size()).isEqualTo(before);
    }
}
