package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two score commands writing corpus_scores at once, in one JVM: both finish, every id once. */
class ConcurrentScoreTest {

    @TempDir
    Path tmp;

    private static Path corpus(Path file, int from, int to) throws Exception {
        Files.writeString(file, IntStream.range(from, to)
                .mapToObj(i -> "{\"id\": \"doc-" + i + "\", \"text\": \"Document " + i + " is about rivers and seas.\"}")
                .collect(Collectors.joining("\n")) + "\n");
        return file;
    }

    @Test
    void twoScoreJobsOnTheSameTableBothFinishWithoutDuplicates() throws Exception {
        Path warehouse = tmp.resolve("warehouse");
        Path a = corpus(tmp.resolve("a.jsonl"), 0, 30);
        Path b = corpus(tmp.resolve("b.jsonl"), 15, 45); // 15 ids in common
        Cli.tinyModel();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Cli.Run>> runs = List.of(
                    pool.submit(() -> score(warehouse, a)),
                    pool.submit(() -> score(warehouse, b)));
            for (Future<Cli.Run> f : runs) {
                Cli.Run run = f.get(5, TimeUnit.MINUTES);
                assertThat(run.status()).as("%s", run).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        List<Row> rows = tables.read(TableStore.CORPUS_SCORES).select("id", "error", "run_id").collectAsList();
        assertThat(rows).hasSize(45);
        assertThat(rows.stream().map(r -> r.getString(0)).distinct().count()).isEqualTo(45);
        assertThat(rows).allSatisfy(r -> assertThat(r.isNullAt(1)).as("%s", r).isTrue());
        assertThat(rows.stream().map(r -> r.getString(2)).distinct().count()).as("both runs inserted rows").isEqualTo(2);
        List<Row> runs = tables.read(TableStore.RUNS).select("status", "row_counts").collectAsList();
        assertThat(runs).hasSize(2).allSatisfy(r -> assertThat(r.getString(0)).isEqualTo("succeeded"));
        long inserted = runs.stream().mapToLong(r -> r.<String, Long>getJavaMap(1).get(TableStore.CORPUS_SCORES)).sum();
        assertThat(inserted).as("the runs' own insert counts add up").isEqualTo(45);
    }

    private static Cli.Run score(Path warehouse, Path input) {
        return Cli.job("score", warehouse, "--set", "score.input=" + input, "--set", "score.id_column=id",
                "--set", "score.judge=false", "--set", "write.commit_rows=10");
    }
}
