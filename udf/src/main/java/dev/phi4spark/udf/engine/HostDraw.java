package dev.phi4spark.udf.engine;

/**
 * {@link Sampler}'s draw for logits already on the host (the CPU path): the same rule as its libtorch
 * path, temperature, then the tokens ranked by probability kept while the mass ranked before them is below
 * top-p and their rank below top-k, then one uniform number inverting the kept mass's CDF. It avoids what
 * made the libtorch path slow on a CPU (an argsort of the whole vocabulary per row and step, ~half of a
 * batch-8 step with the native decoder, docs/benchmarks.md): a histogram of the probabilities' float bits
 * finds the bucket where the kept tokens end and the bucket where the draw lands, and only those buckets'
 * tokens are sorted. Equal probabilities rank the lower token id first. Probabilities are computed in
 * double, natively where the library loads ({@link NativeDecoder#weigh}: a row's draw 2.2x faster, the
 * exponential within an ulp of {@link Math#exp}); masses are summed per bucket, so they round differently
 * from a token-by-token sum.
 *
 * <p>Not thread-safe: it keeps its scratch arrays between rows.
 */
final class HostDraw {

    /** Buckets keyed by a float's exponent and top 3 mantissa bits: each spans a factor of 2^(1/8). */
    private static final int BUCKET_SHIFT = 20;
    private static final int BUCKETS = 1 << (31 - BUCKET_SHIFT);

    private final boolean nativeWeights;
    private double[] weight = new double[0];
    private int[] candidates = new int[0];
    private int[] sortScratch = new int[0];
    private final double[] bucketMass = new double[BUCKETS];
    private final int[] bucketCount = new int[BUCKETS];

    /** A draw that weighs tokens natively ({@link NativeDecoder#weigh}) where the library is available. */
    HostDraw() {
        this(NativeDecoder.available());
    }

    /** A draw that weighs tokens natively, or with {@link Math#exp} in Java when {@code nativeWeights} is false. */
    HostDraw(boolean nativeWeights) {
        this.nativeWeights = nativeWeights;
    }

    /**
     * The token drawn from {@code scores[offset, offset + vocab)}.
     *
     * @param temperature above 0
     * @param topK the most tokens kept (0: no limit)
     * @param topP the mass ranked before a kept token stays below this, in (0, 1]
     * @param uniform in [0, 1): where in the kept mass the draw lands
     */
    int draw(float[] scores, int offset, int vocab, double temperature, int topK, double topP, double uniform) {
        double total = weigh(scores, offset, vocab, temperature);
        double massLimit = topP * total;
        int rankLimit = topK == 0 ? vocab : Math.min(topK, vocab);
        int low = lowestKeptBucket(massLimit, rankLimit);
        // Every token above the lowest kept bucket is kept; in that bucket, a prefix of its ranking.
        double before = 0;
        int ranked = 0;
        for (int b = BUCKETS - 1; b > low; b--) {
            before += bucketMass[b];
            ranked += bucketCount[b];
        }
        int n = sortedTokensOf(vocab, low);
        int keptInLow = 0;
        while (keptInLow < n && ranked + keptInLow < rankLimit && before < massLimit) {
            before += weight[candidates[keptInLow]];
            keptInLow++;
        }
        if (keptInLow == 0) {
            return n > 0 ? candidates[0] : 0; // nothing kept: NaN logits, a row the sampler marks
        }
        int lowLast = candidates[keptInLow - 1];
        return inverse(vocab, low, keptInLow, before * uniform, lowLast);
    }

    /**
     * The kept token where the CDF in rank order reaches threshold: whole buckets are passed by their mass,
     * and only the bucket where it is reached is sorted and walked token by token (the next one too, if the
     * bucket's mass and its tokens' running sum round apart).
     */
    private int inverse(int vocab, int low, int keptInLow, double threshold, int lowLast) {
        double cdf = 0;
        boolean lowInCandidates = true;
        for (int b = BUCKETS - 1; b > low; b--) {
            if (bucketCount[b] == 0 || cdf + bucketMass[b] < threshold) {
                cdf += bucketMass[b];
                continue;
            }
            int n = sortedTokensOf(vocab, b);
            lowInCandidates = false;
            for (int j = 0; j < n; j++) {
                cdf += weight[candidates[j]];
                if (cdf >= threshold) {
                    return candidates[j];
                }
            }
        }
        int n = lowInCandidates ? keptInLow : sortedTokensOf(vocab, low);
        for (int j = 0; j < keptInLow && j < n; j++) {
            cdf += weight[candidates[j]];
            if (cdf >= threshold) {
                return candidates[j];
            }
        }
        return lowLast;
    }

    /**
     * exp((score - max) / temperature) into weight; returns their sum. Fills the histogram too. Natively
     * 2.5-4x faster; ~6% of the weights then round their last bit the other way from {@code Math.exp}'s.
     */
    private double weigh(float[] scores, int offset, int vocab, double temperature) {
        if (weight.length < vocab) {
            weight = new double[vocab];
            candidates = new int[vocab];
            sortScratch = new int[vocab];
        }
        java.util.Arrays.fill(bucketMass, 0);
        java.util.Arrays.fill(bucketCount, 0);
        if (nativeWeights) {
            return NativeDecoder.weigh(scores, offset, vocab, temperature, weight, bucketMass, bucketCount);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, scores[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double w = Math.exp(((double) scores[offset + i] - max) / temperature);
            weight[i] = w;
            sum += w;
        }
        // A separate pass: kept in the exponential's loop, the buckets' read-modify-writes slowed it 3x.
        for (int i = 0; i < vocab; i++) {
            int b = bucket(weight[i]);
            bucketMass[b] += weight[i];
            bucketCount[b]++;
        }
        return sum;
    }

    /**
     * A weight's bucket: its float bits' high part, which orders positive floats as their values. The sign
     * bit is dropped: a NaN weight (from NaN logits) may carry it.
     */
    private static int bucket(double w) {
        return (Float.floatToRawIntBits((float) w) & Integer.MAX_VALUE) >>> BUCKET_SHIFT;
    }

    /**
     * The lowest bucket holding a kept token: walking down from the heaviest bucket, the first whose mass
     * or count would take the walk to a limit. Every token above it is kept; none below it is.
     */
    private int lowestKeptBucket(double massLimit, int rankLimit) {
        double before = 0;
        int ranked = 0;
        int low = BUCKETS - 1;
        for (int b = BUCKETS - 1; b >= 0; b--) {
            if (bucketCount[b] == 0) {
                continue;
            }
            low = b;
            if (before + bucketMass[b] >= massLimit || ranked + bucketCount[b] >= rankLimit) {
                break;
            }
            before += bucketMass[b];
            ranked += bucketCount[b];
        }
        return low;
    }

    /** The tokens of one bucket into candidates, ranked; returns how many. */
    private int sortedTokensOf(int vocab, int bucket) {
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (bucket(weight[i]) == bucket) {
                candidates[n++] = i;
            }
        }
        sortByWeight(n);
        return n;
    }

    /** Merge sort of candidates[0, n) by weight, heaviest first, equal weights by token id. */
    private void sortByWeight(int n) {
        int[] from = candidates;
        int[] to = sortScratch;
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                for (int k = lo; k < hi; k++) {
                    to[k] = i < mid && (j >= hi || ranksFirst(from[i], from[j])) ? from[i++] : from[j++];
                }
            }
            int[] swap = from;
            from = to;
            to = swap;
        }
        if (from != candidates) {
            System.arraycopy(from, 0, candidates, 0, n);
        }
    }

    private boolean ranksFirst(int a, int b) {
        return weight[a] > weight[b] || (weight[a] == weight[b] && a < b);
    }
}
