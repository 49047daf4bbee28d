package dev.phi4spark.filters.dedup;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.udf;

import dev.phi4spark.filters.Murmur3;
import dev.phi4spark.filters.TextNormalizer;
import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Near-duplicate removal with MinHash LSH, run on Spark.
 *
 * <ol>
 *   <li>Shingles: word n-grams ({@code ngramSize}, default 5) of the {@link TextNormalizer
 *       normalised} text; a text shorter than n words is one shingle. Each shingle is a 64-bit
 *       hash built from MurmurHash3 hashes of its words.
 *   <li>Signature: {@code bands * rows} seeded multiply-add-shift hashes {@code (a*x + b) >>> 32}
 *       (64-bit {@code a} odd and {@code b}, {@code x} the shingle hash folded to 32 bits:
 *       Dietzfelbinger's strongly universal scheme) of the shingle hashes; each keeps its minimum.
 *       One multiply per value instead of a 128-bit product reduced modulo a Mersenne prime: the
 *       signatures cost a fifth of the CPU time, with the same pairwise independence.
 *   <li>Candidates: the signature is cut into {@code bands} bands of {@code rows} values; documents
 *       whose band hashes agree in some band share a bucket (explode bands, group by band and
 *       bucket). Within a bucket every member is paired with the bucket's smallest id (a star, so a
 *       bucket of size s costs s - 1 pairs, not s^2).
 *   <li>Verification (when {@code verifyThreshold > 0}): a candidate pair is kept only when the
 *       fraction of agreeing signature values, which estimates the Jaccard similarity, is at
 *       least {@code verifyThreshold}.
 *   <li>Clusters: connected components of the verified pairs, computed on Spark by {@link
 *       ConnectedComponents}; the smallest id of each cluster is kept, the others are marked
 *       {@value #REASON}.
 * </ol>
 *
 * <p>Defaults ({@link #defaults()}): 5-gram shingles, 20 bands x 5 rows = 100 hashes, verify at
 * 0.7, seed 42. The banding alone has its S-curve midpoint at (1/b)^(1/r) = (1/20)^(1/5) ≈ 0.55:
 * a pair with Jaccard 0.8 becomes a candidate with probability 1 - (1 - 0.8^5)^20 ≈ 0.9996, one
 * with Jaccard 0.5 with probability ≈ 0.47, one with 0.3 ≈ 0.05. Verification then cuts at 0.7:
 * with 100 hashes the estimate's standard deviation is about 0.04, so pairs at 0.8 pass with
 * probability about 0.99 and pairs below 0.5 (four standard deviations away) practically never
 * do. The more common 14 x 8 = 112 choice (midpoint 0.72) finds only 92% of pairs at 0.8.
 */
public final class MinHashDedup implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Reject reason of a dropped near duplicate. */
    public static final String REASON = "near_dedup_duplicate";
    /**
     * Names the signature's hash family; signatures stored under another scheme (the earlier
     * {@code (a*x + b) mod (2^61 - 1)} one was called {@code minhash}) are not comparable.
     */
    public static final String SCHEME = "minhash-ms32";

    public static final int DEFAULT_NGRAM_SIZE = 5;
    public static final int DEFAULT_BANDS = 20;
    public static final int DEFAULT_ROWS = 5;
    public static final double DEFAULT_VERIFY_THRESHOLD = 0.7;
    public static final long DEFAULT_SEED = 42;
    public static final int DEFAULT_MAX_ROUNDS = 60;
    /** Ids up to which a side of a join is broadcast (8 bytes and a little each) rather than shuffled. */
    static final long BROADCAST_ROWS = 1_000_000;

    private final int ngramSize;
    private final int bands;
    private final int rows;
    private final double verifyThreshold;
    private final long seed;
    private final long[] a;
    private final long[] b;

    /**
     * @param verifyThreshold minimum estimated Jaccard of a candidate pair; 0 keeps every candidate
     */
    public MinHashDedup(int ngramSize, int bands, int rows, double verifyThreshold, long seed) {
        if (ngramSize < 1 || bands < 1 || rows < 1) {
            throw new IllegalArgumentException("Cannot create near dedup: ngram_size, bands and rows"
                    + " must be positive (" + ngramSize + ", " + bands + ", " + rows + ")");
        }
        if (verifyThreshold < 0 || verifyThreshold > 1) {
            throw new IllegalArgumentException("Cannot create near dedup: verify_threshold must be in"
                    + " [0, 1] (" + verifyThreshold + ")");
        }
        this.ngramSize = ngramSize;
        this.bands = bands;
        this.rows = rows;
        this.verifyThreshold = verifyThreshold;
        this.seed = seed;
        int k = bands * rows;
        this.a = new long[k];
        this.b = new long[k];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < k; i++) {
            a[i] = random.nextLong() | 1;
            b[i] = random.nextLong();
        }
    }

    /** Default Jaccard threshold of {@link #forThreshold}. */
    public static final double DEFAULT_THRESHOLD = 0.7;
    /** Default number of hash functions of {@link #forThreshold}. */
    public static final int DEFAULT_NUM_HASHES = 100;
    // Candidates are verified, so a false candidate costs one signature comparison while a missed
    // pair is lost for good: the banding is chosen to miss few pairs.
    private static final double FALSE_POSITIVE_WEIGHT = 0.05;

    /**
     * Near dedup that removes one copy of pairs whose Jaccard similarity is above {@code
     * threshold}: candidates are verified at {@code threshold}, and bands and rows are derived
     * from it as datasketch's {@code optimal_param} does ({@link #bandsAndRows}).
     */
    public static MinHashDedup forThreshold(double threshold, int numHashes, int ngramSize, long seed) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("Cannot create near dedup: threshold must be between 0"
                    + " and 1, exclusive (" + threshold + ")");
        }
        int[] br = bandsAndRows(threshold, numHashes);
        return new MinHashDedup(ngramSize, br[0], br[1], threshold, seed);
    }

    /**
     * {bands, rows} with {@code bands * rows <= numHashes} that minimise the weighted area of
     * false candidates below {@code threshold} (weight 0.05) and missed pairs above it (weight
     * 0.95) under the banding S-curve {@code 1 - (1 - s^rows)^bands}, as datasketch's {@code
     * optimal_param} does (with those weights, since candidates are verified afterwards).
     */
    public static int[] bandsAndRows(double threshold, int numHashes) {
        if (numHashes < 1) {
            throw new IllegalArgumentException("Cannot create near dedup: num_hashes must be positive ("
                    + numHashes + ")");
        }
        double bestError = Double.MAX_VALUE;
        int[] best = {1, 1};
        for (int bands = 1; bands <= numHashes; bands++) {
            for (int rows = 1; rows <= numHashes / bands; rows++) {
                double error = FALSE_POSITIVE_WEIGHT * area(bands, rows, 0, threshold, false)
                        + (1 - FALSE_POSITIVE_WEIGHT) * area(bands, rows, threshold, 1, true);
                if (error < bestError) {
                    bestError = error;
                    best = new int[] {bands, rows};
                }
            }
        }
        return best;
    }

    /** Integral of the candidate probability (or of its complement) over [from, to]. */
    private static double area(int bands, int rows, double from, double to, boolean missed) {
        int steps = 200;
        double h = (to - from) / steps;
        double sum = 0;
        for (int i = 0; i < steps; i++) {
            double s = from + (i + 0.5) * h;
            double candidate = 1 - Math.pow(1 - Math.pow(s, rows), bands);
            sum += missed ? 1 - candidate : candidate;
        }
        return sum * h;
    }

    /** The defaults (see class Javadoc). */
    public static MinHashDedup defaults() {
        return new MinHashDedup(DEFAULT_NGRAM_SIZE, DEFAULT_BANDS, DEFAULT_ROWS,
                DEFAULT_VERIFY_THRESHOLD, DEFAULT_SEED);
    }

    /** Number of hash functions, {@code bands * rows}. */
    public int numHashes() {
        return a.length;
    }

    /** Jaccard similarity at the midpoint of the banding S-curve, {@code (1/bands)^(1/rows)}. */
    public double impliedThreshold() {
        return Math.pow(1.0 / bands, 1.0 / rows);
    }

    /** Hashes of the word n-gram shingles of {@code text} (may repeat); empty for an empty text. */
    public long[] shingles(String text) {
        List<String> words = TextNormalizer.words(text);
        if (words.isEmpty()) {
            return new long[0];
        }
        long[] wordHashes = new long[words.size()];
        for (int i = 0; i < wordHashes.length; i++) {
            wordHashes[i] = Murmur3.hash64(words.get(i), 0x51);
        }
        int n = Math.min(ngramSize, wordHashes.length);
        long[] out = new long[wordHashes.length - n + 1];
        for (int i = 0; i < out.length; i++) {
            long h = n;
            for (int j = 0; j < n; j++) {
                h = Long.rotateLeft(h * 0x9E3779B97F4A7C15L, 23) ^ wordHashes[i + j];
            }
            out[i] = Murmur3.fmix64(h);
        }
        return out;
    }

    /** The MinHash signature of {@code text}, or {@code null} when it has no words. */
    public long[] signature(String text) {
        long[] shingles = shingles(text == null ? "" : text);
        if (shingles.length == 0) {
            return null;
        }
        long[] sig = new long[a.length];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        for (long s : shingles) {
            long x = (s ^ (s >>> 32)) & 0xFFFFFFFFL;
            for (int i = 0; i < sig.length; i++) {
                sig[i] = Math.min(sig[i], (a[i] * x + b[i]) >>> 32);
            }
        }
        return sig;
    }

    /** One 64-bit hash per band of {@code signature}. */
    public long[] bandHashes(long[] signature) {
        long[] out = new long[bands];
        for (int band = 0; band < bands; band++) {
            long h = band + 1;
            for (int r = 0; r < rows; r++) {
                h = Murmur3.fmix64(h * 0x9E3779B97F4A7C15L ^ signature[band * rows + r]);
            }
            out[band] = h;
        }
        return out;
    }

    /** Fraction of equal positions, an unbiased estimate of the Jaccard similarity. */
    public static double estimatedJaccard(long[] x, long[] y) {
        int same = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] == y[i]) {
                same++;
            }
        }
        return (double) same / x.length;
    }

    /**
     * {@code (id, cluster)} for every document that has at least one verified near duplicate;
     * {@code cluster} is the smallest id of its cluster.
     */
    public Dataset<Row> clusters(Dataset<Row> docs, String textColumn, String idColumn) {
        StructType sigType = new StructType()
                .add("sig", DataTypes.createArrayType(DataTypes.LongType, false), true)
                .add("bands", DataTypes.createArrayType(DataTypes.LongType, false), true);
        UserDefinedFunction sigUdf = udf((UDF1<String, Row>) text -> {
            long[] sig = signature(text);
            return sig == null ? RowFactory.create(null, null) : RowFactory.create(sig, bandHashes(sig));
        }, sigType).withName("minhash_signature");
        Dataset<Row> sigs = docs.select(col(idColumn).as("id"), sigUdf.apply(col(textColumn)).as("s"))
                .select(col("id"), col("s.sig").as("sig"), col("s.bands").as("bands"))
                .filter(col("sig").isNotNull())
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> buckets = sigs.select(col("id"), posexplode(col("bands")).as(
                    new String[] {"band", "bucket"}));
            Dataset<Row> edges = buckets
                    .withColumn("root", min(col("id")).over(Window.partitionBy("band", "bucket")))
                    .filter(col("id").notEqual(col("root")))
                    .select(col("id").as(ConnectedComponents.SRC), col("root").as(ConnectedComponents.DST))
                    .distinct();
            if (verifyThreshold > 0) {
                edges = verify(edges, sigs);
            }
            Dataset<Row> components = ConnectedComponents.compute(edges, DEFAULT_MAX_ROUNDS);
            return components.select(col(ConnectedComponents.VERTEX).as(idColumn),
                    col(ConnectedComponents.COMPONENT).as("cluster"));
        } finally {
            sigs.unpersist();
        }
    }

    private Dataset<Row> verify(Dataset<Row> edges, Dataset<Row> sigs) {
        Dataset<Row> candidates = edges.localCheckpoint();
        Dataset<Row> involved = sigs;
        Dataset<Row> ids = candidates.select(col(ConnectedComponents.SRC).as("id"))
                .union(candidates.select(col(ConnectedComponents.DST).as("id"))).distinct().localCheckpoint();
        if (ids.count() <= BROADCAST_ROWS) {
            // Candidates are usually a small share of the corpus: pick their signatures with a broadcast
            // join instead of shuffling every signature (90 longs a row) twice.
            involved = sigs.join(broadcast(ids), "id");
        }
        Dataset<Row> left = involved.select(col("id").as(ConnectedComponents.SRC), col("sig").as("sig_a"));
        Dataset<Row> right = involved.select(col("id").as(ConnectedComponents.DST), col("sig").as("sig_b"));
        String agreeing = "aggregate(zip_with(sig_a, sig_b, (x, y) -> if(x = y, 1, 0)), 0,"
                + " (acc, x) -> acc + x)";
        return candidates.join(left, ConnectedComponents.SRC).join(right, ConnectedComponents.DST)
                .filter(expr(agreeing).geq(lit(verifyThreshold * numHashes() - 1e-9)))
                .select(col(ConnectedComponents.SRC), col(ConnectedComponents.DST));
    }

    /**
     * {@code docs} with a string column {@code reasonColumn}: {@value #REASON} for every member of a
     * near-duplicate cluster except its smallest id, null otherwise. Computes the clusters eagerly
     * (the connected-components rounds are Spark jobs) and joins them back lazily.
     */
    public Dataset<Row> markDuplicates(Dataset<Row> docs, String textColumn, String idColumn,
            String reasonColumn) {
        Dataset<Row> dups = clusters(docs, textColumn, idColumn)
                .filter(col(idColumn).notEqual(col("cluster")))
                .select(col(idColumn), lit(REASON).as(reasonColumn))
                .localCheckpoint();
        // The duplicates are usually few: broadcasting them spares shuffling and sorting every text.
        Dataset<Row> side = dups.count() <= BROADCAST_ROWS ? broadcast(dups) : dups;
        return docs.join(side, docs.col(idColumn).equalTo(side.col(idColumn)), "left")
                .drop(side.col(idColumn));
    }
}
