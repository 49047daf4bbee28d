package dev.phi4spark.filters.dedup;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.filters.SparkTestSession;
import dev.phi4spark.filters.TestTexts;
import dev.phi4spark.filters.TextNormalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class DedupTest {
    private static final StructType SCHEMA =
            new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
    private final SparkSession spark = SparkTestSession.get();

    private Dataset<Row> docs(Map<Long, String> texts) {
        List<Row> rows = new ArrayList<>();
        texts.forEach((id, text) -> rows.add(RowFactory.create(id, text)));
        return spark.createDataFrame(rows, SCHEMA).repartition(2);
    }

    private static Set<Long> idsWithReason(Dataset<Row> marked, String reason) {
        Set<Long> ids = new HashSet<>();
        for (Row r : marked.filter(col("reject_reason").equalTo(reason)).select("id").collectAsList()) {
            ids.add(r.getLong(0));
        }
        return ids;
    }

    @Test
    void exactDedupKeepsTheSmallestIdOfEachNormalisedText() {
        Map<Long, String> texts = new HashMap<>();
        texts.put(7L, "The Cat sat on the mat.");
        texts.put(3L, "the cat   sat on the mat");
        texts.put(9L, "THE CAT SAT ON THE MAT!!!");
        texts.put(4L, "The dog sat on the mat.");
        texts.put(5L, "The dog sat on a mat.");
        Dataset<Row> marked = new ExactDedup().markDuplicates(docs(texts), "text", "id", "reject_reason");
        assertThat(idsWithReason(marked, ExactDedup.REASON)).containsExactlyInAnyOrder(7L, 9L);
        assertThat(marked.count()).isEqualTo(5);
    }

    /** 5-gram shingle set of a text, as the test's ground truth. */
    private static Set<String> shingles(String text) {
        List<String> w = TextNormalizer.words(text);
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 5 <= w.size(); i++) {
            out.add(String.join(" ", w.subList(i, i + 5)));
        }
        return out;
    }

    private static double jaccard(Set<String> x, Set<String> y) {
        Set<String> inter = new HashSet<>(x);
        inter.retainAll(y);
        return (double) inter.size() / (x.size() + y.size() - inter.size());
    }

    private static String randomDoc(Random random, int words) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < words; i++) {
            out.add(TestTexts.word(random.nextInt(3000)));
        }
        return String.join(" ", out);
    }

    /** {@code doc} with {@code substitutions} words replaced at random positions. */
    private static String variant(Random random, String doc, int substitutions) {
        String[] w = doc.split(" ");
        for (int i = 0; i < substitutions; i++) {
            w[random.nextInt(w.length)] = TestTexts.word(3000 + random.nextInt(3000));
        }
        return String.join(" ", w);
    }

    @Test
    void nearDedupFindsPlantedPairsAboveEightyPercentAndNeverMergesBelowFifty() {
        Random random = new Random(20240601);
        Map<Long, String> texts = new HashMap<>();
        List<long[]> plantedPairs = new ArrayList<>();
        long id = 0;
        for (int p = 0; p < 700; p++) {
            String base = randomDoc(random, 60 + random.nextInt(90));
            long baseId = id++;
            long variantId = id++;
            texts.put(baseId, base);
            texts.put(variantId, variant(random, base, random.nextInt(14)));
            plantedPairs.add(new long[] {baseId, variantId});
        }
        for (int s = 0; s < 1300; s++) {
            texts.put(id++, randomDoc(random, 30 + random.nextInt(150)));
        }
        Map<Long, Set<String>> shingleSets = new HashMap<>();
        texts.forEach((k, v) -> shingleSets.put(k, shingles(v)));

        Map<Long, Long> cluster = new HashMap<>();
        for (Row r : MinHashDedup.defaults().clusters(docs(texts), "text", "id").collectAsList()) {
            cluster.put(r.getLong(0), r.getLong(1));
        }

        int high = 0;
        int highFound = 0;
        int low = 0;
        for (long[] pair : plantedPairs) {
            double j = jaccard(shingleSets.get(pair[0]), shingleSets.get(pair[1]));
            boolean merged = cluster.containsKey(pair[0])
                    && cluster.get(pair[0]).equals(cluster.get(pair[1]));
            if (j >= 0.8) {
                high++;
                highFound += merged ? 1 : 0;
            } else if (j < 0.5) {
                low++;
            }
        }
        // The corpus must exercise both sides of the claim.
        assertThat(high).isGreaterThan(100);
        assertThat(low).isGreaterThan(100);
        assertThat((double) highFound / high).as("recall at Jaccard >= 0.8").isGreaterThanOrEqualTo(0.95);

        Map<Long, List<Long>> members = new HashMap<>();
        cluster.forEach((doc, root) -> members.computeIfAbsent(root, k -> new ArrayList<>()).add(doc));
        for (List<Long> group : members.values()) {
            for (int i = 0; i < group.size(); i++) {
                for (int k = i + 1; k < group.size(); k++) {
                    double j = jaccard(shingleSets.get(group.get(i)), shingleSets.get(group.get(k)));
                    assertThat(j).as("Jaccard of merged %s and %s", group.get(i), group.get(k))
                            .isGreaterThanOrEqualTo(0.5);
                }
            }
            assertThat(cluster.get(group.get(0))).isEqualTo(group.stream().min(Long::compare).get());
        }
    }

    @Test
    void markDuplicatesKeepsTheSmallestIdOfACluster() {
        String base = TestTexts.words(0, 60);
        Map<Long, String> texts = new HashMap<>();
        texts.put(12L, base);
        texts.put(5L, base.replace(TestTexts.word(30), "changed"));
        texts.put(8L, base + " " + TestTexts.word(99));
        texts.put(1L, TestTexts.words(1000, 60));
        texts.put(2L, "");
        Dataset<Row> marked = MinHashDedup.defaults().markDuplicates(docs(texts), "text", "id", "reject_reason");
        assertThat(idsWithReason(marked, MinHashDedup.REASON)).containsExactlyInAnyOrder(8L, 12L);
        assertThat(marked.count()).isEqualTo(5);
    }

    @Test
    void signatureEstimatesJaccard() {
        MinHashDedup dedup = new MinHashDedup(5, 64, 4, 0.7, 1);
        String a = TestTexts.words(0, 200);
        String b = a.replace(TestTexts.word(50), "x").replace(TestTexts.word(150), "y");
        double truth = jaccard(shingles(a), shingles(b));
        assertThat(MinHashDedup.estimatedJaccard(dedup.signature(a), dedup.signature(b)))
                .isCloseTo(truth, org.assertj.core.data.Offset.offset(0.1));
        assertThat(dedup.signature("")).isNull();
        assertThat(MinHashDedup.defaults().impliedThreshold())
                .isCloseTo(0.549, org.assertj.core.data.Offset.offset(0.001));
    }

    @Test
    void explainsBadParameters() {
        assertThatThrownBy(() -> new MinHashDedup(5, 0, 5, 0.7, 1))
                .hasMessage("Cannot create near dedup: ngram_size, bands and rows must be positive (5, 0, 5)");
        assertThatThrownBy(() -> new MinHashDedup(5, 20, 5, 1.5, 1))
                .hasMessage("Cannot create near dedup: verify_threshold must be in [0, 1] (1.5)");
    }

    @Test
    void derivesBandsAndRowsFromTheThreshold() {
        assertThat(MinHashDedup.bandsAndRows(0.7, 100)).containsExactly(18, 5);
        int[] strict = MinHashDedup.bandsAndRows(0.9, 100);
        assertThat(strict[1]).isGreaterThan(5);
        MinHashDedup dedup = MinHashDedup.forThreshold(0.7, 100, 5, 42);
        assertThat(dedup.numHashes()).isEqualTo(90);
        assertThatThrownBy(() -> MinHashDedup.forThreshold(1.0, 100, 5, 42))
                .hasMessage("Cannot create near dedup: threshold must be between 0 and 1, exclusive (1.0)");
    }
}
