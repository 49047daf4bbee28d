package dev.phi4spark.filters.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Recall per Jaccard bin of near dedup at the default threshold, measured on pairs planted here
 * (documents of 200 words, a variant with 1 to 20 words replaced), against the S-curve and binomial
 * model that {@code filters/README.md} tabulates. The per-pair decision is the one the Spark job
 * makes: a candidate when some band's hash agrees, removed when it is also verified (agreeing
 * signature values >= threshold). The measured rates are the README's "measured" columns.
 */
class NearDedupRecallTest {
    private static final double THRESHOLD = MinHashDedup.DEFAULT_THRESHOLD;
    private static final int PAIRS = 6000;

    @Test
    void recallPerJaccardBinFollowsTheModel() {
        MinHashDedup dedup = MinHashDedup.forThreshold(THRESHOLD, MinHashDedup.DEFAULT_NUM_HASHES,
                MinHashDedup.DEFAULT_NGRAM_SIZE, MinHashDedup.DEFAULT_SEED);
        int[] br = MinHashDedup.bandsAndRows(THRESHOLD, MinHashDedup.DEFAULT_NUM_HASHES);
        Bin[] bins = new Bin[10];
        for (int i = 0; i < bins.length; i++) {
            bins[i] = new Bin(0.5 + 0.05 * i);
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int p = 0; p < PAIRS; p++) {
            List<String> base = randomWords(random, 200);
            List<String> variant = replaceWords(random, base, 1 + random.nextInt(20));
            String a = String.join(" ", base);
            String b = String.join(" ", variant);
            double jaccard = jaccard(dedup.shingles(a), dedup.shingles(b));
            int bin = (int) Math.floor((jaccard - 0.475) / 0.05);
            if (bin < 0 || bin >= bins.length) {
                continue;
            }
            long[] sa = dedup.signature(a);
            long[] sb = dedup.signature(b);
            boolean candidate = shareBand(dedup.bandHashes(sa), dedup.bandHashes(sb));
            boolean removed = candidate
                    && MinHashDedup.estimatedJaccard(sa, sb) * sa.length >= THRESHOLD * sa.length - 1e-9;
            bins[bin].add(jaccard, candidate, removed, br[0], br[1], dedup.numHashes());
        }
        for (Bin bin : bins) {
            assertThat(bin.n).as("pairs in the bin at %.2f", bin.center).isGreaterThanOrEqualTo(150);
            assertThat(bin.candidates / bin.n).as("candidate rate at Jaccard %.2f (%d pairs)", bin.center, bin.n)
                    .isCloseTo(bin.modelCandidates / bin.n, org.assertj.core.data.Offset.offset(bin.tolerance(true)));
            assertThat(bin.removed / bin.n).as("removal rate at Jaccard %.2f (%d pairs)", bin.center, bin.n)
                    .isCloseTo(bin.modelRemoved / bin.n, org.assertj.core.data.Offset.offset(bin.tolerance(false)));
        }
        writeTable(bins);
        // The claims the README makes in words.
        assertThat(bins[6].removed / bins[6].n).as("removed at Jaccard 0.80").isGreaterThan(0.95);
        assertThat(bins[0].removed / bins[0].n).as("removed at Jaccard 0.50").isLessThan(0.01);
    }

    /** Pairs whose exact Jaccard rounds to one bin, with what was measured and what the model expects. */
    private static final class Bin {
        final double center;
        int n;
        double candidates;
        double removed;
        double modelCandidates;
        double modelRemoved;
        double varCandidates;
        double varRemoved;

        Bin(double center) {
            this.center = center;
        }

        void add(double s, boolean candidate, boolean wasRemoved, int bands, int rows, int hashes) {
            n++;
            candidates += candidate ? 1 : 0;
            removed += wasRemoved ? 1 : 0;
            double pc = 1 - Math.pow(1 - Math.pow(s, rows), bands);
            double pr = pc * atLeast(hashes, (int) Math.ceil(THRESHOLD * hashes - 1e-9), s);
            modelCandidates += pc;
            modelRemoved += pr;
            varCandidates += pc * (1 - pc);
            varRemoved += pr * (1 - pr);
        }

        /** Four standard deviations of the bin's mean under the model, plus 0.02 for the model's approximations. */
        double tolerance(boolean candidate) {
            return 4 * Math.sqrt(candidate ? varCandidates : varRemoved) / n + 0.02;
        }
    }

    /** The README's table, measured and modelled side by side, to {@code target/near-dedup-recall.md}. */
    private static void writeTable(Bin[] bins) {
        StringBuilder sb = new StringBuilder("| Jaccard | pairs | candidate (measured) | candidate (model) |"
                + " removed (measured) | removed (model) |\n|---|---|---|---|---|---|\n");
        for (Bin b : bins) {
            sb.append(String.format(java.util.Locale.ROOT, "| %.2f | %d | %.3f | %.3f | %.3f | %.3f |%n", b.center, b.n,
                    b.candidates / b.n, b.modelCandidates / b.n, b.removed / b.n, b.modelRemoved / b.n));
        }
        try {
            java.nio.file.Files.createDirectories(java.nio.file.Path.of("target"));
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "near-dedup-recall.md"), sb);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** P(Binomial(n, p) >= k). */
    private static double atLeast(int n, int k, double p) {
        double sum = 0;
        for (int i = k; i <= n; i++) {
            sum += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
        }
        return sum;
    }

    private static double logChoose(int n, int k) {
        double r = 0;
        for (int i = 1; i <= k; i++) {
            r += Math.log(n - k + i) - Math.log(i);
        }
        return r;
    }

    private static boolean shareBand(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                return true;
            }
        }
        return false;
    }

    private static List<String> randomWords(SplittableRandom random, int n) {
        List<String> words = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            words.add("w" + random.nextInt(1_000_000));
        }
        return words;
    }

    private static List<String> replaceWords(SplittableRandom random, List<String> words, int count) {
        List<String> out = new ArrayList<>(words);
        for (int i = 0; i < count; i++) {
            out.set(random.nextInt(out.size()), "r" + random.nextInt(1_000_000));
        }
        return out;
    }

    private static double jaccard(long[] a, long[] b) {
        Set<Long> x = new HashSet<>();
        for (long v : a) {
            x.add(v);
        }
        Set<Long> y = new HashSet<>();
        for (long v : b) {
            y.add(v);
        }
        Set<Long> union = new HashSet<>(x);
        union.addAll(y);
        x.retainAll(y);
        return (double) x.size() / union.size();
    }
}
