package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Out-of-memory errors halve the batch; a row that fails alone gets an error and the others go on. */
class AdaptiveBatchTest {

    private static final String CUDA_OOM = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.11 GiB total"
            + " capacity)\nException raised from malloc at c10/cuda/CUDACachingAllocator.cpp";

    private static Phi3Model model;
    private static List<GenerationRequest> requests;
    private static List<GenerationResult> reference;

    @BeforeAll
    static void load() {
        model = Fixtures.load("tiny-phi3");
        requests = ContinuousGeneratorTest.queue(9, 21);
        reference = new Generator(model, 16, Set.of(), TokenDecoder.NONE).generate(requests);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static ContinuousGenerator generator(int slots, Consumer<NDArray> beforeForward) {
        return new ContinuousGenerator(new FailingForward(model, beforeForward), slots, true, 16,
                new DecodingPolicy(Set.of(), TokenDecoder.NONE), null, 0);
    }

    private static Scorer scorer(Consumer<NDArray> beforeForward) {
        return new Scorer(new FailingForward(model, beforeForward), 16);
    }

    /**
     * A token of request {@code row}'s prompt found in no other prompt and in no reference output: a
     * forward whose input holds it is one that runs the row.
     */
    private static long marker(int row) {
        Set<Long> elsewhere = new HashSet<>();
        for (int i = 0; i < requests.size(); i++) {
            if (i != row) {
                Arrays.stream(requests.get(i).promptIds()).forEach(elsewhere::add);
            }
            Arrays.stream(reference.get(i).tokenIds()).forEach(elsewhere::add);
        }
        return Arrays.stream(requests.get(row).promptIds()).filter(t -> !elsewhere.contains(t)).findFirst()
                .orElseThrow();
    }

    @Test
    void batchesAboveTheMemoryLimitAreHalvedUntilTheyFit() {
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        List<GenerationResult> results = generator(8, tokens -> {
            sizes.add(FailingForward.rows(tokens));
            if (FailingForward.rows(tokens) > 2) {
                throw new EngineException(CUDA_OOM);
            }
        }).generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(results.get(i).tokenIds()).as("request %d", i).containsExactly(reference.get(i).tokenIds());
        }
        // 8 slots fail, then 4, then 2 fit.
        assertThat(sizes.subList(0, 2)).containsExactly(8, 4);
        assertThat(sizes.subList(2, sizes.size())).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2)).contains(2);
    }

    @Test
    void aRowThatFailsAloneGetsAnErrorAndTheOthersGoOn() {
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        long sixth = marker(6);
        List<GenerationResult> results = generator(4, tokens -> {
            sizes.add(FailingForward.rows(tokens));
            if (FailingForward.holds(tokens, sixth)) {
                throw new EngineException("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't"
                        + " allocate memory: you tried to allocate 17179869184 bytes.");
            }
        }).generate(requests);
        GenerationResult failed = results.get(6);
        assertThat(failed.finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(failed.error().code()).isEqualTo(GenerationResult.OUT_OF_MEMORY);
        assertThat(failed.error().render()).startsWith("out_of_memory: [enforce fail at alloc_cpu.cpp:117] data."
                + " DefaultCPUAllocator: can't allocate memory");
        assertThat(failed.promptTokens()).isEqualTo(requests.get(6).promptIds().length);
        for (int i = 0; i < requests.size(); i++) {
            if (i != 6) {
                assertThat(results.get(i).error()).isNull();
                assertThat(results.get(i).tokenIds()).as("request %d", i).containsExactly(reference.get(i).tokenIds());
            }
        }
        assertThat(sizes).contains(4, 2, 1);
    }

    @Test
    void staticBatchesAboveTheMemoryLimitAreHalvedUntilTheyFit() {
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        List<GenerationResult> results = new Generator(new FailingForward(model, tokens -> {
            sizes.add(FailingForward.rows(tokens));
            if (FailingForward.rows(tokens) > 2) {
                throw new EngineException(CUDA_OOM);
            }
        }), 16, new DecodingPolicy(Set.of(), TokenDecoder.NONE)).generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(results.get(i).tokenIds()).as("request %d", i).containsExactly(reference.get(i).tokenIds());
        }
        // One batch of all 9 fails, then 4, then batches of 2 run one after another.
        assertThat(sizes.subList(0, 3)).containsExactly(9, 4, 2);
        assertThat(sizes.subList(2, sizes.size())).allSatisfy(n -> assertThat(n).isBetween(1, 2));
    }

    @Test
    void aPrefixTheDeviceHasNoMemoryForIsLeftOut() {
        long[] head = Arrays.copyOf(requests.get(4).promptIds(), 5);
        List<long[]> prompts = List.of(concat(head, 7, 8), concat(head, 9));
        try (PrefixCache cache = new PrefixCache(new FailingForward(model, tokens -> {
            throw new EngineException(CUDA_OOM);
        }), 16, 4, Long.MAX_VALUE); PrefixCache.Pinned pinned = cache.pinShared(prompts, 4, List.of())) {
            assertThat(pinned.size()).isZero();
            assertThat(cache.size()).isZero();
        }
        try (PrefixCache cache = new PrefixCache(new FailingForward(model, tokens -> {
            throw new EngineException("shape mismatch");
        }), 16, 4, Long.MAX_VALUE)) {
            assertThatThrownBy(() -> cache.pinShared(prompts, 4, List.of())).isInstanceOf(EngineException.class)
                    .hasMessage("shape mismatch");
        }
    }

    private static long[] concat(long[] head, long... tail) {
        long[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }

    @Test
    void scoringBatchesAboveTheMemoryLimitAreHalvedUntilTheyFit() {
        List<long[]> texts = requests.stream().map(GenerationRequest::promptIds).toList();
        List<ScoreResult> whole = new Scorer(model, 16).score(texts);
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        List<ScoreResult> halved = scorer(tokens -> {
            sizes.add(FailingForward.rows(tokens));
            if (FailingForward.rows(tokens) > 2) {
                throw new EngineException(CUDA_OOM);
            }
        }).score(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(halved.get(i).error()).isNull();
            assertThat(Fixtures.maxAbsDiff(halved.get(i).tokenLogprobs(), whole.get(i).tokenLogprobs()))
                    .as("text %d", i).isLessThan(1e-4);
        }
        assertThat(sizes.get(0)).isEqualTo(texts.size());
        assertThat(sizes).allSatisfy(n -> assertThat(n).isGreaterThan(0)).contains(2);
    }

    @Test
    void aJudgedRowThatFailsAloneGetsAnErrorAndTheOthersGoOn() {
        List<long[]> prompts = requests.stream().map(GenerationRequest::promptIds).toList();
        long[] candidates = {10, 11, 12};
        List<ChoiceResult> whole = new Scorer(model, 16).choose(prompts, candidates);
        long third = marker(3);
        List<ChoiceResult> results = scorer(tokens -> {
            if (FailingForward.holds(tokens, third)) {
                throw new EngineException(CUDA_OOM);
            }
        }).choose(prompts, candidates);
        assertThat(results.get(3).error().render()).startsWith("out_of_memory: CUDA out of memory. Tried to allocate 2.00 GiB");
        assertThat(results.get(3).argmax()).isEqualTo(-1);
        for (int i = 0; i < prompts.size(); i++) {
            if (i != 3) {
                assertThat(results.get(i).error()).isNull();
                assertThat(Fixtures.maxAbsDiff(results.get(i).probabilities(), whole.get(i).probabilities()))
                        .as("prompt %d", i).isLessThan(1e-4);
            }
        }
    }

    @Test
    void otherEngineErrorsAreNotTakenForMemory() {
        ContinuousGenerator failing = generator(4, tokens -> {
            throw new EngineException("shape mismatch");
        });
        assertThatThrownBy(() -> failing.generate(requests)).isInstanceOf(EngineException.class)
                .hasMessage("shape mismatch");
    }

    @Test
    void outOfMemoryMessagesAreRecognised() {
        assertThat(OutOfMemoryPolicy.is(new EngineException(CUDA_OOM))).isTrue();
        assertThat(OutOfMemoryPolicy.is(new IllegalStateException("wrapped", new EngineException("CUDA error: out of memory"))))
                .isTrue();
        assertThat(OutOfMemoryPolicy.is(new EngineException("index out of range"))).isFalse();
        assertThat(OutOfMemoryPolicy.is(new IllegalStateException("out of memory"))).isFalse();
        assertThat(OutOfMemoryPolicy.summary(new EngineException(CUDA_OOM)))
                .isEqualTo("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.11 GiB total capacity)");
    }
}
