package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.jobs.PipelineFixture;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * airflow/phi4spark_dag.py without Airflow (not installed here): it compiles, its spark-submit command
 * lines carry what a cluster needs, each task's rendered arguments pass {@code --dry-run}, and a missing
 * Spark provider fails the import. {@code AirflowDagIT} runs the rendered jobs against the packaged jar.
 */
class AirflowDagTest {

    static final Path DAG = Path.of("..", "airflow", "phi4spark_dag.py").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @BeforeEach
    void python() {
        assertThat(python("-c", "pass").status).as("python3 runs (.ci/install-test-deps.sh installs it)").isZero();
    }

    @Test
    void theDagCompiles() {
        Result r = python("-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
                DAG.toString(), tmp.resolve("dag.pyc").toString());
        assertThat(r.status).as(r.out).isZero();
    }

    @Test
    void everyTaskRunsGenerateFilterScoreWithResumeAndRetries() throws Exception {
        JsonNode dag = taskArgs();
        assertThat(dag.get("order").toString()).isEqualTo("[\"generate\",\"filter\",\"score\"]");
        assertThat(dag.get("retries").asInt()).isEqualTo(2);
        for (JsonNode args : dag.get("args")) {
            assertThat(args.toString()).contains("\"--resume\"").contains("{{ params.config }}");
        }
        assertThat(dag.get("args").get("generate").toString()).contains("\"--run-date\",\"{{ ds }}\"");
        // The score task reads the curated table by name, wherever the config's warehouse puts it.
        assertThat(dag.get("args").get("score").toString()).contains("score.input=synthetic_curated");
    }

    @Test
    void theSparkSubmitCommandCarriesDeltaThePropertiesTheShippedConfigAndTheRunKey() throws Exception {
        List<String> command = submitCommand("generate", "2025-01-02", "cluster-gpu.yaml");
        assertThat(command.subList(0, 5)).containsExactly("spark-submit", "--class", "dev.phi4spark.jobs.Main",
                "--name", "phi4spark-generate-2025-01-02");
        assertThat(String.join(" ", command))
                .contains("--packages io.delta:delta-spark_2.13:4.0.1")
                .contains("--properties-file /opt/phi4spark/conf/spark-gpu.conf")
                .contains("--files /opt/phi4spark/conf/cluster-gpu.yaml,/opt/phi4spark/conf/getGpusResources.sh")
                .endsWith("phi4spark-jobs-0.1.0-SNAPSHOT-all.jar generate --config cluster-gpu.yaml --resume"
                        + " --run-date 2025-01-02");
    }

    @Test
    void everyTasksRenderedArgumentsPassDryRun() throws Exception {
        for (String task : List.of("generate", "filter", "score")) {
            List<String> command = submitCommand(task, "2025-01-02", PipelineFixture.LOCAL_CONFIG.toString());
            List<String> args = new ArrayList<>(command.subList(command.indexOf(task), command.size()));
            args.addAll(List.of("--set", "warehouse=" + tmp.resolve("wh"), "--dry-run"));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int rc = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
            assertThat(rc).as("%s: %s", args, err).isZero();
            assertThat(out.toString()).contains("Dry run of '" + task + "': the configuration is valid.");
        }
        assertThat(tmp.resolve("wh")).doesNotExist();
    }

    @Test
    void aMissingSparkProviderFailsTheImportWithTheFix() throws Exception {
        // Airflow is not installed here: a stand-in airflow package (DAG, no providers) is what a
        // scheduler without apache-airflow-providers-apache-spark looks like to the DAG file.
        Path fake = Files.createDirectories(tmp.resolve("site").resolve("airflow"));
        Files.writeString(fake.resolve("__init__.py"), "class DAG:\n    pass\n");
        Result r = python(Map.of("PYTHONPATH", tmp.resolve("site").toString()), "-c",
                "import runpy, sys; runpy.run_path(sys.argv[1])", DAG.toString());
        assertThat(r.status).isNotZero();
        assertThat(r.out).contains("ImportError: Cannot load the phi4spark DAG: the Apache Spark provider is not installed"
                + " (pip install apache-airflow-providers-apache-spark)");
    }

    /** The spark-submit command line the DAG renders for {@code task} on {@code ds}. */
    static List<String> submitCommand(Path dag, Path work, String task, String ds, String config, String files,
            String packages, String application) throws IOException {
        String render = "lambda s: s.replace('{{ ds }}', sys.argv[3]).replace('{{ params.config }}', sys.argv[4])"
                + ".replace('{{ params.files }}', sys.argv[5]).replace('{{ params.packages }}', sys.argv[6])"
                + ".replace('{{ params.application }}', sys.argv[7])";
        Result r = runPython(work, Map.of(), "-c", "import json, runpy, sys; m = runpy.run_path(sys.argv[1]);"
                + " p = m['DEFAULT_PARAMS']; print(json.dumps(m['spark_submit_command'](sys.argv[2], " + render + ")))",
                dag.toString(), task, ds, config, files, packages, application);
        assertThat(r.status).as(r.out).isZero();
        List<String> out = new ArrayList<>();
        new ObjectMapper().readTree(r.out).forEach(n -> out.add(n.asText()));
        return out;
    }

    private List<String> submitCommand(String task, String ds, String config) throws IOException {
        return submitCommand(DAG, tmp, task, ds, config, "/opt/phi4spark/conf/cluster-gpu.yaml,"
                + "/opt/phi4spark/conf/getGpusResources.sh", "io.delta:delta-spark_2.13:4.0.1",
                "/opt/phi4spark/jobs/target/phi4spark-jobs-0.1.0-SNAPSHOT-all.jar");
    }

    private JsonNode taskArgs() throws IOException {
        Result r = python("-c", "import json, runpy, sys; m = runpy.run_path(sys.argv[1]); print(json.dumps({'order':"
                + " m['TASK_ORDER'], 'args': m['TASK_ARGS'], 'retries': m['DEFAULT_ARGS']['retries']}))", DAG.toString());
        assertThat(r.status).as(r.out).isZero();
        return new ObjectMapper().readTree(r.out);
    }

    record Result(int status, String out) {}

    private Result python(String... args) {
        return runPython(tmp, Map.of(), args);
    }

    private Result python(Map<String, String> env, String... args) {
        return runPython(tmp, env, args);
    }

    static Result runPython(Path work, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of("python3", "-B"));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(work, "python", ".out");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(new File("/dev/null")).directory(work.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "python3 did not finish in 60 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "Cannot run python3: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
