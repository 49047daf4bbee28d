package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.udf.engine.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStagerTest {

    static Path copyModel(Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(SparkTestSession.model())) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    @Test
    void stagesAFileUriOnceAndLoadsFromTheCache(@TempDir Path tmp) throws Exception {
        Path src = copyModel(tmp.resolve("src/tiny"));
        Path cache = tmp.resolve("cache");
        String uri = src.toUri().toString();
        assertThat(uri).startsWith("file:");
        int copies = ModelStager.copyCount();

        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Path>> staged = pool.invokeAll(List.<Callable<Path>>of(
                () -> ModelStager.stage(uri, cache), () -> ModelStager.stage(uri, cache),
                () -> ModelStager.stage(uri, cache)));
        pool.shutdown();
        Path dir = staged.get(0).get();
        for (Future<Path> f : staged) {
            assertThat(f.get()).isEqualTo(dir);
        }
        assertThat(ModelStager.copyCount()).isEqualTo(copies + 1);
        assertThat(dir.getParent()).isEqualTo(cache);
        assertThat(dir.getFileName().toString()).startsWith("tiny-");
        assertThat(Files.size(dir.resolve("model.safetensors"))).isEqualTo(Files.size(src.resolve("model.safetensors")));
        FileTime mtime = Files.getLastModifiedTime(dir.resolve("model.safetensors"));
        try (Stream<Path> siblings = Files.list(cache)) {
            assertThat(siblings.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-"))).isEmpty();
        }

        assertThat(ModelStager.stage(uri, cache)).isEqualTo(dir);
        assertThat(ModelStager.copyCount()).isEqualTo(copies + 1);
        assertThat(Files.getLastModifiedTime(dir.resolve("model.safetensors"))).isEqualTo(mtime);

        assertThat(ModelStager.stage(src.toString(), cache)).isEqualTo(src); // a plain path is used in place

        // and the registry loads the staged copy (another key than the tests' plain path: one more load)
        int loads = ModelRegistry.loadCount();
        var engine = ModelRegistry.engine(Phi4Options.of(uri).withDevice("cpu").withCacheDir(cache.toString()), null);
        assertThat(engine.dir()).isEqualTo(dir);
        assertThat(ModelRegistry.loadCount()).isEqualTo(loads + 1);
        assertThat(ModelStager.copyCount()).isEqualTo(copies + 1);
    }

    @Test
    void aChangedModelIsStagedAgain(@TempDir Path tmp) throws IOException {
        Path src = copyModel(tmp.resolve("src/tiny"));
        Path cache = tmp.resolve("cache");
        Path first = ModelStager.stage(src.toUri().toString(), cache);
        String config = Files.readString(src.resolve("config.json")) + "\n";
        Files.writeString(src.resolve("config.json"), config);
        Path second = ModelStager.stage(src.toUri().toString(), cache);
        assertThat(second).isNotEqualTo(first);
        assertThat(Files.readString(second.resolve("config.json"))).isEqualTo(config);
    }

    @Test
    void refusesShardNamesThatLeaveTheFolder(@TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("evil");
        Files.createDirectories(src);
        Files.writeString(src.resolve("config.json"), "{}");
        Files.writeString(src.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"lm_head.weight\": \"../outside.safetensors\"}}");
        Path cache = tmp.resolve("cache");
        int copies = ModelStager.copyCount();
        assertThatThrownBy(() -> ModelStager.stage(src.toUri().toString(), cache))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("Cannot load model: shard name '../outside.safetensors' in "
                        + "model.safetensors.index.json points outside the model folder (");
        assertThat(ModelStager.copyCount()).isEqualTo(copies);
        assertThatThrownBy(() -> ModelStager.stage(tmp.resolve("missing").toUri().toString(), cache))
                .hasMessageStartingWith("Cannot stage model: not a folder (file:");
    }
}
