package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phi4spark.udf.engine.ModelFingerprint;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.ModelStager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 7 and 8: staging copies only what a snapshot needs and follows no link out of the
 * folder or in a loop; messages name the real problem, and a bad tokenizer or longrope config is refused
 * on the driver in one line.
 */
class MisleadingMessagesTest {

    private static final String NL = System.lineSeparator();

    @TempDir
    Path tmp;

    private static Cli.Run dryRun(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "--dry-run"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(new String[0]));
    }

    @Test
    void stagingCopiesOnlyTheSnapshotAndFollowsNoLinkOutOrInALoop() throws IOException {
        // An HF cache snapshot: models--org--name/snapshots/<rev>/ links into models--org--name/blobs/.
        Path src = tmp.resolve("models--org--tiny/snapshots/rev1");
        TinyModelWriter.write(src, 1, SafetensorsDType.F32);
        Files.createSymbolicLink(src.resolve("loop"), Path.of("."));
        Files.createSymbolicLink(src.resolve("etc"), Path.of("/etc"));
        Files.writeString(src.resolve("notes.txt"), "not part of a snapshot");
        // An HF cache snapshot is links into ../../blobs: a named file behind a link is still copied.
        Path blobs = Files.createDirectories(tmp.resolve("models--org--tiny/blobs"));
        Files.move(src.resolve("config.json"), blobs.resolve("abc123"));
        Files.createSymbolicLink(src.resolve("config.json"), blobs.resolve("abc123"));

        int copies = ModelStager.copyCount();
        Path staged = ModelStager.stage(src.toUri().toString(), tmp.resolve("cache"));
        assertThat(ModelStager.copyCount()).isEqualTo(copies + 1);
        List<String> expected = ModelFingerprint.snapshotFiles(ModelFingerprint.local(src));
        assertThat(expected).contains("config.json", "model.safetensors").doesNotContain("loop", "etc", "notes.txt");
        try (Stream<Path> files = Files.walk(staged)) {
            assertThat(files.filter(p -> !p.equals(staged)).map(p -> staged.relativize(p).toString()).sorted().toList())
                    .containsExactlyElementsOf(expected.stream().sorted().toList());
        }
        assertThat(Files.isSymbolicLink(staged.resolve("config.json"))).isFalse();
        assertThat(Files.readString(staged.resolve("config.json"))).isEqualTo(Files.readString(blobs.resolve("abc123")));
    }

    @Test
    void aSectionSetToNullKeepsItsDefaultsAndAValueForASectionIsNamed() throws IOException {
        Path yaml = tmp.resolve("null-section.yaml");
        Files.writeString(yaml, "sampling:\n  # temperature: 0.2\nwarehouse: " + tmp.resolve("wh") + "\n");
        Cli.Run ok = dryRun("--config", yaml.toString());
        assertThat(ok.status()).as("%s", ok).isZero();
        assertThat(ok.out()).contains("\"sampling.temperature\" : 0.7");

        Path scalar = tmp.resolve("scalar-section.yaml");
        Files.writeString(scalar, "sampling: 5\n");
        Cli.Run bad = dryRun("--config", scalar.toString());
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).isEqualTo("phi4spark: Cannot read configuration: 'sampling' is a section of keys (e.g."
                + " sampling.temperature), not a value (got 5 in " + scalar + ")" + NL);
    }

    @Test
    void duplicateYamlKeysAreRefused() throws IOException {
        Path yaml = tmp.resolve("dup.yaml");
        Files.writeString(yaml, "sampling:\n  temperature: 0.2\n  temperature: 0.9\n");
        Cli.Run run = dryRun("--config", yaml.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).startsWith("phi4spark: Cannot read configuration: " + yaml + " sets 'temperature' twice at"
                + " line 3").endsWith("(keep one of the two)" + NL);
    }

    @Test
    void anEmptyWarehouseIsNamedNotANullPointer() {
        Cli.Run run = dryRun("--set", "warehouse=");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("phi4spark: Cannot read configuration: warehouse needs a value (got an empty"
                + " one from --set; leave the key out for its default, phi4spark-warehouse)" + NL);
    }

    @Test
    void aTruncatedTokenizerOrBadLongropeIsRefusedOnTheDriver() throws IOException {
        Path truncated = tmp.resolve("truncated");
        TinyModelWriter.write(truncated, 1, SafetensorsDType.F32);
        String tokenizer = Files.readString(truncated.resolve("tokenizer.json"));
        Files.writeString(truncated.resolve("tokenizer.json"), tokenizer.substring(0, tokenizer.length() / 2));
        Cli.Run run = dryRun("--set", "model.path=" + truncated);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("phi4spark: Cannot load tokenizer: malformed JSON ("
                + truncated.resolve("tokenizer.json") + ")" + NL);

        Path longrope = tmp.resolve("longrope");
        TinyModelWriter.write(longrope, 1, SafetensorsDType.F32);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(longrope.resolve("config.json").toFile());
        ObjectNode scaling = config.putObject("rope_scaling").put("type", "longrope");
        scaling.putArray("short_factor").add(1.0).add(1.0);
        scaling.putArray("long_factor").add(1.0).add(1.0);
        json.writeValue(longrope.resolve("config.json").toFile(), config);
        Cli.Run rope = dryRun("--set", "model.path=" + longrope);
        assertThat(rope.status()).isEqualTo(1);
        assertThat(rope.err()).isEqualTo("phi4spark: Cannot load model: rope_scaling.short_factor must list 8 factors"
                + " ([1.0,1.0])" + NL);
    }
}
