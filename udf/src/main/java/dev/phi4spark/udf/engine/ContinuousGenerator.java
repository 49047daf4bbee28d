package dev.phi4spark.udf.engine;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.phi4spark.udf.engine.DecodingPolicy.Row;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The generation loop. A fixed number of sequence slots decode together, and when a sequence finishes
 * the next queued prompt is prefilled and takes its slot while the others keep decoding (continuous
 * batching). Without refill ({@link Generator}'s static batching) a batch of prompts runs until its last
 * row ends before the next batch starts. Newcomers that arrive together are prefilled together; with a
 * {@link PrefixCache} a prompt's cached prefix is copied in and only the rest is prefilled. Stops,
 * budgets and results follow one {@link DecodingPolicy}.
 *
 * <p>Every row samples with its own seeded generator and only ever sees its own columns, so its tokens
 * are the same whatever slot it lands in and whoever shares the batch.
 *
 * <p>When the device runs out of memory the unfinished rows are retried with half as many slots; a row
 * that still runs out of memory alone gets an {@link GenerationResult#OUT_OF_MEMORY} error and the others
 * go on ({@link OutOfMemoryPolicy}). Instances are immutable and safe to share between threads.
 */
public final class ContinuousGenerator {

    private final ModelForward forward;
    private final Phi3Model model;
    private final int slots;
    private final boolean refill;
    private final int prefillChunk;
    private final DecodingPolicy policy;
    private final PrefixCache prefixes;
    private final int minSharedPrefix;

    /**
     * @param model the model
     * @param slots sequences decoded at once
     * @param prefillChunk columns per prefill forward
     * @param stopTokens ids that end a row
     * @param decoder turns ids into text for results and stop strings
     */
    public ContinuousGenerator(Phi3Model model, int slots, int prefillChunk, Set<Long> stopTokens,
            TokenDecoder decoder) {
        this(ModelForward.of(model), slots, true, prefillChunk, new DecodingPolicy(stopTokens, decoder), null, 0);
    }

    /** A generator running the model through {@code forward} (tests wrap the model to inject failures). */
    ContinuousGenerator(ModelForward forward, int slots, boolean refill, int prefillChunk, DecodingPolicy policy,
            PrefixCache prefixes, int minSharedPrefix) {
        if (slots <= 0) {
            throw new IllegalArgumentException("Cannot create generator: slots must be positive (" + slots + ")");
        }
        if (prefillChunk <= 0) {
            throw new IllegalArgumentException("Cannot create generator: prefill chunk must be positive ("
                    + prefillChunk + ")");
        }
        this.forward = forward;
        this.model = forward.model();
        this.slots = slots;
        this.refill = refill;
        this.prefillChunk = prefillChunk;
        this.policy = policy;
        this.prefixes = prefixes;
        this.minSharedPrefix = minSharedPrefix;
    }

    /**
     * The same generator reusing prefixes from {@code cache}. With {@code minSharedPrefix > 0}, each
     * {@code generate} call first caches the prefixes of at least that many tokens its prompts share.
     */
    public ContinuousGenerator withPrefixCache(PrefixCache cache, int minSharedPrefix) {
        return new ContinuousGenerator(forward, slots, refill, prefillChunk, policy, cache, minSharedPrefix);
    }

    /** Sequences decoded at once. */
    public int slots() {
        return slots;
    }

    /** Generates for every request; results are in request order. */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return generate(requests, Generator.StepListener.NONE);
    }

    /** Generates for every request, telling {@code listener} after each decode step. */
    public List<GenerationResult> generate(List<GenerationRequest> requests, Generator.StepListener listener) {
        GenerationResult[] results = new GenerationResult[requests.size()];
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            results[i] = policy.check(requests.get(i), model.config());
            if (results[i] == null) {
                pending.add(i);
            }
        }
        try (PrefixCache.Pinned pinned = prefixes == null || minSharedPrefix <= 0 ? null
                : prefixes.pinShared(pending.stream().map(i -> requests.get(i).promptIds()).toList(), minSharedPrefix,
                        List.of())) {
            return generate(requests, pending, results, pinned, listener);
        }
    }

    private List<GenerationResult> generate(List<GenerationRequest> requests, List<Integer> pending,
            GenerationResult[] results, PrefixCache.Pinned pinned, Generator.StepListener listener) {
        int width = slots;
        while (!pending.isEmpty()) {
            // Without refill a batch is the next `width` rows, run to the end before the next batch starts.
            List<Integer> batch = refill ? pending : pending.subList(0, Math.min(width, pending.size()));
            Run run = new Run(requests, batch, width, results, pinned);
            try {
                run.run(listener);
            } catch (EngineException e) {
                int retry = OutOfMemoryPolicy.retryRows(e, Math.max(run.rowsInUse(), run.current.length));
                if (retry > 0) {
                    width = retry; // rows that finished keep their results; the rest start over
                } else {
                    for (int request : run.culprits()) {
                        results[request] = GenerationResult.failed(requests.get(request).promptIds().length,
                                OutOfMemoryPolicy.error(e));
                    }
                }
            }
            pending = pending.stream().filter(i -> results[i] == null).toList();
        }
        return Arrays.asList(results);
    }

    /** One attempt at the pending requests with a given number of slots. */
    private final class Run {
        private final Deque<Row> queue = new ArrayDeque<>();
        private final int width;
        private final GenerationResult[] results;
        private final PrefixCache.Pinned pinned;
        private Row[] slotRows;
        private SlotCache cache;
        private Sampler sampler;
        private final NativeDecoder.Scratch scratch = new NativeDecoder.Scratch();
        /** Requests of the forward running now: the rows an out-of-memory error belongs to. */
        int[] current = new int[0];
        private int plannedRows;

        Run(List<GenerationRequest> requests, List<Integer> pending, int width, GenerationResult[] results,
                PrefixCache.Pinned pinned) {
            this.width = width;
            this.results = results;
            this.pinned = pinned;
            int context = model.config().maxPositions;
            for (int i : pending) {
                queue.add(policy.row(i, requests.get(i), context));
            }
        }

        /** Rows holding device memory now: the slots, or those about to be allocated. */
        int rowsInUse() {
            return slotRows == null ? plannedRows : slotRows.length;
        }

        /**
         * The rows an out-of-memory error with one slot belongs to: the forward's rows, or before any
         * forward the queued row needing the most columns, since it sizes the cache.
         */
        int[] culprits() {
            if (current.length > 0) {
                return current;
            }
            Row largest = null;
            for (Row r : queue) {
                if (largest == null || r.prompt.length + r.budget > largest.prompt.length + largest.budget) {
                    largest = r;
                }
            }
            return largest == null ? new int[0] : new int[] {largest.request};
        }

        void run(Generator.StepListener listener) {
            int rows = Math.min(width, queue.size());
            plannedRows = rows;
            int capacity = 0;
            for (Row r : queue) {
                capacity = Math.max(capacity, r.prompt.length + Math.max(r.budget, 1));
            }
            SamplingParams[] placeholders = new SamplingParams[rows];
            Arrays.fill(placeholders, SamplingParams.greedy(1));
            try (NDManager call = model.manager().newSubManager(); SlotCache slotCache = new SlotCache(model, rows, capacity)) {
                cache = slotCache;
                sampler = new Sampler(placeholders);
                slotRows = new Row[rows];
                admit(call);
                for (int step = 0; ; step++) {
                    boolean more = compact(call);
                    listener.afterStep(step, more ? slotRows.length : 0);
                    if (!more) {
                        return;
                    }
                    long[] next = decode(call);
                    for (int s = 0; s < slotRows.length; s++) {
                        if (accept(slotRows[s], next[s])) {
                            slotRows[s] = null;
                        }
                    }
                    admit(call);
                }
            }
        }

        /** Prefills queued prompts into free slots until no slot is free or the queue is empty. */
        private void admit(NDManager call) {
            while (!queue.isEmpty()) {
                List<Integer> free = new ArrayList<>();
                for (int s = 0; s < slotRows.length; s++) {
                    if (slotRows[s] == null) {
                        free.add(s);
                    }
                }
                if (free.isEmpty()) {
                    return;
                }
                List<Row> newcomers = new ArrayList<>();
                while (newcomers.size() < free.size() && !queue.isEmpty()) {
                    Row row = queue.poll();
                    GenerationResult empty = policy.before(row);
                    if (empty != null) {
                        results[row.request] = empty;
                    } else {
                        newcomers.add(row);
                    }
                }
                prefill(call, newcomers, free);
            }
        }

        /** Prefills newcomers, those sharing a cached prefix together, into the given free slots. */
        private void prefill(NDManager call, List<Row> newcomers, List<Integer> free) {
            // Insertion order, not identity hashes: slot assignment is then the same on every run.
            Map<PrefixCache.Entry, List<Row>> groups = new LinkedHashMap<>();
            List<Row> plain = new ArrayList<>();
            for (Row row : newcomers) {
                PrefixCache.Entry entry = pinned == null ? null : pinned.longestFor(row.prompt);
                if (entry == null) {
                    plain.add(row);
                } else {
                    groups.computeIfAbsent(entry, e -> new ArrayList<>()).add(row);
                }
            }
            int next = 0;
            if (!plain.isEmpty()) {
                prefillGroup(call, plain, null, free.subList(next, next += plain.size()));
            }
            for (Map.Entry<PrefixCache.Entry, List<Row>> g : groups.entrySet()) {
                prefillGroup(call, g.getValue(), g.getKey(), free.subList(next, next += g.getValue().size()));
            }
        }

        /**
         * Prefills rows after an optional cached prefix, samples each row's first token, and moves the
         * rows that go on into their slots.
         */
        private void prefillGroup(NDManager call, List<Row> group, PrefixCache.Entry prefix, List<Integer> targets) {
            long[][] prompts = new long[group.size()][];
            SamplingParams[] params = new SamplingParams[group.size()];
            for (int r = 0; r < prompts.length; r++) {
                prompts[r] = group.get(r).prompt;
                params[r] = group.get(r).params;
            }
            current = group.stream().mapToInt(row -> row.request).toArray();
            GroupPrefill prefill = new GroupPrefill(prompts, prefix);
            try (NDManager admission = call.newSubManager(); KvCache scratch = prefill.scratch(model)) {
                Sampler first = new Sampler(params);
                first.start(prompts);
                long[][] next = new long[1][];
                prefill.run(forward, admission, scratch, prefillChunk,
                        (step, logits) -> next[0] = first.next(step, logits));
                for (int r = 0; r < prompts.length; r++) {
                    Row row = group.get(r);
                    row.cachedTokens = prefix == null ? 0 : prefix.length();
                    if (accept(row, next[0][r])) {
                        continue;
                    }
                    int slot = targets.get(r);
                    cache.load(slot, scratch, r, prefill.offset, prefill.firstColumn(r), prefill.width());
                    sampler.replaceRow(slot, first, r);
                    slotRows[slot] = row;
                }
            }
        }

        /** Drops free slots once nothing is queued; false when no row is left. */
        private boolean compact(NDManager call) {
            int live = 0;
            for (Row r : slotRows) {
                if (r != null) {
                    live++;
                }
            }
            if (live == 0) {
                return false;
            }
            if (live < slotRows.length) {
                long[] keep = new long[live];
                Row[] kept = new Row[live];
                for (int s = 0, j = 0; s < slotRows.length; s++) {
                    if (slotRows[s] != null) {
                        keep[j] = s;
                        kept[j++] = slotRows[s];
                    }
                }
                cache.keepRows(keep);
                sampler.keepRows(keep);
                slotRows = kept;
            }
            return true;
        }

        /** One decode column for every slot, each at its own length. */
        private long[] decode(NDManager call) {
            int rows = slotRows.length;
            long[] ids = new long[rows];
            float[] positions = new float[rows];
            int maxPosition = 0;
            for (int s = 0; s < rows; s++) {
                ids[s] = slotRows[s].last();
                positions[s] = cache.length(s);
                maxPosition = Math.max(maxPosition, cache.length(s));
            }
            current = Arrays.stream(slotRows).mapToInt(r -> r.request).toArray();
            long[] next;
            FloatBuffer logits = forward.decodeLogits(scratch, ids, positions, maxPosition, cache.hostStep());
            if (logits != null) {
                next = sampler.next(logits, rows);
            } else {
                try (NDManager step = call.newSubManager()) {
                    NDArray tokens = step.create(ids, new Shape(rows, 1));
                    NDArray pos = step.create(positions, new Shape(rows, 1));
                    NDArray hidden = forward.hidden(step, tokens, pos, maxPosition, cache.decode(step));
                    next = sampler.next(step, model.logits(hidden).squeeze(1));
                }
            }
            cache.advance();
            return next;
        }

        /** Adds a token to a row; true when that finished it. */
        private boolean accept(Row row, long token) {
            GenerationResult result = policy.accept(row, token);
            if (result != null) {
                results[row.request] = result;
            }
            return result != null;
        }
    }
}
