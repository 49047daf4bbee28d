package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator on two executor JVMs: same output as local mode, one model load per executor. */
class LocalClusterTest {

    private static final long TIMEOUT_SECONDS = 180;

    @Test
    void separateExecutorsGiveTheLocalOutputAndLoadTheModelOnceEach(@TempDir Path tmp) throws Exception {
        Path model = SparkTestSession.model();
        Path sparkHome = Files.createDirectories(tmp.resolve("spark-home/jars")).getParent();
        Path stdout = tmp.resolve("child.out");
        Path stderr = tmp.resolve("child.err");
        ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dlog4j2.configurationFile=log4j2-test.xml", "-XX:TieredStopAtLevel=1", LocalClusterMain.class.getName(),
                model.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process child = pb.start();
        boolean finished;
        try {
            finished = child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } finally {
            if (child.isAlive()) {
                child.descendants().forEach(ProcessHandle::destroyForcibly);
                child.destroyForcibly();
            }
        }
        String out = Files.readString(stdout);
        assertThat(finished).as("child finished in time; stderr tail:\n%s", tail(stderr)).isTrue();
        assertThat(child.exitValue()).as("exit code; stderr tail:\n%s", tail(stderr)).isZero();
        assertThat(out).contains("DONE");

        Map<Integer, String> clustered = new TreeMap<>();
        Map<Long, Integer> mostLoadsByPid = new HashMap<>();
        for (String line : out.lines().filter(l -> l.startsWith("ROW ")).toList()) {
            String[] f = line.split(" ", -1);
            clustered.put(Integer.parseInt(f[1]),
                    new String(Base64.getDecoder().decode(f[4]), StandardCharsets.UTF_8));
            mostLoadsByPid.merge(Long.parseLong(f[2]), Integer.parseInt(f[3]), Math::max);
        }
        List<Row> local = Phi4GeneratorTest.sorted(Phi4GeneratorTest.generator().transform(Phi4GeneratorTest.prompts(4)));
        Map<Integer, String> expected = new TreeMap<>();
        local.forEach(r -> expected.put(r.getInt(0), r.getString(2)));

        assertThat(clustered).isEqualTo(expected);
        assertThat(mostLoadsByPid.keySet()).hasSize(2).doesNotContain(ProcessHandle.current().pid());
        assertThat(mostLoadsByPid.values()).containsOnly(1);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String tail(Path file) throws IOException {
        if (!file.toFile().exists()) {
            return "";
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        return String.join(File.separator.equals("/") ? "\n" : "\r\n",
                lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
