package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keys and values of token-id prefixes that many prompts share (a system prompt, a recipe template),
 * computed once and copied into each prompt's cache before its own tokens are prefilled. Holds at most
 * {@code maxEntries} prefixes of at most {@code maxTokens} tokens together (their keys and values are
 * device memory the batches also need), the least recently used leaving first. Safe to share between
 * threads: an entry in use is closed only when its last user releases it.
 */
public final class PrefixCache implements AutoCloseable {

    private final ModelForward forward;
    private final Phi3Model model;
    private final int prefillChunk;
    private final int maxEntries;
    private final long maxTokens;
    private long tokens;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long hits;
    private long reusedTokens;

    /**
     * @param model the model whose keys and values are cached
     * @param prefillChunk columns per forward when a prefix is computed
     * @param maxEntries the most prefixes kept
     */
    public PrefixCache(Phi3Model model, int prefillChunk, int maxEntries) {
        this(model, prefillChunk, maxEntries, Long.MAX_VALUE);
    }

    /**
     * @param model the model whose keys and values are cached
     * @param prefillChunk columns per forward when a prefix is computed
     * @param maxEntries the most prefixes kept
     * @param maxTokens the most tokens the kept prefixes hold together (an entry in use by a call stays
     *     until the call ends, even when it no longer fits)
     */
    public PrefixCache(Phi3Model model, int prefillChunk, int maxEntries, long maxTokens) {
        this(ModelForward.of(model), prefillChunk, maxEntries, maxTokens);
    }

    /** A prefix cache running the model through {@code forward} (tests wrap the model to inject failures). */
    PrefixCache(ModelForward forward, int prefillChunk, int maxEntries, long maxTokens) {
        if (prefillChunk <= 0 || maxEntries <= 0 || maxTokens <= 0) {
            throw new IllegalArgumentException("Cannot create prefix cache: prefill chunk, entries and tokens must be"
                    + " positive (" + prefillChunk + ", " + maxEntries + ", " + maxTokens + ")");
        }
        this.forward = forward;
        this.model = forward.model();
        this.prefillChunk = prefillChunk;
        this.maxEntries = maxEntries;
        this.maxTokens = maxTokens;
    }

    /** One cached prefix: per layer keys and values {@code [1, kvHeads, length, headDim]}. */
    static final class Entry {
        final long[] tokens;
        final NDArray[] keys;
        final NDArray[] values;
        private final NDManager manager;
        private int users;
        private boolean evicted;

        private Entry(long[] tokens, NDManager manager, NDArray[] keys, NDArray[] values) {
            this.tokens = tokens;
            this.manager = manager;
            this.keys = keys;
            this.values = values;
        }

        int length() {
            return tokens.length;
        }
    }

    /** Token ids compared by content. */
    private record Key(long[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(ids, k.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }

    /** Computes and keeps a prefix's keys and values, unless they are kept already. */
    public void put(long[] prefix) {
        release(pin(prefix));
    }

    /**
     * The entry of a prefix, computed unless kept already, marked in use so that eviction cannot close
     * it; give it back with {@link #release}. Using it makes it the most recently used.
     */
    Entry pin(long[] prefix) {
        if (prefix.length == 0 || prefix.length >= model.config().maxPositions) {
            throw new IllegalArgumentException("Cannot cache a prefix of " + prefix.length + " tokens: expected 1 to "
                    + (model.config().maxPositions - 1));
        }
        Key key = new Key(prefix.clone());
        synchronized (this) {
            Entry kept = entries.get(key);
            if (kept != null) {
                kept.users++;
                return kept;
            }
        }
        Entry computed = compute(key.ids());
        synchronized (this) {
            Entry kept = entries.get(key);
            if (kept != null) {
                computed.manager.close(); // another thread computed it meanwhile
                kept.users++;
                return kept;
            }
            entries.put(key, computed);
            tokens += computed.length();
            computed.users++;
            evictOverflow();
            return computed;
        }
    }

    /**
     * The prefixes one call may reuse, held for the call: {@code known} ones (a judge's rubric head) and
     * those that groups of {@code prompts} share with at least {@code minLength} tokens ({@link
     * #sharedPrefixes}). A row then starts from the longest of these that its prompt begins with, never
     * from another prefix earlier calls left in the cache: which prefix a row reuses, and so its float
     * rounding, depends on the call's prompts alone, and a rerun gives the same results. A prefix the
     * device has no memory for is, by the {@link OutOfMemoryPolicy}, a row that fails alone: it is left
     * out (the rows starting with it are prefilled whole).
     */
    public Pinned pinShared(List<long[]> prompts, int minLength, List<long[]> known) {
        Map<Key, long[]> wanted = new LinkedHashMap<>();
        for (long[] k : known) {
            if (k.length > 0 && k.length < model.config().maxPositions) {
                wanted.putIfAbsent(new Key(k), k);
            }
        }
        if (minLength > 0) {
            sharedPrefixes(prompts, minLength).forEach(p -> wanted.putIfAbsent(new Key(p), p));
        }
        Pinned pinned = new Pinned();
        try {
            for (long[] prefix : wanted.values()) {
                // One prefix at a time, so that a failure cannot leave an earlier one pinned and unrecorded.
                List<Entry> entry = OutOfMemoryPolicy.inHalves(List.of(0), one -> List.of(pin(prefix)), error -> null);
                if (entry.get(0) != null) {
                    pinned.entries.add(entry.get(0));
                }
            }
            return pinned;
        } catch (RuntimeException e) {
            pinned.close();
            throw e;
        }
    }

    /** Prefixes held for one call (see {@link #pinShared}); closing gives them back. */
    public final class Pinned implements AutoCloseable {
        private final List<Entry> entries = new ArrayList<>();

        private Pinned() {}

        /**
         * The longest held prefix of {@code prompt} that leaves at least one prompt token to prefill, or
         * null; counted as a hit.
         */
        Entry longestFor(long[] prompt) {
            Entry best = longest(entries, prompt);
            if (best != null) {
                countHit(best);
            }
            return best;
        }

        /** Prefixes held. */
        int size() {
            return entries.size();
        }

        @Override
        public void close() {
            entries.forEach(PrefixCache.this::release);
            entries.clear();
        }
    }

    private synchronized void countHit(Entry entry) {
        hits++;
        reusedTokens += entry.length();
    }

    private Entry compute(long[] prefix) {
        int layers = model.config().layers;
        NDManager manager = model.manager().newSubManager();
        try (NDManager call = model.manager().newSubManager(); KvCache cache = model.newCache(1, prefix.length)) {
            forward.prefill(call, new Batch(new long[][] {prefix}), cache, prefillChunk, (step, hidden, start, end) -> { });
            NDArray[] keys = new NDArray[layers];
            NDArray[] values = new NDArray[layers];
            for (int i = 0; i < layers; i++) {
                keys[i] = cache.keys(manager, i, prefix.length);
                values[i] = cache.values(manager, i, prefix.length);
            }
            return new Entry(prefix, manager, keys, values);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private void evictOverflow() {
        Iterator<Entry> it = entries.values().iterator();
        while ((entries.size() > maxEntries || tokens > maxTokens) && it.hasNext()) {
            Entry old = it.next();
            it.remove();
            tokens -= old.length();
            old.evicted = true;
            if (old.users == 0) {
                old.manager.close();
            }
        }
    }

    /** Whether {@code prefix}'s keys and values are kept now. */
    public synchronized boolean contains(long[] prefix) {
        return entries.containsKey(new Key(prefix));
    }

    /** The longest of {@code candidates} that {@code prompt} starts with and leaves a token after, or null. */
    private static Entry longest(Iterable<Entry> candidates, long[] prompt) {
        Entry best = null;
        for (Entry e : candidates) {
            if (e.length() < prompt.length && (best == null || e.length() > best.length())
                    && Arrays.equals(e.tokens, 0, e.length(), prompt, 0, e.length())) {
                best = e;
            }
        }
        return best;
    }

    /** Gives back an entry from {@link #pin}. */
    synchronized void release(Entry entry) {
        entry.users--;
        if (entry.evicted && entry.users == 0) {
            entry.manager.close();
        }
    }

    /**
     * Caches the prefixes that groups of the given prompts share: prompts sorted by their ids, neighbours
     * that share at least {@code minLength} tokens form a group, and the group's common prefix (short of
     * each prompt's last token) is cached. Returns the prefixes cached.
     */
    public List<long[]> putShared(List<long[]> prompts, int minLength) {
        List<long[]> shared = sharedPrefixes(prompts, minLength);
        shared.forEach(this::put);
        return shared;
    }

    /**
     * The prefixes that groups of the prompts share: prompts sorted by their ids, neighbours that share
     * at least {@code minLength} tokens form a group, and the group's common prefix (short of each
     * prompt's last token) is one. A function of the prompts alone.
     */
    static List<long[]> sharedPrefixes(List<long[]> prompts, int minLength) {
        List<long[]> sorted = new ArrayList<>(prompts);
        sorted.sort(Arrays::compare);
        List<long[]> shared = new ArrayList<>();
        int i = 0;
        while (i < sorted.size()) {
            int common = Integer.MAX_VALUE;
            int j = i + 1;
            while (j < sorted.size()) {
                int lcp = Math.min(common, commonPrefix(sorted.get(j - 1), sorted.get(j)));
                if (lcp < minLength) {
                    break;
                }
                common = lcp;
                j++;
            }
            if (j - i >= 2) {
                for (int k = i; k < j; k++) {
                    common = Math.min(common, sorted.get(k).length - 1);
                }
                if (common >= minLength) {
                    shared.add(Arrays.copyOf(sorted.get(i), common));
                }
            }
            i = j;
        }
        return shared;
    }

    static int commonPrefix(long[] a, long[] b) {
        int mismatch = Arrays.mismatch(a, b);
        return mismatch < 0 ? a.length : mismatch;
    }

    /** Tokens the prefixes kept now hold together. */
    public synchronized long tokens() {
        return tokens;
    }

    /** Prefixes kept now. */
    public synchronized int size() {
        return entries.size();
    }

    /** Prompts that reused a prefix so far. */
    public synchronized long hits() {
        return hits;
    }

    /** Prompt tokens whose prefill a reused prefix saved so far. */
    public synchronized long reusedTokens() {
        return reusedTokens;
    }

    /** Drops every prefix not in use now. */
    public synchronized void clear() {
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            it.remove();
            tokens -= e.length();
            e.evicted = true;
            if (e.users == 0) {
                e.manager.close();
            }
        }
    }

    @Override
    public void close() {
        clear();
    }
}
