package dev.phi4spark.datagen;

import dev.phi4spark.udf.engine.SamplingParams;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class IdsTest {

    private static final String SAMPLING = SamplingParams.DEFAULTS.toJson();

    @Test
    void rowIdIsStableAndDependsOnEveryPart() {
        String id = Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING);
        assertThat(id).hasSize(32).matches("[0-9a-f]{32}");
        assertThat(Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING)).isEqualTo(id);
        assertThat(List.of(
                Ids.rowId("exercises_with_solutions", "seed1", "words=600", "model-a", SAMPLING),
                Ids.rowId("textbook_section", "seed2", "words=600", "model-a", SAMPLING),
                Ids.rowId("textbook_section", "seed1", "words=700", "model-a", SAMPLING),
                Ids.rowId("textbook_section", "seed1", "words=600", "model-b", SAMPLING),
                Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SamplingParams.DEFAULTS.withSeed(1).toJson())))
                .doesNotContain(id)
                .doesNotHaveDuplicates();
        // the separator keeps part boundaries: ("a b", "c") is not ("a", "b c")
        assertThat(Ids.hash("a b", "c")).isNotEqualTo(Ids.hash("a", "b c"));
    }

    @Test
    void aRunKeyGivesNewIdsAndNoneGivesTheOldOnes() {
        String plain = Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING);
        assertThat(Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING, "")).isEqualTo(plain);
        assertThat(Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING, null)).isEqualTo(plain);
        String day1 = Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING, "2026-01-01");
        String day2 = Ids.rowId("textbook_section", "seed1", "words=600", "model-a", SAMPLING, "2026-01-02");
        assertThat(List.of(plain, day1, day2)).doesNotHaveDuplicates();
        StructType schema = new StructType().add("seed_id", DataTypes.StringType);
        Row r = SparkTestSession.get().createDataFrame(List.of(RowFactory.create("seed1")), schema)
                .select(Ids.rowId("textbook_section", col("seed_id"), "words=600", "model-a", SAMPLING, "2026-01-01"),
                        Ids.rowId("textbook_section", col("seed_id"), "words=600", "model-a", SAMPLING, ""))
                .first();
        assertThat(r.getString(0)).isEqualTo(day1);
        assertThat(r.getString(1)).isEqualTo(plain);
    }

    @Test
    void columnFormEqualsDriverForm() {
        StructType schema = new StructType().add("seed_id", DataTypes.StringType);
        Dataset<Row> df = SparkTestSession.get().createDataFrame(
                List.of(RowFactory.create("seed1"), RowFactory.create("s\u00e9ed \u2764"), RowFactory.create((Object) null)), schema);
        List<Row> rows = df.select(col("seed_id"),
                Ids.rowId("r", col("seed_id"), "v", "m", SAMPLING).as("id")).collectAsList();
        for (Row r : rows) {
            assertThat(r.getString(1)).isEqualTo(Ids.rowId("r", r.getString(0), "v", "m", SAMPLING));
        }
    }

    @Test
    void samplingJsonIsCanonical() {
        assertThat(SamplingParams.DEFAULTS.toJson()).isEqualTo("{\"temperature\":0.7,\"top_k\":0,\"top_p\":0.95,"
                + "\"repetition_penalty\":1.0,\"max_new_tokens\":512,\"seed\":0,\"stop\":[]}");
        assertThat(new SamplingParams(0.7, 0, 0.95, 1.0, 512, 0, null).toJson()).isEqualTo(SamplingParams.DEFAULTS.toJson());
    }
}
