package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 6: storage faults during a Delta commit end in one line that says what happened and that
 * committed work is intact; the table still reads with every row committed before the fault, and a rerun
 * with {@code --resume} completes. Two faults: a table folder the test makes unchangeable (the immutable
 * attribute when running as root, which ignores permission bits; write permission otherwise), and a full
 * disk (a 24 MB tmpfs the test mounts as the table's folder, then fills).
 */
class DiskFaultTest {

    @TempDir
    static Path tmp;

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private static int sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    private static void lock(Path dir, boolean locked) throws Exception {
        if (ROOT) {
            assertThat(sh("chattr", locked ? "+i" : "-i", dir.toString())).as("chattr on " + dir).isZero();
        } else {
            assertThat(dir.toFile().setWritable(!locked)).isTrue();
        }
    }

    private static List<String> ids(Path warehouse) {
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        return tables.read(TableStore.SYNTHETIC_RAW).select("id").as(Encoders.STRING()).collectAsList();
    }

    /** The runs' statuses, oldest first. */
    private static List<String> statuses(Path warehouse) {
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        return tables.read(TableStore.RUNS).orderBy("started_at").select("status").as(Encoders.STRING()).collectAsList();
    }

    /** The names of this JVM's live run-heartbeat threads, once those of ended runs have had 5 s to end. */
    private static List<String> heartbeats() throws InterruptedException {
        List<String> live = List.of();
        for (int i = 0; i < 50; i++) {
            live = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .filter(n -> n.startsWith("phi4spark-heartbeat-")).toList();
            if (live.isEmpty()) {
                break;
            }
            Thread.sleep(100);
        }
        return live;
    }

    private static Cli.Run generate(Path warehouse, int rows, String... more) {
        String[] args = new String[more.length + 4];
        args[0] = "--set";
        args[1] = Cli.recipes(rows);
        args[2] = "--set";
        args[3] = "write.commit_rows=2";
        System.arraycopy(more, 0, args, 4, more.length);
        return Cli.job("generate", warehouse, args);
    }

    /** Runs 2 rows, faults, runs 4 more, clears the fault, resumes; asserts the message and the table. */
    private static void faultMidRun(Path warehouse, String message, FaultSwitch fault) throws Exception {
        assertThat(generate(warehouse, 2).status()).isZero();
        List<String> before = ids(warehouse);
        assertThat(before).hasSize(2);

        fault.set(true);
        Cli.Run failed;
        try {
            failed = generate(warehouse, 6);
        } finally {
            fault.set(false);
        }

        assertThat(failed.status()).as("%s", failed).isEqualTo(1);
        assertThat(failed.err()).as("%s", failed).isEqualTo("phi4spark: " + message + System.lineSeparator());
        assertThat(ids(warehouse)).containsExactlyInAnyOrderElementsOf(before);
        assertThat(statuses(warehouse)).as("the runs table after the fault").containsExactly("succeeded", "failed");
        assertThat(heartbeats()).as("heartbeat threads after the failed run").isEmpty();
        Cli.Run resumed = generate(warehouse, 6, "--resume");
        assertThat(resumed.status()).as("%s", resumed).isZero();
        List<String> after = ids(warehouse);
        assertThat(after).hasSize(6).doesNotHaveDuplicates().containsAll(before);
    }

    private interface FaultSwitch {
        void set(boolean on) throws Exception;
    }

    @Test
    void aTableFolderThatCannotBeChangedMidRun() throws Exception {
        Path warehouse = tmp.resolve("wh-locked");
        Path log = warehouse.resolve(TableStore.SYNTHETIC_RAW).resolve("_delta_log");
        String fault = ROOT ? "a file or folder cannot be changed (Operation not permitted); rows committed before"
                + " the fault are intact: fix its permissions or attributes and rerun with --resume to finish"
                : "a file or folder cannot be accessed (Permission denied); rows committed before the fault are"
                + " intact: fix its permissions and rerun with --resume to finish";

        faultMidRun(warehouse, "Cannot read or write files: " + fault, on -> lock(log, on));
    }

    @Test
    void aFullDisk() throws Exception {
        // the table's own folder is the small disk, so the runs table (beside it) still records the run
        Path warehouse = tmp.resolve("wh-full");
        Path mount = Files.createDirectories(warehouse.resolve(TableStore.SYNTHETIC_RAW));
        assertThat(sh("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.toString()))
                .as("mounting a tmpfs (needs root): the full-disk probe cannot run without it").isZero();
        Path filler = mount.resolve("filler.bin");
        try {
            faultMidRun(warehouse, "Cannot read or write files: the disk is full (No space left on device);"
                    + " rows committed before the fault are intact: free space and rerun with --resume to finish",
                    on -> {
                        if (on) {
                            fill(filler);
                        } else {
                            Files.deleteIfExists(filler);
                        }
                    });
        } finally {
            sh("umount", "-l", mount.toString());
        }
    }

    /** Writes until the file system refuses: nothing is left for the next commit. */
    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left on device");
        }
    }
}
