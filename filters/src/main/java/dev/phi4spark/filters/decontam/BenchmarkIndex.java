package dev.phi4spark.filters.decontam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.filters.TextNormalizer;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * N-gram index of benchmark items, built once on the driver and broadcast to the executors.
 *
 * <p>It holds hashed longs only: the sorted 13-grams that are not allow-listed and the sorted
 * 7-grams, each with its item list in compressed-row form. 13-grams and
 * 7-grams found in more than {@code maxItemsPerNgram} items are template text ("which of the
 * following statements is true") and are left out, as are the 13-grams and 7-grams of the user's
 * allow-list texts; an item's 7-gram count only counts the 7-grams kept.
 */
public final class BenchmarkIndex implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int LONG_N = 13;
    static final int SHORT_N = 7;

    /** Default for {@code maxItemsPerNgram}. */
    public static final int DEFAULT_MAX_ITEMS_PER_NGRAM = 10;

    private final String[] itemBenchmark;
    private final String[] itemId;
    private final int[] item7Count;
    private final long[] keys13;
    private final int[] offsets13;
    private final int[] items13;
    private final long[] keys7;
    private final int[] offsets7;
    private final int[] items7;

    private BenchmarkIndex(String[] itemBenchmark, String[] itemId, int[] item7Count, long[] keys13,
            int[] offsets13, int[] items13, long[] keys7, int[] offsets7, int[] items7) {
        this.itemBenchmark = itemBenchmark;
        this.itemId = itemId;
        this.item7Count = item7Count;
        this.keys13 = keys13;
        this.offsets13 = offsets13;
        this.items13 = items13;
        this.keys7 = keys7;
        this.offsets7 = offsets7;
        this.items7 = items7;
    }

    /** One benchmark item: where it comes from and its text. */
    public record Item(String benchmark, String id, String text) implements Serializable {}

    /** Reads every source and indexes its items. */
    public static BenchmarkIndex build(List<BenchmarkSource> sources, int maxItemsPerNgram,
            Collection<String> allowList) {
        List<Item> items = new ArrayList<>();
        for (BenchmarkSource source : sources) {
            items.addAll(read(source));
        }
        return fromItems(items, maxItemsPerNgram, allowList);
    }

    /** Indexes {@code items} (exposed for callers that load benchmarks another way). */
    public static BenchmarkIndex fromItems(List<Item> items, int maxItemsPerNgram,
            Collection<String> allowList) {
        Set<Long> allowed13 = new HashSet<>();
        Set<Long> allowed7 = new HashSet<>();
        for (String text : allowList) {
            long[] words = NGrams.wordHashes(TextNormalizer.words(text));
            for (long h : NGrams.hashes(words, LONG_N)) {
                allowed13.add(h);
            }
            for (long h : NGrams.hashes(words, SHORT_N)) {
                allowed7.add(h);
            }
        }
        Map<Long, List<Integer>> postings13 = new HashMap<>();
        Map<Long, List<Integer>> postings7 = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            long[] words = NGrams.wordHashes(TextNormalizer.words(items.get(i).text()));
            for (long h : NGrams.distinct(NGrams.hashes(words, LONG_N))) {
                postings13.computeIfAbsent(h, k -> new ArrayList<>(1)).add(i);
            }
            for (long h : NGrams.distinct(NGrams.hashes(words, SHORT_N))) {
                postings7.computeIfAbsent(h, k -> new ArrayList<>(1)).add(i);
            }
        }
        postings13.keySet().removeAll(allowed13);
        postings7.keySet().removeAll(allowed7);
        postings13.values().removeIf(list -> list.size() > maxItemsPerNgram);
        postings7.values().removeIf(list -> list.size() > maxItemsPerNgram);

        long[] keys13 = postings13.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        int[] offsets13 = new int[keys13.length + 1];
        int total13 = 0;
        for (int k = 0; k < keys13.length; k++) {
            offsets13[k] = total13;
            total13 += postings13.get(keys13[k]).size();
        }
        offsets13[keys13.length] = total13;
        int[] items13 = new int[total13];
        for (int k = 0; k < keys13.length; k++) {
            int at = offsets13[k];
            for (int item : postings13.get(keys13[k])) {
                items13[at++] = item;
            }
        }
        long[] keys7 = postings7.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        int[] offsets7 = new int[keys7.length + 1];
        int total = 0;
        for (int k = 0; k < keys7.length; k++) {
            offsets7[k] = total;
            total += postings7.get(keys7[k]).size();
        }
        offsets7[keys7.length] = total;
        int[] items7 = new int[total];
        int[] item7Count = new int[items.size()];
        for (int k = 0; k < keys7.length; k++) {
            int at = offsets7[k];
            for (int item : postings7.get(keys7[k])) {
                items7[at++] = item;
                item7Count[item]++;
            }
        }
        String[] benchmarks = items.stream().map(Item::benchmark).toArray(String[]::new);
        String[] ids = items.stream().map(Item::id).toArray(String[]::new);
        return new BenchmarkIndex(benchmarks, ids, item7Count, keys13, offsets13, items13, keys7,
                offsets7, items7);
    }

    /** Number of indexed items. */
    public int size() {
        return itemId.length;
    }

    /**
     * Judges {@code text}: a shared indexed 13-gram makes it contaminated, naming the item with the
     * highest 7-gram overlap among the items that share one (several items can share a 13-gram);
     * otherwise the best 7-gram overlap ratio over the items decides ({@code >= contaminatedAt}:
     * contaminated, {@code >= partialAt}: partial). Ties go to the item indexed first.
     */
    public Verdict check(String text, double contaminatedAt, double partialAt) {
        long[] words = NGrams.wordHashes(TextNormalizer.words(text));
        long[] doc7 = NGrams.distinct(NGrams.hashes(words, SHORT_N));
        Map<Integer, Integer> shared = new HashMap<>();
        for (long h : doc7) {
            int k = Arrays.binarySearch(keys7, h);
            if (k >= 0) {
                for (int p = offsets7[k]; p < offsets7[k + 1]; p++) {
                    shared.merge(items7[p], 1, Integer::sum);
                }
            }
        }
        int best = -1;
        double bestRatio = 0;
        for (Map.Entry<Integer, Integer> e : shared.entrySet()) {
            double ratio = ratio(e.getValue(), doc7.length, e.getKey());
            if (ratio > bestRatio || ratio == bestRatio && best >= 0 && e.getKey() < best) {
                best = e.getKey();
                bestRatio = ratio;
            }
        }
        int best13 = -1;
        double best13Ratio = -1;
        for (long h : NGrams.hashes(words, LONG_N)) {
            int k = Arrays.binarySearch(keys13, h);
            for (int p = k < 0 ? 0 : offsets13[k]; k >= 0 && p < offsets13[k + 1]; p++) {
                int item = items13[p];
                double overlap = ratio(shared.getOrDefault(item, 0), doc7.length, item);
                if (overlap > best13Ratio || overlap == best13Ratio && item < best13) {
                    best13 = item;
                    best13Ratio = overlap;
                }
            }
        }
        if (best13 >= 0) {
            return new Verdict(Verdict.CONTAMINATED, itemBenchmark[best13], itemId[best13], best13Ratio,
                    true);
        }
        if (best >= 0 && bestRatio >= contaminatedAt) {
            return new Verdict(Verdict.CONTAMINATED, itemBenchmark[best], itemId[best], bestRatio, false);
        }
        if (best >= 0 && bestRatio >= partialAt) {
            return new Verdict(Verdict.PARTIAL, itemBenchmark[best], itemId[best], bestRatio, false);
        }
        return new Verdict(Verdict.CLEAN, null, null, bestRatio, false);
    }

    private double ratio(int shared, int doc7, int item) {
        int denominator = Math.min(doc7, item7Count[item]);
        return denominator == 0 ? 0 : (double) shared / denominator;
    }

    static List<Item> read(BenchmarkSource source) {
        ObjectMapper mapper = new ObjectMapper();
        List<Item> items = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(HadoopFiles.open(source.path()),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)))) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                items.add(item(source, mapper, line, lineNo));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read benchmark " + source.name() + ": "
                    + e.getMessage() + " (" + source.path() + ")", e);
        }
        return items;
    }

    /** Opens a local path or any URI Hadoop reads, with the active Spark session's Hadoop settings. */
    private static Item item(BenchmarkSource source, ObjectMapper mapper, String line, int lineNo)
            throws IOException {
        JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (IOException e) {
            throw new IOException("line " + lineNo + " is not valid JSON", e);
        }
        JsonNode question = field(node, source.questionField());
        if (question == null) {
            throw new IllegalArgumentException("Cannot read benchmark " + source.name() + ": line "
                    + lineNo + " has no field '" + source.questionField() + "' (" + source.path() + ")");
        }
        StringBuilder text = new StringBuilder(flatten(question));
        for (String extra : new String[] {source.choicesField(), source.answerField()}) {
            JsonNode value = extra == null ? null : field(node, extra);
            if (value != null) {
                text.append(' ').append(flatten(value));
            }
        }
        JsonNode id = source.idField() == null ? null : field(node, source.idField());
        return new Item(source.name(), id == null ? String.valueOf(lineNo) : flatten(id),
                text.toString());
    }

    private static JsonNode field(JsonNode node, String dottedPath) {
        JsonNode current = node;
        for (String part : dottedPath.split("\\.")) {
            current = current == null ? null : current.get(part);
        }
        return current == null || current.isNull() ? null : current;
    }

    private static String flatten(JsonNode value) {
        if (value.isValueNode()) {
            return value.asText();
        }
        List<String> parts = new ArrayList<>();
        value.elements().forEachRemaining(child -> parts.add(flatten(child)));
        return String.join(" ", parts);
    }
}
