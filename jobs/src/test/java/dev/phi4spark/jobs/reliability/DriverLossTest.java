package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.Main;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver (a child JVM on {@code local[2]}) killed with SIGKILL after its first commit; then
 * {@code generate --resume} finishes the table: every id once, the committed rows untouched (not generated
 * again: same {@code created_at}, and the model ran only on the missing rows).
 */
class DriverLossTest {

    static final int ROWS = 40;
    static final int COMMIT_ROWS = 10;

    @TempDir
    Path tmp;

    static List<String> args(Path warehouse, int rows, int commitRows) {
        List<String> args = new ArrayList<>(List.of("generate"));
        args.addAll(Cli.smallSettings(warehouse));
        args.addAll(List.of("--set", Cli.recipes(rows), "--set", "write.commit_rows=" + commitRows));
        return args;
    }

    @Test
    void aKilledDriverIsResumedWithoutDuplicatesOrRegeneration() throws Exception {
        Path warehouse = tmp.resolve("warehouse");
        List<String> args = args(warehouse, ROWS, COMMIT_ROWS);
        List<String> child = new ArrayList<>(args);
        child.addAll(List.of("--master", "local[2]"));
        Pattern committed = Pattern.compile("chunk (\\d+)/(\\d+) committed");
        try (ChildJvm driver = ChildJvm.start(ChildJvm.CLIENT_COMPILER, tmp, "driver", "1g", ChildJvm.sparkHome(tmp),
                Main.class.getName(), child.toArray(new String[0]))) {
            assertThat(driver.await(s -> committed.matcher(s).results().count() >= 1, 240))
                    .as("a chunk committed; output:\n%s", driver.tail()).isTrue();
            driver.kill();
            assertThat(driver.out()).as("killed before the end").doesNotContain("Tables written");
        }
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        List<Row> before = tables.read(TableStore.SYNTHETIC_RAW).select("id", "created_at").collectAsList();
        assertThat(before.size()).as("rows committed before the kill").isBetween(1, ROWS - 1);
        List<Row> runsBefore = tables.read(TableStore.RUNS).select("status").collectAsList();
        assertThat(runsBefore).hasSize(1);
        assertThat(runsBefore.get(0).getString(0)).as("the killed run never ended").isEqualTo("running");

        GenerationCounter counter = GenerationCounter.register(JobsSpark.get());
        Cli.Run[] resume = new Cli.Run[1];
        long generated;
        try {
            List<String> resumeArgs = new ArrayList<>(args);
            resumeArgs.add("--resume");
            generated = counter.during(JobsSpark.get(), () -> resume[0] = Cli.run(resumeArgs.toArray(new String[0])));
        } finally {
            counter.remove(JobsSpark.get());
        }
        assertThat(resume[0].status()).as("%s", resume[0]).isZero();

        List<Row> after = tables.read(TableStore.SYNTHETIC_RAW).select("id", "created_at").collectAsList();
        assertThat(after).hasSize(ROWS);
        assertThat(after.stream().map(r -> r.getString(0)).distinct().count()).isEqualTo(ROWS);
        assertThat(after).containsAll(before); // same ids with the same created_at: not rewritten
        assertThat(generated).as("the model ran only on the missing rows").isEqualTo(ROWS - before.size());
        System.out.printf("driver loss: %d of %d rows committed before the kill, %d generated on resume%n",
                before.size(), ROWS, generated);
    }
}
