package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 8: snapshot files that are links to files outside the model folder are refused before
 * they are read (and their content never reaches a message); links inside the folder and the links of a
 * Hugging Face cache snapshot still load.
 */
class SnapshotLinkTest {

    private static final String SECRET = "root:$6$secret-hash:19000:0:99999:7:::";

    @TempDir
    Path tmp;

    /** A copy of the tiny model (real files, no links). */
    private Path copyOfTiny(Path dir) throws IOException {
        Files.createDirectories(dir);
        TinyModelWriter.write(dir, 3, SafetensorsDType.F32);
        return dir;
    }

    private Path outsideFile() throws IOException {
        return Files.writeString(tmp.resolve("shadow"), SECRET);
    }

    @Test
    void aConfigLinkedOutsideTheFolderIsRefusedWithoutReadingIt() throws IOException {
        Path model = copyOfTiny(tmp.resolve("model"));
        Files.delete(model.resolve("config.json"));
        Files.createSymbolicLink(model.resolve("config.json"), outsideFile());

        String expected = "Cannot load model: config.json in " + model + " is a link to a file outside the model"
                + " folder (copy the file into the folder instead of linking it)";
        assertThatThrownBy(() -> Phi4Engine.check(model)).isInstanceOf(ModelLoadException.class)
                .hasMessage(expected);
        assertThatThrownBy(() -> Phi4Engine.identity(model)).hasMessage(expected);
    }

    @Test
    void tokenizerAndWeightLinksOutsideAreRefusedToo() throws IOException {
        for (String name : new String[] {"tokenizer.json", "generation_config.json", "model.safetensors"}) {
            Path model = copyOfTiny(tmp.resolve("m-" + name));
            Path outside = tmp.resolve("outside-" + name);
            Files.move(model.resolve(name), outside);
            Files.createSymbolicLink(model.resolve(name), outside);

            assertThatThrownBy(() -> Phi4Engine.check(model)).as(name).isInstanceOf(ModelLoadException.class)
                    .hasMessage("Cannot load model: " + name + " in " + model + " is a link to a file outside the"
                            + " model folder (copy the file into the folder instead of linking it)");
        }
    }

    @Test
    void linksInsideTheFolderAndHuggingFaceCacheLinksLoad() throws IOException {
        Path model = copyOfTiny(tmp.resolve("inside"));
        Files.move(model.resolve("config.json"), model.resolve("config.real.json"));
        Files.createSymbolicLink(model.resolve("config.json"), Path.of("config.real.json"));
        Phi4Engine.check(model);

        // models--org--tiny/snapshots/rev/<file> -> ../../blobs/<file>, as huggingface_hub lays them out
        Path repo = tmp.resolve("models--org--tiny");
        Path blobs = copyOfTiny(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("rev"));
        try (Stream<Path> files = Files.list(blobs)) {
            for (Path f : files.toList()) {
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs").resolve(f.getFileName()));
            }
        }
        Phi4Engine.check(snapshot);
        assertThat(Phi4Engine.identity(snapshot)).startsWith("rev");
    }
}
