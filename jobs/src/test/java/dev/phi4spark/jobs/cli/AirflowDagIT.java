package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.storage.S3Server;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DAG's jobs, run as its spark-submit command lines say, against the packaged application jar on a
 * local master, with the warehouse on a local S3 server. spark-submit itself is not installed here, so this
 * test does what it does in client mode: the properties file and {@code --name} become {@code spark.*}
 * system properties of the driver, {@code --files} becomes {@code spark.files}, and the classpath is the
 * application jar beside Spark's and Delta's jars (the {@code --packages}) and hadoop-aws for S3A.
 */
class AirflowDagIT {

    private static final Path TARGET = Path.of("target");

    @TempDir
    Path tmp;

    @Test
    void theRenderedJobsRunFromTheJarWithTheWarehouseOnS3() throws Exception {
        try (S3Server s3 = S3Server.start("daily")) {
            Path conf = Files.createDirectories(tmp.resolve("conf"));
            Path config = conf.resolve("daily.yaml");
            Files.writeString(config, "warehouse: " + s3.uri("wh") + "\n"
                    + "model: {tiny_path: " + tmp.resolve("tiny") + ", device: cpu}\n"
                    + "sampling: {max_new_tokens: 4}\n"
                    + "generate:\n  recipes: [{recipe: textbook_section, count: 3}]\n"
                    + "filter:\n  steps: [{name: exact_dedup}, {name: token_length, min_tokens: 2}]\n"
                    + "score: {judge: false}\n"
                    + "spark:\n  conf: {spark.ui.enabled: false, spark.sql.shuffle.partitions: 2}\n"
                    + "progress_seconds: 0\n");
            // As a cluster's spark-defaults would: the object store's endpoint and credentials.
            Path properties = conf.resolve("spark-test.conf");
            StringBuilder props = new StringBuilder("spark.master local[2]\n");
            s3.hadoopSettings().forEach((k, v) -> props.append("spark.hadoop.").append(k).append(' ').append(v).append('\n'));
            Files.writeString(properties, props.toString());

            Path work = Files.createDirectories(tmp.resolve("work"));
            for (String task : List.of("generate", "filter", "score")) {
                List<String> command = AirflowDagTest.submitCommand(AirflowDagTest.DAG, tmp, task, "2025-03-04",
                        "daily.yaml", config.toString(), "io.delta:delta-spark_2.13:4.0.1", appJar().toString());
                String out = submit(command, properties, work, s3.trustOptions());
                assertThat(out).as(task).contains("Run ").contains("on local[2]");
                if (task.equals("generate")) {
                    assertThat(out).contains("synthetic_raw               3 written        3 in table   "
                            + s3.uri("wh") + "/synthetic_raw");
                }
                if (task.equals("score")) {
                    assertThat(out).contains("corpus_scores");
                }
            }
            // The config was read from the shipped copy: the working folder has no file of that name.
            assertThat(work.resolve("daily.yaml")).doesNotExist();
        }
    }

    /** Runs a rendered spark-submit command line the way spark-submit runs it in client mode. */
    private String submit(List<String> command, Path properties, Path work, List<String> jvmOptions) throws Exception {
        assertThat(command.get(0)).isEqualTo("spark-submit");
        Map<String, String> flags = new LinkedHashMap<>();
        int i = 1;
        while (command.get(i).startsWith("--")) {
            flags.put(command.get(i), command.get(i + 1));
            i += 2;
        }
        assertThat(flags.get("--packages")).isEqualTo("io.delta:delta-spark_2.13:4.0.1");
        Path jar = Path.of(command.get(i));
        List<String> args = command.subList(i + 1, command.size());

        // The client compiler only: these jobs of three rows are mostly JVM and Spark startup, where the server
        // compiler competes with them for a 2-core machine's cores (this test 97 s instead of 130).
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp", jar + File.pathSeparator + sparkDeltaAndS3aJars()));
        java.addAll(jvmOptions);
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(properties)) {
            p.load(in);
        }
        p.forEach((k, v) -> java.add("-D" + k + "=" + v.toString().strip()));
        java.add("-Dspark.app.name=" + flags.get("--name"));
        List<String> files = new ArrayList<>();
        for (String f : flags.get("--files").split(",")) {
            files.add(Path.of(f).toUri().toString());
        }
        java.add("-Dspark.files=" + String.join(",", files));
        java.add(flags.get("--class"));
        java.addAll(args);
        Path log = Files.createTempFile(tmp, "submit", ".log");
        ProcessBuilder pb = new ProcessBuilder(java).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process process = pb.start();
        boolean done = process.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            process.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done).as("finished in time: %s", out).isTrue();
        assertThat(process.exitValue()).as("%s%n%s", args, out).isZero();
        return out;
    }

    private static Path appJar() throws IOException {
        try (var files = Files.list(TARGET)) {
            return files.filter(p -> p.getFileName().toString().matches("phi4spark-jobs-.*-all\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no application jar in " + TARGET.toAbsolutePath()))
                    .toAbsolutePath();
        }
    }

    /** Spark's and Delta's jars (provided scope), the logging/Jackson core Spark ships, and S3A with its SDK. */
    private static String sparkDeltaAndS3aJars() throws IOException {
        List<String> jars = new ArrayList<>(List.of(Files.readString(TARGET.resolve("provided-classpath.txt")).strip()
                .split(File.pathSeparator)));
        for (String jar : Files.readString(TARGET.resolve("classpath.txt")).strip().split(File.pathSeparator)) {
            if (jar.matches(".*/(com/fasterxml/jackson/core|org/slf4j|org/apache/logging/log4j)/.*") && !jars.contains(jar)) {
                jars.add(jar);
            }
        }
        for (String jar : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (jar.matches(".*/(org/apache/hadoop/hadoop-aws|software/amazon|org/apache/httpcomponents|org/reactivestreams)/.*")) {
                jars.add(jar);
            }
        }
        return String.join(File.pathSeparator, jars);
    }
}
