package dev.phi4spark.datagen.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.phi4spark.datagen.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SourceCheck} sees the columns Spark's reader ({@link TextSeeds#read}) sees, without Spark. */
class SourceCheckTest {

    @TempDir
    static Path tmp;

    private static final Configuration HADOOP = new Configuration();

    private static String write(String format) {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> rows = spark.sql("SELECT 'q' || id AS qid, 'What is ' || id AS question, id % 2 AS part"
                + " FROM range(4)");
        String path = tmp.resolve(format).toString();
        var writer = rows.write().mode("overwrite").partitionBy("part");
        switch (format) {
            case "json" -> writer.option("compression", "gzip").json(path);
            case "csv" -> writer.option("header", "true").csv(path);
            default -> writer.parquet(path);
        }
        return path;
    }

    private static SeedSource source(String path, String format) {
        return new SeedSource(null, path, format, null, null, null, null, null, false, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"json", "csv", "parquet"})
    void namesTheColumnsSparkReads(String format) {
        SeedSource source = source(write(format), format);
        List<String> spark = List.of(TextSeeds.read(SparkTestSession.get(), source, Map.of()).columns());
        assertThat(spark).contains("question", "part");
        SourceCheck.check("r", source.withTextColumn("question").withLanguageColumn("part").withIdColumn("qid"), HADOOP);
        assertThatThrownBy(() -> SourceCheck.check("r", source.withTextColumn("question").withAnswerColumn("answer"),
                HADOOP)).hasMessage("Cannot read the source of recipe 'r': " + source.path() + " has no answer_column"
                        + " 'answer' (columns: " + String.join(", ", spark) + ")");
    }

    @Test
    void textHasOnlyValue() {
        SeedSource text = source(write("csv"), "text");
        SourceCheck.check("r", text, HADOOP);
        assertThatThrownBy(() -> SourceCheck.check("r", text.withTextColumn("question"), HADOOP))
                .hasMessage("Cannot read the source of recipe 'r': " + text.path() + " has no text_column 'question'"
                        + " (columns: value)");
    }

    @Test
    void anEmptyFolderOrAGlobMatchingNothingIsRefused() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> SourceCheck.check("r", source(empty.toString(), "parquet"), HADOOP))
                .hasMessageStartingWith("Cannot read the source of recipe 'r': it holds no parquet data files");
        String glob = tmp.resolve("nothing-*.jsonl").toString();
        assertThatThrownBy(() -> SourceCheck.check("r", SeedSource.path(glob), HADOOP))
                .hasMessage("Cannot read the source of recipe 'r': no such file or folder (" + glob + ")");
    }

    @Test
    void aDeltaTableIsReadByTheSchemaInItsLog() throws Exception {
        Path table = tmp.resolve("delta");
        Path log = Files.createDirectories(table.resolve("_delta_log"));
        String schema = "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"question\\\",\\\"type\\\":\\\"string\\\","
                + "\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"answer\\\",\\\"type\\\":\\\"string\\\","
                + "\\\"nullable\\\":true,\\\"metadata\\\":{}}]}";
        Files.writeString(log.resolve("00000000000000000000.json"), "{\"protocol\":{\"minReaderVersion\":1}}\n"
                + "{\"metaData\":{\"id\":\"x\",\"schemaString\":\"" + schema + "\",\"partitionColumns\":[]}}\n");
        SeedSource delta = source(table.toString(), "delta");
        SourceCheck.check("r", delta.withTextColumn("question").withAnswerColumn("answer"), HADOOP);
        assertThatThrownBy(() -> SourceCheck.check("r", delta, HADOOP)).hasMessage("Cannot read the source of recipe"
                + " 'r': " + table + " has no text_column 'text' (columns: question, answer)");
        Throwable notDelta = catchThrowable(() -> SourceCheck.check("r", source(tmp.toString(), "delta"), HADOOP));
        assertThat(notDelta).hasMessageContaining("is not a Delta table");
    }
}
