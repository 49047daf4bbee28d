package dev.phi4spark.udf.engine;

/**
 * {@link Sampler}'s draw for logits already on the host (the CPU path): the same rule as its libtorch
 * path, temperature, then the tokens ranked by probability kept while the mass ranked before them is below
 * top-p and their rank below top-k, then one uniform number inverting the kept mass's CDF. It avoids what
 * made the libtorch path slow on a CPU (an argsort of the whole vocabulary per row and step, ~half of a
 * batch-8 step with the native decoder, docs/benchmarks.md): a histogram of the probabilities' float bits
 * finds the bucket where the kept tokens end, and only the tokens from that bucket up are sorted. Equal
 * probabilities rank the lower token id first. Probabilities are computed in double.
 *
 * <p>Not thread-safe: it keeps its scratch arrays between rows.
 */
final class HostDraw {

    /** Buckets keyed by a float's exponent and top 3 mantissa bits: each spans a factor of 2^(1/8). */
    private static final int BUCKET_SHIFT = 20;
    private static final int BUCKETS = 1 << (31 - BUCKET_SHIFT);

    private double[] weight = new double[0];
    private int[] candidates = new int[0];
    private int[] sortScratch = new int[0];
    private final double[] bucketMass = new double[BUCKETS];
    private final int[] bucketCount = new int[BUCKETS];

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
        int n = candidates(vocab, lowestKeptBucket(massLimit, rankLimit));
        sortByWeight(n);
        // The kept tokens are a prefix of the ranking: before grows and the rank too.
        double before = 0;
        int kept = 0;
        while (kept < n && kept < rankLimit && before < massLimit) {
            before += weight[candidates[kept]];
            kept++;
        }
        double threshold = before * uniform;
        double cdf = 0;
        for (int j = 0; j < kept; j++) {
            cdf += weight[candidates[j]];
            if (cdf >= threshold) {
                return candidates[j];
            }
        }
        return kept > 0 ? candidates[kept - 1] : 0; // no kept token: NaN logits, a row the sampler marks
    }

    /** exp((score - max) / temperature) into weight; returns their sum. Fills the histogram too. */
    private double weigh(float[] scores, int offset, int vocab, double temperature) {
        if (weight.length < vocab) {
            weight = new double[vocab];
            candidates = new int[vocab];
            sortScratch = new int[vocab];
        }
        java.util.Arrays.fill(bucketMass, 0);
        java.util.Arrays.fill(bucketCount, 0);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, scores[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double w = Math.exp(((double) scores[offset + i] - max) / temperature);
            weight[i] = w;
            sum += w;
            int b = bucket(w);
            bucketMass[b] += w;
            bucketCount[b]++;
        }
        return sum;
    }

    /** A weight's bucket: its float bits' high part, which orders positive floats as their values. */
    private static int bucket(double w) {
        return Float.floatToRawIntBits((float) w) >>> BUCKET_SHIFT;
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

    private int candidates(int vocab, int lowestBucket) {
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (bucket(weight[i]) >= lowestBucket) {
                candidates[n++] = i;
            }
        }
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
