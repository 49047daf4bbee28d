package dev.phi4spark.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Temporary folders for what outlives one test class (a model or fixture shared by the test JVM, a
 * server's storage), deleted when the JVM exits, so that runs of the suite leave nothing in the
 * temporary folder. Within one class JUnit's {@code @TempDir} does the same.
 */
public final class TempFolders {

    private static final List<Path> FOLDERS = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TempFolders::deleteAll, "delete-temp-folders"));
    }

    private TempFolders() {}

    /** A new folder in {@code java.io.tmpdir}, deleted with its contents when this JVM exits. */
    public static Path create(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            FOLDERS.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteAll() {
        for (Path dir : FOLDERS) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // A server still writing as the JVM ends: what is left is left, the exit goes on.
            }
        }
    }
}
