package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prompts that share a prefix reuse its keys and values and still get the same logits and tokens. */
class PrefixCacheTest {

    private static Phi3Model model;

    @BeforeAll
    static void load() {
        model = Fixtures.load("tiny-phi3");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static long[] random(Random random, int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + random.nextInt(500);
        }
        return ids;
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A shared 40-token prefix, then 1 to 15 tokens of each prompt's own. */
    private static List<long[]> sharedPrefixPrompts(long[] prefix, int n, long seed) {
        Random random = new Random(seed);
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            prompts.add(concat(prefix, random(random, 1 + random.nextInt(15))));
        }
        return prompts;
    }

    /** Float32 logits {@code [rows][vocab]} of each prompt's last token, prefilled as one group. */
    private static float[][] lastLogits(long[][] prompts, PrefixCache.Entry prefix, int chunk) {
        GroupPrefill prefill = new GroupPrefill(prompts, prefix);
        float[][] out = new float[prompts.length][];
        try (NDManager call = model.manager().newSubManager(); KvCache scratch = prefill.scratch(model)) {
            prefill.run(ModelForward.of(model), call, scratch, chunk, (step, logits) -> {
                for (int r = 0; r < prompts.length; r++) {
                    out[r] = logits.get(r).toFloatArray();
                }
            });
        }
        return out;
    }

    @Test
    void logitsAfterAReusedPrefixEqualAFullPrefill() {
        long[] prefix = random(new Random(3), 40);
        long[][] prompts = sharedPrefixPrompts(prefix, 5, 4).toArray(new long[0][]);
        try (PrefixCache cache = new PrefixCache(model, 16, 4)) {
            PrefixCache.Entry entry = cache.pin(prefix);
            assertThat(entry.length()).isEqualTo(40);
            float[][] full = lastLogits(prompts, null, 64);
            for (int chunk : new int[] {3, 64}) {
                float[][] reused = lastLogits(prompts, entry, chunk);
                for (int r = 0; r < prompts.length; r++) {
                    assertThat(Fixtures.maxAbsDiff(reused[r], full[r])).as("prompt %d, chunk %d", r, chunk)
                            .isLessThan(1e-4);
                }
            }
            cache.release(entry);
        }
    }

    @Test
    void tokensAreTheSameWithReuseOnAndOff() {
        long[] prefix = random(new Random(8), 40);
        List<long[]> prompts = sharedPrefixPrompts(prefix, 7, 9);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            SamplingParams p = i % 2 == 0 ? SamplingParams.greedy(6 + 3 * i) : SamplingParams.sample(1.0, 0.9, 6 + 3 * i, i);
            requests.add(new GenerationRequest(prompts.get(i), p));
        }
        requests.add(new GenerationRequest(random(new Random(1), 9), SamplingParams.greedy(10))); // shares nothing
        ContinuousGenerator plain = new ContinuousGenerator(model, 3, 16, Set.of(), TokenDecoder.NONE);
        List<GenerationResult> off = plain.generate(requests);
        try (PrefixCache cache = new PrefixCache(model, 16, 4)) {
            List<GenerationResult> on = plain.withPrefixCache(cache, 16).generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(on.get(i).tokenIds()).as("request %d", i).containsExactly(off.get(i).tokenIds());
            }
            assertThat(cache.size()).isEqualTo(1);
            assertThat(cache.hits()).isEqualTo(7);
            assertThat(cache.reusedTokens()).isEqualTo(7 * 40);
        }
        List<GenerationResult> reference = new Generator(model, 16, Set.of(), TokenDecoder.NONE).generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(off.get(i).tokenIds()).as("request %d", i).containsExactly(reference.get(i).tokenIds());
        }
    }

    @Test
    void aRowReusesOnlyAPrefixItsOwnCallSharesSoRerunsAreIdentical() {
        Random random = new Random(12);
        long[] shared = random(random, 40);
        long[] longer = concat(shared, random(random, 10));
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(concat(longer, random(random, 5)), SamplingParams.sample(1.0, 0.9, 8, 1)),
                new GenerationRequest(concat(shared, random(random, 7)), SamplingParams.sample(1.0, 0.9, 8, 2)),
                new GenerationRequest(concat(shared, random(random, 3)), SamplingParams.greedy(8)));
        ContinuousGenerator plain = new ContinuousGenerator(model, 3, 16, Set.of(), TokenDecoder.NONE);
        try (PrefixCache fresh = new PrefixCache(model, 16, 4); PrefixCache used = new PrefixCache(model, 16, 4)) {
            used.put(longer); // left by an earlier call whose prompts shared more
            List<GenerationResult> a = plain.withPrefixCache(fresh, 16).generate(requests);
            List<GenerationResult> b = plain.withPrefixCache(used, 16).generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(a.get(i).cachedPromptTokens()).as("request %d", i).isEqualTo(40);
                assertThat(b.get(i).cachedPromptTokens()).as("request %d", i).isEqualTo(40);
                assertThat(b.get(i).tokenIds()).as("request %d", i).containsExactly(a.get(i).tokenIds());
            }
        }
    }

    @Test
    void theTokenBudgetEvictsTheOldestPrefixes() {
        Random random = new Random(13);
        long[] a = random(random, 30);
        long[] b = random(random, 30);
        long[] c = random(random, 15);
        try (PrefixCache cache = new PrefixCache(model, 16, 8, 50)) {
            cache.put(a);
            cache.put(b);
            assertThat(cache.contains(a)).isFalse();
            assertThat(cache.contains(b)).isTrue();
            assertThat(cache.tokens()).isEqualTo(30);
            cache.put(c);
            assertThat(cache.size()).isEqualTo(2);
            assertThat(cache.tokens()).isEqualTo(45);
            cache.clear();
            assertThat(cache.tokens()).isZero();
        }
    }

    @Test
    void groupsOfPromptsGetTheirOwnSharedPrefix() {
        Random random = new Random(5);
        long[] system = random(random, 20);
        long[] recipe = random(random, 30);
        List<long[]> prompts = new ArrayList<>();
        prompts.add(concat(system, random(random, 4)));
        prompts.add(concat(recipe, random(random, 6)));
        prompts.add(random(random, 25));
        prompts.add(concat(system, random(random, 9)));
        prompts.add(concat(recipe, random(random, 2)));
        prompts.add(concat(system, random(random, 1)));
        try (PrefixCache cache = new PrefixCache(model, 16, 4)) {
            List<long[]> shared = cache.putShared(prompts, 8);
            assertThat(shared).hasSize(2);
            assertThat(shared).anySatisfy(p -> assertThat(p).startsWith(system).hasSizeBetween(20, 20));
            assertThat(shared).anySatisfy(p -> assertThat(p).startsWith(recipe).hasSizeBetween(30, 31));
            try (PrefixCache.Pinned pinned = cache.pinShared(prompts, 8, List.of())) {
                assertThat(pinned.size()).isEqualTo(2);
                assertThat(pinned.longestFor(prompts.get(0)).length()).isEqualTo(20);
                assertThat(pinned.longestFor(prompts.get(4)).length()).isBetween(30, 31);
                assertThat(pinned.longestFor(prompts.get(2))).isNull();
            }
        }
    }

    @Test
    void aPrefixAsLongAsThePromptIsNotUsedAndOldEntriesLeave() {
        Random random = new Random(6);
        long[] a = random(random, 12);
        long[] b = random(random, 12);
        try (PrefixCache cache = new PrefixCache(model, 16, 1)) {
            PrefixCache.Entry inUse = cache.pin(a);
            try (PrefixCache.Pinned pinned = cache.pinShared(List.of(), 0, List.of(a))) {
                assertThat(pinned.longestFor(a)).isNull(); // no token would be left to give the first logits
                assertThat(pinned.longestFor(concat(a, new long[] {7}))).isSameAs(inUse);
            }
            cache.put(b);
            assertThat(cache.size()).isEqualTo(1);
            assertThat(cache.contains(a)).isFalse();
            assertThat(cache.contains(b)).isTrue();
            // The evicted entry stays usable until its user gives it back.
            float[][] reused = lastLogits(new long[][] {concat(a, new long[] {7})}, inUse, 16);
            float[][] full = lastLogits(new long[][] {concat(a, new long[] {7})}, null, 16);
            assertThat(Fixtures.maxAbsDiff(reused[0], full[0])).isLessThan(1e-4);
            cache.release(inUse);
        }
    }
}
