package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.lit;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.seed.Seeds;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The seed each sample of each question gets, computed the way the recipes do, so a script can tell samples apart. */
final class SampleSeeds {

    private SampleSeeds() {}

    /** Seed to sample index, for samples {@code 0..k-1} of every seed of {@code seeds}. */
    static Map<Long, Integer> of(SparkSession spark, Recipe recipe, Dataset<Row> seeds, String model,
            SamplingParams sampling, int k) {
        Map<Long, Integer> out = new HashMap<>();
        for (Row seed : seeds.collectAsList()) {
            String id = Ids.rowId(recipe.name(), seed.<String>getAs(Seeds.SEED_ID), recipe.variant(), model, sampling.toJson());
            for (int sample = 0; sample < k; sample++) {
                out.put(spark.range(1).select(Ids.rowSeed(lit(id), "answer", lit(sample))).first().getLong(0), sample);
            }
        }
        return out;
    }
}
