package dev.phi4spark.datagen.seed;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/** Topic seeds: drawn taxonomy combinations as a seed DataFrame (see {@link DiversitySampler}). */
public final class TopicSeeds {

    private TopicSeeds() {
    }

    /**
     * Draws {@code count} combinations on the driver and makes them a DataFrame, in draw order.
     *
     * @param spark the session
     * @param taxonomy the space
     * @param count how many seeds
     * @param seed the diversity seed
     * @param axes the axes the recipe varies
     * @return seeds in the {@link Seeds#SCHEMA}
     */
    public static Dataset<Row> create(SparkSession spark, Taxonomy taxonomy, int count, long seed,
            List<DiversitySampler.Axis> axes) {
        List<Row> rows = DiversitySampler.draw(taxonomy, count, seed, axes).stream()
                .map(TopicSeeds::toRow)
                .toList();
        return spark.createDataFrame(rows, Seeds.SCHEMA);
    }

    /** Combinations already drawn as a seed DataFrame, in their order. */
    public static Dataset<Row> of(SparkSession spark, List<TopicCombination> combinations) {
        return spark.createDataFrame(combinations.stream().map(TopicSeeds::toRow).toList(), Seeds.SCHEMA);
    }

    static Row toRow(TopicCombination c) {
        return RowFactory.create(c.seedId(), Seeds.Kind.TOPIC.label(), c.subject(), c.topic(), c.subtopic(),
                c.audience(), c.style(), c.difficulty(), null, null, null, null);
    }
}
