package dev.phi4spark.udf.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, deterministic byte-level BPE trainer, enough to build test tokenizers; not meant for
 * real corpora (every merge rescans all distinct words).
 *
 * <p>Text is split with GPT-2's pre-tokenization pattern (the one the Hugging Face ByteLevel
 * pre-tokenizer applies with {@code use_regex: true}), so merges never cross the word boundaries
 * the tokenizer will see at encoding time. Ties between equally frequent pairs are broken by the
 * symbols' natural order, which makes the output independent of hash ordering.
 */
public final class BpeTrainer {

    /** GPT-2's pre-tokenization pattern. */
    static final Pattern GPT2_SPLIT =
            Pattern.compile(
                    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                    Pattern.UNICODE_CHARACTER_CLASS);

    private static final Comparator<Map.Entry<Pair, Integer>> BEST_PAIR_FIRST =
            Comparator.<Map.Entry<Pair, Integer>>comparingInt(Map.Entry::getValue)
                    .reversed()
                    .thenComparing(Map.Entry::getKey);

    private BpeTrainer() {}

    /**
     * A trained byte-level BPE model.
     *
     * @param vocab token strings in id order: the 256 byte symbols first, then merged tokens
     * @param merges merges in rank order, each as {@code "left right"} (byte-level symbols contain no
     *     space, so the single space is unambiguous)
     */
    public record BpeModel(List<String> vocab, List<String> merges) {
        /** Copies both lists, so the model cannot change after it is built. */
        public BpeModel {
            vocab = List.copyOf(vocab);
            merges = List.copyOf(merges);
        }
    }

    /**
     * Learns merges on {@code text} until the vocabulary reaches {@code targetVocabSize} tokens or no
     * pair is left to merge.
     *
     * @param text training text
     * @param targetVocabSize wanted vocabulary size, at least 256 (the byte alphabet)
     * @return the model; the same text and target always give the same model
     */
    public static BpeModel train(String text, int targetVocabSize) {
        Objects.requireNonNull(text, "text");
        if (targetVocabSize < 256) {
            throw new IllegalArgumentException(
                    "Cannot train BPE: the vocabulary must hold the 256 byte symbols ("
                            + targetVocabSize
                            + ")");
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        countWords(text)
                .forEach(
                        (word, count) -> {
                            words.add(ByteLevel.symbols(word));
                            counts.add(count);
                        });
        Set<String> vocab = new LinkedHashSet<>(ByteLevel.alphabet());
        List<String> merges = new ArrayList<>();
        while (vocab.size() < targetVocabSize) {
            Pair best = bestPair(words, counts);
            if (best == null) {
                break;
            }
            merges.add(best.left() + " " + best.right());
            vocab.add(best.left() + best.right());
            words.replaceAll(word -> merge(word, best));
        }
        return new BpeModel(new ArrayList<>(vocab), merges);
    }

    /** Distinct pre-tokenized pieces with their counts, sorted so iteration order is fixed. */
    private static Map<String, Integer> countWords(String text) {
        Map<String, Integer> counts = new TreeMap<>();
        Matcher matcher = GPT2_SPLIT.matcher(text);
        while (matcher.find()) {
            counts.merge(matcher.group(), 1, Integer::sum);
        }
        return counts;
    }

    private static Pair bestPair(List<List<String>> words, List<Integer> counts) {
        Map<Pair, Integer> pairCounts = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            List<String> word = words.get(w);
            for (int i = 0; i + 1 < word.size(); i++) {
                pairCounts.merge(new Pair(word.get(i), word.get(i + 1)), counts.get(w), Integer::sum);
            }
        }
        return pairCounts.entrySet().stream().min(BEST_PAIR_FIRST).map(Map.Entry::getKey).orElse(null);
    }

    private static List<String> merge(List<String> word, Pair pair) {
        List<String> merged = new ArrayList<>(word.size());
        int i = 0;
        while (i < word.size()) {
            if (i + 1 < word.size()
                    && word.get(i).equals(pair.left())
                    && word.get(i + 1).equals(pair.right())) {
                merged.add(pair.left() + pair.right());
                i += 2;
            } else {
                merged.add(word.get(i));
                i++;
            }
        }
        return merged;
    }

    private record Pair(String left, String right) implements Comparable<Pair> {
        @Override
        public int compareTo(Pair other) {
            int byLeft = left.compareTo(other.left);
            return byLeft != 0 ? byLeft : right.compareTo(other.right);
        }
    }
}
