package dev.phi4spark.filters.decontam;

import dev.phi4spark.filters.Murmur3;
import java.util.Arrays;
import java.util.List;

/** 64-bit hashes of word n-grams, so indexes hold longs instead of strings. */
final class NGrams {
    private NGrams() {}

    static long[] wordHashes(List<String> words) {
        long[] out = new long[words.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Murmur3.hash64(words.get(i), 0xdec0);
        }
        return out;
    }

    /** Hashes of every n-gram, in order (empty when fewer than n words). */
    static long[] hashes(long[] wordHashes, int n) {
        if (wordHashes.length < n) {
            return new long[0];
        }
        long[] out = new long[wordHashes.length - n + 1];
        for (int i = 0; i < out.length; i++) {
            long h = n;
            for (int j = 0; j < n; j++) {
                h = Long.rotateLeft(h * 0x9E3779B97F4A7C15L, 27) ^ wordHashes[i + j];
            }
            out[i] = Murmur3.fmix64(h);
        }
        return out;
    }

    /** Sorted distinct copy. */
    static long[] distinct(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[n++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, n);
    }
}
