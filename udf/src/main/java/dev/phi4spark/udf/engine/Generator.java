package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Batched generation with a KV cache: valid rows are left-padded into one batch, prefilled in chunks of
 * {@code prefillChunk} columns (bounded memory for long prompts), then decoded one column per step.
 * Finished rows leave the batch so they stop costing compute. Bad rows get an error; the rest run.
 */
public final class Generator {

    private final Phi3Model model;
    private final int prefillChunk;
    private final Set<Long> stopTokens;
    private final TokenDecoder decoder;

    /**
     * @param model the model
     * @param prefillChunk columns per prefill forward
     * @param stopTokens ids that end a row (Phi-4: {@code <|im_end|>}, {@code <|endoftext|>})
     * @param decoder turns ids into text for results and stop strings
     */
    public Generator(Phi3Model model, int prefillChunk, Set<Long> stopTokens, TokenDecoder decoder) {
        if (prefillChunk <= 0) {
            throw new IllegalArgumentException("Cannot create generator: prefill chunk must be positive ("
                    + prefillChunk + ")");
        }
        this.model = model;
        this.prefillChunk = prefillChunk;
        this.stopTokens = Set.copyOf(stopTokens);
        this.decoder = decoder;
    }

    /** Told after each decode step: progress reports, and tests that watch memory. */
    @FunctionalInterface
    public interface StepListener {
        /** Called after decode step {@code step} (0 is the prefill) with the rows still decoding. */
        void afterStep(int step, int liveRows);

        /** A listener that does nothing. */
        StepListener NONE = (step, rows) -> { };
    }

    /** Generates for every request; results are in request order. */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return generate(requests, StepListener.NONE);
    }

    /** Generates for every request, telling {@code listener} after each step. */
    public List<GenerationResult> generate(List<GenerationRequest> requests, StepListener listener) {
        GenerationResult[] results = new GenerationResult[requests.size()];
        List<Integer> runnable = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            results[i] = check(requests.get(i));
            if (results[i] == null) {
                runnable.add(i);
            }
        }
        if (!runnable.isEmpty()) {
            List<GenerationResult> done = run(runnable.stream().map(requests::get).toList(), listener);
            for (int j = 0; j < runnable.size(); j++) {
                results[runnable.get(j)] = done.get(j);
            }
        }
        return Arrays.asList(results);
    }

    /** An error result for a row that cannot run, or null when it can. */
    GenerationResult check(GenerationRequest request) {
        long[] ids = request.promptIds();
        int context = model.config().maxPositions;
        if (ids == null || ids.length == 0) {
            return GenerationResult.failed(0, new RowError(GenerationResult.EMPTY_PROMPT, "the prompt has no tokens"));
        }
        if (ids.length >= context) {
            return GenerationResult.failed(ids.length, new RowError(GenerationResult.PROMPT_TOO_LONG, "the prompt has "
                    + ids.length + " tokens and the context holds " + context));
        }
        int vocab = model.config().vocabSize;
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                return GenerationResult.failed(ids.length, new RowError(GenerationResult.INVALID_TOKEN, "token id " + id
                        + " is outside the vocabulary of " + vocab));
            }
        }
        return null;
    }

    private List<GenerationResult> run(List<GenerationRequest> requests, StepListener listener) {
        int n = requests.size();
        long[][] prompts = new long[n][];
        SamplingParams[] params = new SamplingParams[n];
        int[] budget = new int[n];
        int context = model.config().maxPositions;
        int mostNew = 0;
        for (int i = 0; i < n; i++) {
            prompts[i] = requests.get(i).promptIds();
            params[i] = requests.get(i).params();
            budget[i] = Math.min(params[i].maxNewTokens(), context - prompts[i].length);
            mostNew = Math.max(mostNew, budget[i]);
        }
        Batch batch = new Batch(prompts);
        List<List<Long>> generated = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            generated.add(new ArrayList<>());
        }
        GenerationResult[] results = new GenerationResult[n];
        try (NDManager call = model.manager().newSubManager();
                KvCache cache = model.newCache(n, batch.width + Math.max(mostNew, 1))) {
            Sampler sampler = new Sampler(params);
            sampler.start(call, prompts, model.config().vocabSize);
            new Decoding(batch, params, cache, sampler, call, budget, generated, results).run(listener);
        }
        return Arrays.asList(results);
    }

    /** The state of one batch while it decodes: which original rows are still in the cache. */
    private final class Decoding {
        private final Batch batch;
        private final SamplingParams[] params;
        private final KvCache cache;
        private final Sampler sampler;
        private final NDManager call;
        private final int[] budget;
        private final List<List<Long>> generated;
        private final GenerationResult[] results;
        private int[] live; // live[i] = original row of cache row i

        Decoding(Batch batch, SamplingParams[] params, KvCache cache, Sampler sampler, NDManager call,
                int[] budget, List<List<Long>> generated, GenerationResult[] results) {
            this.batch = batch;
            this.params = params;
            this.cache = cache;
            this.sampler = sampler;
            this.call = call;
            this.budget = budget;
            this.generated = generated;
            this.results = results;
            this.live = new int[batch.rows()];
            for (int i = 0; i < live.length; i++) {
                live[i] = i;
            }
        }

        void run(StepListener listener) {
            for (int i = 0; i < live.length; i++) {
                if (budget[i] == 0) {
                    finish(i, FinishReason.LENGTH, null);
                }
            }
            long[] next = prefill();
            int column = batch.width;
            for (int step = 0; ; step++) {
                accept(next);
                boolean more = dropFinished();
                listener.afterStep(step, more ? live.length : 0);
                if (!more) {
                    return;
                }
                next = step(column++);
            }
        }

        private long[] prefill() {
            long[][] next = new long[1][];
            model.prefill(call, batch, cache, prefillChunk, (step, hidden, start, end) -> {
                if (end == batch.width) {
                    NDArray last = hidden.get(new NDIndex(":, {}:, :", end - start - 1));
                    next[0] = sampler.next(step, model.logits(last).squeeze(1));
                }
            });
            return next[0];
        }

        /** One decode column for the rows still live. */
        private long[] step(int column) {
            int rows = live.length;
            long[] ids = new long[rows];
            float[] positions = new float[rows];
            int maxPosition = 0;
            for (int i = 0; i < rows; i++) {
                List<Long> g = generated.get(live[i]);
                ids[i] = g.get(g.size() - 1);
                positions[i] = column - batch.pad[live[i]];
                maxPosition = Math.max(maxPosition, (int) positions[i]);
            }
            try (NDManager step = call.newSubManager()) {
                NDArray tokens = step.create(ids).reshape(rows, 1);
                NDArray pos = step.create(positions).reshape(rows, 1);
                NDArray hidden = model.hidden(step, tokens, pos, maxPosition, cache, column);
                return sampler.next(step, model.logits(hidden).squeeze(1));
            }
        }

        private void accept(long[] next) {
            for (int i = 0; i < live.length; i++) {
                int row = live[i];
                if (results[row] != null) {
                    continue;
                }
                List<Long> g = generated.get(row);
                if (next[i] == Sampler.NON_FINITE) {
                    results[row] = GenerationResult.failed(batch.prompts[row].length, Sampler.NON_FINITE_ERROR);
                    continue;
                }
                g.add(next[i]);
                if (stopTokens.contains(next[i])) {
                    finish(row, FinishReason.STOP, null);
                } else if (!checkStopStrings(row) && g.size() >= budget[row]) {
                    finish(row, FinishReason.LENGTH, null);
                }
            }
        }

        private boolean checkStopStrings(int row) {
            List<String> stops = params[row].stopStrings();
            if (stops.isEmpty()) {
                return false;
            }
            String text = decoder.decode(ids(generated.get(row)));
            int cut = -1;
            for (String s : stops) {
                int at = text.indexOf(s);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut < 0) {
                return false;
            }
            finish(row, FinishReason.STOP, text.substring(0, cut));
            return true;
        }

        private void finish(int row, FinishReason reason, String cutText) {
            long[] tokens = ids(generated.get(row));
            String text = cutText;
            if (text == null) {
                boolean stopped = reason == FinishReason.STOP && tokens.length > 0;
                text = decoder.decode(stopped ? Arrays.copyOf(tokens, tokens.length - 1) : tokens);
            }
            results[row] = new GenerationResult(tokens, text, reason, batch.prompts[row].length, tokens.length, null);
        }

        /** Drops finished rows from the cache; false when none is left. */
        private boolean dropFinished() {
            int alive = 0;
            for (int row : live) {
                if (results[row] == null) {
                    alive++;
                }
            }
            if (alive == 0) {
                return false;
            }
            if (alive < live.length) {
                long[] keep = new long[alive];
                int[] kept = new int[alive];
                for (int i = 0, j = 0; i < live.length; i++) {
                    if (results[live[i]] == null) {
                        keep[j] = i;
                        kept[j++] = live[i];
                    }
                }
                cache.keepRows(keep);
                sampler.keepRows(call, keep);
                live = kept;
            }
            return true;
        }
    }

    private static long[] ids(List<Long> list) {
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }
}
