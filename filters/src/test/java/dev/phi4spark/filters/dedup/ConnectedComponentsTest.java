package dev.phi4spark.filters.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.filters.SparkTestSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ConnectedComponentsTest {
    private final SparkSession spark = SparkTestSession.get();

    private Dataset<Row> edges(long[][] pairs) {
        List<Row> rows = new ArrayList<>();
        for (long[] p : pairs) {
            rows.add(RowFactory.create(p[0], p[1]));
        }
        StructType schema = new StructType().add("src", DataTypes.LongType).add("dst", DataTypes.LongType);
        return spark.createDataFrame(rows, schema);
    }

    private static Map<Long, Long> labels(Dataset<Row> components) {
        Map<Long, Long> out = new TreeMap<>();
        for (Row r : components.collectAsList()) {
            out.put(r.getLong(0), r.getLong(1));
        }
        return out;
    }

    @Test
    void labelsEachVertexWithTheSmallestVertexOfItsComponent() {
        long[][] pairs = {{4, 3}, {3, 9}, {9, 2}, {20, 21}, {22, 21}, {5, 5}, {7, 8}, {8, 7}};
        Map<Long, Long> labels = labels(ConnectedComponents.compute(edges(pairs), 30, 0));
        assertThat(labels(ConnectedComponents.compute(edges(pairs), 30))).as("on the driver").isEqualTo(labels);
        assertThat(labels).isEqualTo(Map.of(2L, 2L, 3L, 2L, 4L, 2L, 9L, 2L, 20L, 20L, 21L, 20L,
                22L, 20L, 7L, 7L, 8L, 7L));
    }

    @Test
    void convergesOnALongShuffledChain() {
        int n = 60;
        long[][] pairs = new long[n - 1][];
        for (int i = 0; i < n - 1; i++) {
            // Vertex ids interleave so the chain zig-zags between small and large values.
            long x = (i * 37L) % n + 100;
            long y = ((i + 1) * 37L) % n + 100;
            pairs[i] = new long[] {x, y};
        }
        Map<Long, Long> labels = labels(ConnectedComponents.compute(edges(pairs), 40, 0));
        assertThat(labels(ConnectedComponents.compute(edges(pairs), 40))).as("on the driver").isEqualTo(labels);
        assertThat(labels).hasSize(n);
        assertThat(labels.values()).containsOnly(100L);
    }

    @Test
    void stringVerticesOnTheDriverAndInRoundsAgree() {
        List<Row> rows = List.of(RowFactory.create("b", "a"), RowFactory.create("c", "b"), RowFactory.create("y", "z"));
        StructType schema = new StructType().add("src", DataTypes.StringType).add("dst", DataTypes.StringType);
        Dataset<Row> edges = spark.createDataFrame(rows, schema);
        Map<String, String> local = new TreeMap<>();
        ConnectedComponents.compute(edges, 30).collectAsList().forEach(r -> local.put(r.getString(0), r.getString(1)));
        Map<String, String> rounds = new TreeMap<>();
        ConnectedComponents.compute(edges, 30, 0).collectAsList().forEach(r -> rounds.put(r.getString(0), r.getString(1)));
        assertThat(local).isEqualTo(Map.of("a", "a", "b", "a", "c", "a", "y", "y", "z", "y")).isEqualTo(rounds);
    }
}
