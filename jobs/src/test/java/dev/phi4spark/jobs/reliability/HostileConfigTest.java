package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 17, items 2 and 3: settings that used to be accepted and then broke or hung a run, and oversized
 * configuration files and values, are refused by {@code --dry-run} with one line naming the key and the
 * allowed range or size.
 */
class HostileConfigTest {

    @TempDir
    static Path tmp;

    private static void assertOneLine(Cli.Run run, String message) {
        assertThat(run.status()).as("%s", run).isEqualTo(1);
        assertThat(run.err()).as("%s", run).isEqualTo("phi4spark: " + message + System.lineSeparator());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "write.commit_rows=0|write.commit_rows must be an integer from 1 to 2147483647 (got 0 from --set)",
        "model.max_batch_rows=0|model.max_batch_rows must be an integer from 1 to 65536 (got 0 from --set)",
        "model.max_batch_tokens=0|model.max_batch_tokens must be an integer from 1 to 2147483647 (got 0 from --set)",
        "model.prefill_chunk=0|model.prefill_chunk must be an integer from 1 to 1048576 (got 0 from --set)",
        "write.max_retries=-1|write.max_retries must be an integer from 0 to 1000 (got -1 from --set)",
        "progress_seconds=-1|progress_seconds must be an integer from 0 to 86400 (got -1 from --set)",
        "model.min_shared_prefix=-1|model.min_shared_prefix must be an integer from 0 to 1048576 (got -1 from --set)",
        "sampling.top_p=0|sampling.top_p must be a finite number > 0 and <= 1 (got 0 from --set)",
        "sampling.temperature=NaN|sampling.temperature must be a finite number from 0 to 100 (got \"NaN\" from --set)",
        "sampling.max_new_tokens=0|sampling.max_new_tokens must be an integer from 1 to 1048576 (got 0 from --set)",
        "score.window_tokens=1|score.window_tokens must be an integer from 2 to 1048576 (got 1 from --set)",
    })
    void outOfRangeSettingsAreRefusedBeforeAnyWork(String set, String message) {
        assertOneLine(Cli.run("generate", "--dry-run", "--set", set), "Cannot read configuration: " + message);
    }

    @Test
    void outOfRangeSettingsInTheFileNameTheFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("zero.yaml"), "write:\n  commit_rows: 0\n");

        assertOneLine(Cli.run("generate", "--dry-run", "--config", file.toString()),
                "Cannot read configuration: write.commit_rows must be an integer from 1 to 2147483647 (got 0 in "
                        + file + ")");
    }

    @Test
    void aFiftyMegabyteFileIsRefusedWithoutParsingIt() throws IOException {
        Path file = tmp.resolve("huge.yaml");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write("generate:\n  system_prompt: \"".getBytes());
            f.setLength(50L << 20); // sparse: NUL bytes after the opening quote
        }

        assertOneLine(Cli.run("generate", "--dry-run", "--config", file.toString()),
                "Cannot read configuration: " + file + " is 52428800 bytes and the limit is 1048576 (a configuration"
                        + " file holds settings, not data: point a key at a data file instead)");
    }

    @Test
    void anOversizedScalarIsRefusedWithTheLimit() throws IOException {
        Path file = Files.writeString(tmp.resolve("scalar.yaml"),
                "generate:\n  system_prompt: \"" + "x".repeat(100_000) + "\"\n");

        assertOneLine(Cli.run("generate", "--dry-run", "--config", file.toString()),
                "Cannot read configuration: a value of generate.system_prompt has 100000 characters and the limit"
                        + " is 65536 (in " + file + ")");
        assertOneLine(Cli.run("generate", "--dry-run", "--set", "generate.recipes=[{recipe: \"" + "y".repeat(70_000)
                + "\"}]"), "Cannot read configuration: a value of generate.recipes has 70000 characters and the limit"
                        + " is 65536 (from --set)");
    }
}
