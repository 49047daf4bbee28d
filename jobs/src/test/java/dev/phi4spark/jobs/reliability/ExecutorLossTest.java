package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.Main;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone cluster (Master and two one-core Workers, each its own JVM) runs {@code generate} on 2,000
 * prompts; one executor JVM is killed (SIGKILL) 5 s after the first commit, while the second chunk runs.
 * The job finishes with every id once, and the {@code runs} row records the lost executor and the failed
 * tasks. About 80 s on two quiet cores; part of the default suite, tagged {@code slow} so that
 * {@code -DexcludedGroups=slow} can leave it out.
 */
@Tag("slow")
class ExecutorLossTest {

    static final int ROWS = Integer.getInteger("phi4spark.executorLoss.rows", 2000);

    @TempDir
    Path tmp;

    @Test
    void aKilledExecutorCostsRetriesNotRows() throws Exception {
        Path sparkHome = ChildJvm.sparkHome(tmp);
        Path warehouse = tmp.resolve("warehouse");
        int port = ChildJvm.freePort();
        String master = "spark://127.0.0.1:" + port;
        String cp = System.getProperty("java.class.path");
        long started = System.nanoTime();
        try (ChildJvm m = ChildJvm.start(ChildJvm.CLIENT_COMPILER, tmp, "master", "512m", sparkHome,
                "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--webui-port", "0")) {
            assertThat(m.awaitPort(port, 120)).as("master up; %s", m.tail()).isTrue();
            try (ChildJvm w1 = worker(sparkHome, master, 1); ChildJvm w2 = worker(sparkHome, master, 2)) {
                List<String> args = new ArrayList<>(List.of("generate", "--master", master,
                        "--set", "warehouse=" + warehouse, "--set", "model.tiny_path=" + Cli.tinyModel(),
                        "--set", "model.device=cpu", "--set", "progress_seconds=0",
                        "--set", "sampling.max_new_tokens=4", "--set", Cli.recipes(ROWS),
                        "--set", "write.commit_rows=" + ROWS / 4, "--set", "generate.partitions=8",
                        "--set", "spark.conf={spark.ui.enabled: false, spark.sql.shuffle.partitions: 2,"
                                + " spark.databricks.delta.snapshotPartitions: 2, spark.executor.memory: 768m,"
                                + " spark.executor.extraClassPath: '" + cp + "',"
                                + " spark.executor.extraJavaOptions: '-Dlog4j2.configurationFile=log4j2-test.xml "
                                + ChildJvm.CLIENT_COMPILER_OPTION + " " + ChildJvm.tmpdirOption(tmp) + "',"
                                + " spark.driver.host: 127.0.0.1}"));
                try (ChildJvm driver = ChildJvm.start(ChildJvm.CLIENT_COMPILER, tmp, "driver", "1500m", sparkHome,
                        Main.class.getName(), args.toArray(new String[0]))) {
                    assertThat(driver.await(s -> s.contains("chunk 1/"), 600)).as("%s", driver.tail()).isTrue();
                    long until = System.nanoTime() + 120_000_000_000L;
                    while (executors(w1, w2).size() < 2 && System.nanoTime() < until) {
                        Thread.sleep(200);
                    }
                    assertThat(executors(w1, w2)).as("an executor on each Worker").hasSize(2);
                    // Only an executor of our own Workers: other builds on this machine may run Spark too.
                    ProcessHandle executor = executors(w1, w2).stream().findFirst().orElseThrow(
                            () -> new AssertionError("no CoarseGrainedExecutorBackend process under our Workers"));
                    int killedAt = (int) Pattern.compile("chunk \\d+/\\d+ committed").matcher(driver.out()).results()
                            .count();
                    // Into the next chunk's generation, so that the executor dies with tasks running.
                    Thread.sleep(Long.getLong("phi4spark.executorLoss.delayMs", 5000));
                    executor.destroyForcibly();
                    int status = driver.waitFor(900);
                    assertThat(status).as("driver exit; output:\n%s", driver.tail()).isZero();
                    double seconds = (System.nanoTime() - started) / 1e9;
                    TableStore tables = new TableStore(JobsSpark.get(),
                            JobConfig.load(null, List.of("warehouse=" + warehouse)));
                    long count = tables.read(TableStore.SYNTHETIC_RAW).count();
                    long distinct = tables.read(TableStore.SYNTHETIC_RAW).select("id").distinct().count();
                    Row run = tables.read(TableStore.RUNS).select("status", "task_failures", "executors_lost",
                            "row_counts").head();
                    System.out.printf("executor loss: killed pid %d after %d chunk(s); %d rows, %d distinct, run %s,"
                            + " task_failures %d, executors_lost %d, %.0f s%n", executor.pid(), killedAt, count, distinct,
                            run.getString(0), run.getInt(1), run.getInt(2), seconds);
                    assertThat(count).isEqualTo(ROWS);
                    assertThat(distinct).isEqualTo(ROWS);
                    assertThat(run.getString(0)).isEqualTo("succeeded");
                    assertThat(run.getInt(1) + run.getInt(2)).as("the retry is recorded").isPositive();
                    assertThat(run.getInt(2)).as("executors_lost").isPositive();
                }
            }
        }
    }

    private ChildJvm worker(Path sparkHome, String master, int n) throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work-" + n));
        return ChildJvm.start(ChildJvm.CLIENT_COMPILER, tmp, "worker-" + n, "512m", sparkHome,
                "org.apache.spark.deploy.worker.Worker", master, "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                "--webui-port", "0", "--work-dir", work.toString());
    }

    private static List<ProcessHandle> executors(ChildJvm... workers) {
        List<ProcessHandle> out = new ArrayList<>();
        for (ChildJvm w : workers) {
            w.process().descendants()
                    .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend"))
                    .forEach(out::add);
        }
        return out;
    }

    /**
     * The process' command line. {@code ProcessHandle.Info.commandLine()} comes back empty for an executor,
     * whose command line holds the whole classpath twice, so Linux' {@code /proc/<pid>/cmdline} is read.
     */
    private static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                    java.nio.charset.StandardCharsets.ISO_8859_1).replace('\0', ' ');
        } catch (java.io.IOException e) {
            return p.info().commandLine().orElse("");
        }
    }
}
