package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading files by plain path and by {@code file:} URI, and the one sentence for a relative URI. */
class HadoopFilesTest {

    private static final String RELATIVE = "Cannot read file:conf.yaml: a file: URI must be absolute"
            + " (file:conf.yaml); use a plain path or file:/abs/path.";

    @Test
    void relativeFileUriIsRefusedWithOneSentenceByEveryReader() {
        // Hadoop's local file system throws a NullPointerException for these; every entry point says why.
        assertThatThrownBy(() -> HadoopFiles.isFile("file:conf.yaml"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(RELATIVE);
        assertThatThrownBy(() -> HadoopFiles.open("file:conf.yaml")).hasMessage(RELATIVE);
        assertThatThrownBy(() -> HadoopFiles.length("file:conf.yaml")).hasMessage(RELATIVE);
        assertThatThrownBy(() -> HadoopFiles.readString("file:conf.yaml")).hasMessage(RELATIVE);
        assertThatThrownBy(() -> HadoopFiles.writeString("file:conf.yaml", "x")).hasMessage(RELATIVE);
        assertThatThrownBy(() -> HadoopFiles.localFolder("file:conf.yaml", ".txt")).hasMessage(RELATIVE);
    }

    @Test
    void absoluteFileUriAndPlainPathReadTheSameFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("conf.yaml");
        Files.writeString(file, "a: 1\n", StandardCharsets.UTF_8);
        String uri = "file:" + file.toAbsolutePath();
        assertThat(HadoopFiles.isFile(uri)).isTrue();
        assertThat(HadoopFiles.isFile(file.toString())).isTrue();
        assertThat(HadoopFiles.isFile("file:" + dir.resolve("missing.yaml"))).isFalse();
        assertThat(HadoopFiles.length(uri)).isEqualTo(5);
        assertThat(HadoopFiles.readString(uri)).isEqualTo("a: 1\n");
        assertThat(HadoopFiles.readString(file.toString())).isEqualTo("a: 1\n");
        assertThat(HadoopFiles.readString(file.toUri().toString())).isEqualTo("a: 1\n");
    }
}
