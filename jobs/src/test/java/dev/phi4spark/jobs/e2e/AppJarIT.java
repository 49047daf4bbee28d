package dev.phi4spark.jobs.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.TempFolders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The application jar as spark-submit runs it: the shaded jar with only Spark's and Delta's jars beside
 * it (the provided scope). Runs after {@code package}, in {@code mvn verify}.
 */
class AppJarIT {

    private static final Path TARGET = Path.of("target");

    private static Path appJar() throws IOException {
        try (var files = Files.list(TARGET)) {
            return files.filter(p -> p.getFileName().toString().matches("phi4spark-jobs-.*-all\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("no application jar in " + TARGET.toAbsolutePath()));
        }
    }

    /**
     * Spark's jars: the provided scope, plus the libraries Spark itself ships that the shade leaves out
     * for that reason (Jackson core, SLF4J, Log4j), which Maven files under compile scope here.
     */
    private static String sparkJars() throws IOException {
        List<String> jars = new ArrayList<>(List.of(Files.readString(TARGET.resolve("provided-classpath.txt")).strip()
                .split(java.io.File.pathSeparator)));
        for (String jar : Files.readString(TARGET.resolve("classpath.txt")).strip().split(java.io.File.pathSeparator)) {
            if (jar.matches(".*/(com/fasterxml/jackson/core|org/slf4j|org/apache/logging/log4j)/.*") && !jars.contains(jar)) {
                jars.add(jar);
            }
        }
        return String.join(java.io.File.pathSeparator, jars);
    }

    /** Runs {@code java -cp app.jar:spark-and-delta dev.phi4spark.jobs.Main args} and returns its output. */
    private static String run(int expectedStatus, String... args) throws Exception {
        String classpath = appJar() + java.io.File.pathSeparator + sparkJars();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, "dev.phi4spark.jobs.Main"));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(TempFolders.create("app-jar"), "run", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done).as("finished in time: %s", out).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(expectedStatus);
        return out;
    }

    @Test
    void theJarCarriesNoSparkDeltaOrJacksonCore() throws Exception {
        try (var jar = new java.util.jar.JarFile(appJar().toFile())) {
            assertThat(jar.getEntry("org/apache/spark/sql/SparkSession.class")).isNull();
            assertThat(jar.getEntry("io/delta/tables/DeltaTable.class")).isNull();
            assertThat(jar.getEntry("com/fasterxml/jackson/databind/ObjectMapper.class")).isNull();
            // Object-store clients are the cluster's: the storage tests' S3A and SDK stay in test scope.
            assertThat(jar.stream().map(java.util.jar.JarEntry::getName)
                    .filter(n -> n.startsWith("software/amazon/") || n.startsWith("org/apache/hadoop/fs/s3a/"))
                    .findAny()).isEmpty();
            assertThat(jar.getEntry("dev/phi4spark/jobs/Main.class")).isNotNull();
            assertThat(jar.getEntry("ai/djl/ndarray/NDArray.class")).isNotNull();
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("dev.phi4spark.jobs.Main");
        }
    }

    @Test
    void theMainClassStartsAndRunsAnEngineCommand() throws Exception {
        assertThat(run(0, "--help")).contains("generate").contains("pipeline");
        Path tiny = TempFolders.create("app-jar-tiny").resolve("tiny");
        assertThat(run(0, "model", "make-tiny", "--out", tiny.toString())).contains("Wrote a tiny random Phi-3 model");
        assertThat(run(0, "model", "generate", "--model", tiny.toString(), "--prompt", "hello", "--max-new-tokens", "3",
                "--json", "--device", "cpu")).contains("\"finish_reason\"");
    }

    @Test
    void aSparkJobRunsFromTheJar() throws Exception {
        Path dir = TempFolders.create("app-jar-job");
        String out = run(0, "generate", "--master", "local[2]", "--set", "warehouse=" + dir.resolve("wh"),
                "--set", "model.tiny_path=" + dir.resolve("tiny"), "--set", "sampling.max_new_tokens=4",
                "--set", "progress_seconds=0", "--set", "spark.conf={spark.ui.enabled: false}",
                "--set", "generate.recipes=[{recipe: textbook_section, count: 2}]");
        assertThat(out).contains("synthetic_raw               2 written        2 in table");
        assertThat(dir.resolve("wh").resolve("synthetic_raw").resolve("_delta_log")).isDirectory();
    }
}
