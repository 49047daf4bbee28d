package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, items 4, 5 and 7: a document over the size limit gets a {@code too_long} row error naming its
 * size and the limit (never a silently null text), a null id falls back to the text hash so a rerun leaves
 * each row once, and an empty input folder is named as such.
 */
class HostileCorpusTest {

    @TempDir
    static Path tmp;

    private static Map<String, Row> scores(Path warehouse) {
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        List<Row> rows = tables.read(TableStore.CORPUS_SCORES).select("id", "text_preview", "token_count", "error")
                .collectAsList();
        assertThat(rows.stream().map(r -> r.getString(0))).doesNotContainNull().doesNotHaveDuplicates();
        return rows.stream().collect(Collectors.toMap(r -> r.isNullAt(1) ? "(null text)" : r.getString(1)
                .substring(0, Math.min(12, r.getString(1).length())), r -> r));
    }

    @Test
    void aTwentyMegabyteJsonDocumentAndNullIdsGetRowErrorsAndHashIds() throws IOException {
        Path corpus = tmp.resolve("corpus.jsonl");
        try (Writer w = Files.newBufferedWriter(corpus, StandardCharsets.UTF_8)) {
            w.write("{\"doc_id\": \"a\", \"text\": \"Rivers carry water to the sea.\"}\n");
            w.write("{\"doc_id\": null, \"text\": \"Null ids get the hash.\"}\n");
            w.write("{\"text\": \"Missing ids get it too.\"}\n");
            w.write("{\"doc_id\": \"big\", \"text\": \"");
            String block = "x".repeat(1 << 20);
            for (int i = 0; i < 20; i++) {
                w.write(block);
            }
            w.write("\"}\n");
        }
        Path warehouse = tmp.resolve("wh-json");
        String[] args = {"--set", "score.input=" + corpus, "--set", "score.id_column=doc_id", "--set",
            "score.judge=false"};

        for (int run = 0; run < 2; run++) { // the rerun adds nothing: every id is known
            Cli.Run r = Cli.job("score", warehouse, args);
            assertThat(r.status()).as("%s", r).isZero();
        }

        Map<String, Row> rows = scores(warehouse);
        assertThat(rows).hasSize(4);
        assertThat(rows.get("Rivers carry").getString(0)).isEqualTo("a");
        assertThat(rows.get("Rivers carry").isNullAt(3)).isTrue();
        assertThat(rows.get("Null ids get").getString(0)).hasSize(32).isNotEqualTo("null");
        assertThat(rows.get("Missing ids ").getString(0)).hasSize(32);
        Row big = rows.get("(null text)");
        // the line did not parse, so its doc_id is unknown: the hash of the line stands in
        assertThat(big.getString(0)).hasSize(32);
        assertThat(big.getString(3)).isEqualTo("too_long: the document's line has " + (20 * (1 << 20) + 29)
                + " characters and the limit is 1000000 (score.max_document_chars)");
    }

    @Test
    void aTextOverTheLimitIsNamedWithItsSize() throws IOException {
        Path corpus = Files.writeString(tmp.resolve("lines.txt"), "short line of text\n" + "y".repeat(150) + "\n");
        Path warehouse = tmp.resolve("wh-text");

        Cli.Run r = Cli.job("score", warehouse, "--set", "score.input=" + corpus, "--set", "score.judge=false",
                "--set", "score.max_document_chars=100");

        assertThat(r.status()).as("%s", r).isZero();
        Map<String, Row> rows = scores(warehouse);
        assertThat(rows.get("short line o").isNullAt(3)).isTrue();
        assertThat(rows.get("(null text)").getString(3))
                .isEqualTo("too_long: the document has 150 characters and the limit is 100 (score.max_document_chars)");
    }

    @Test
    void anEmptyFolderIsNamed() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));

        Cli.Run r = Cli.job("score", tmp.resolve("wh-empty"), "--set", "score.input=" + empty);

        assertThat(r.status()).as("%s", r).isEqualTo(1);
        assertThat(r.err()).isEqualTo("phi4spark: Cannot score " + empty + ": it holds no parquet data files (an empty"
                + " folder, or files of another format: set score.format)" + System.lineSeparator());
    }
}
