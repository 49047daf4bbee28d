package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.Main;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate} over 10,000 prompts in a driver of {@code -Xmx2g} on {@code local[2]} finishes: nothing
 * holds every row in memory. About 70 s on two quiet
 * cores; part of the default suite, tagged {@code slow} so that {@code -DexcludedGroups=slow} can leave it out.
 */
@Tag("slow")
class BoundedMemoryTest {

    static final int ROWS = Integer.getInteger("phi4spark.memory.rows", 10_000);

    @TempDir
    Path tmp;

    @Test
    void tenThousandPromptsInTwoGigabytes() throws Exception {
        Path warehouse = tmp.resolve("warehouse");
        List<String> args = new ArrayList<>(List.of("generate", "--master", "local[2]",
                "--set", "warehouse=" + warehouse, "--set", "model.tiny_path=" + Cli.tinyModel(),
                "--set", "model.device=cpu", "--set", "progress_seconds=0", "--set", "sampling.max_new_tokens=4",
                "--set", Cli.recipes(ROWS), "--set", "write.commit_rows=2500", "--set", Cli.SPARK_CONF));
        long started = System.nanoTime();
        try (ChildJvm driver = ChildJvm.start(ChildJvm.CLIENT_COMPILER, tmp, "driver", "2g", ChildJvm.sparkHome(tmp),
                Main.class.getName(), args.toArray(new String[0]))) {
            int status = driver.waitFor(900);
            double seconds = (System.nanoTime() - started) / 1e9;
            assertThat(status).as("exit status; output:\n%s", driver.tail()).isZero();
            assertThat(driver.err()).doesNotContain("OutOfMemoryError");
            TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
            long count = tables.read(TableStore.SYNTHETIC_RAW).count();
            long distinct = tables.read(TableStore.SYNTHETIC_RAW).select("id").distinct().count();
            System.out.printf("bounded memory: %d rows (%d distinct) with -Xmx2g in %.0f s%n", count, distinct, seconds);
            assertThat(count).isEqualTo(ROWS);
            assertThat(distinct).isEqualTo(ROWS);
        }
    }
}
