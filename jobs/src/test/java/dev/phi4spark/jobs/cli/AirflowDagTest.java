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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * airflow/phi4spark_dag.py without Airflow: it compiles, and each task's spark-submit arguments, with
 * their Jinja rendered, are a command line that passes {@code --dry-run}.
 */
class AirflowDagTest {

    static final Path DAG = Path.of("..", "airflow", "phi4spark_dag.py").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @BeforeEach
    void python() {
        Assumptions.assumeTrue(python("-c", "pass").status == 0, "python3 is not installed: cannot check the DAG");
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
        assertThat(dag.get("args").get("generate").toString()).contains("generate.seed={{ ds_nodash }}");
    }

    @Test
    void everyTasksRenderedArgumentsPassDryRun() throws Exception {
        Map<String, String> jinja = Map.of("{{ params.config }}", PipelineFixture.LOCAL_CONFIG.toString(),
                "{{ params.warehouse }}", tmp.resolve("wh").toString(), "{{ ds }}", "2025-01-02",
                "{{ ds_nodash }}", "20250102");
        JsonNode dag = taskArgs();
        for (JsonNode name : dag.get("order")) {
            List<String> args = new ArrayList<>();
            for (JsonNode arg : dag.get("args").get(name.asText())) {
                String rendered = arg.asText();
                for (Map.Entry<String, String> e : jinja.entrySet()) {
                    rendered = rendered.replace(e.getKey(), e.getValue());
                }
                assertThat(rendered).as("every placeholder has a sample value").doesNotContain("{{");
                args.add(rendered);
            }
            args.add("--dry-run");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int rc = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
            assertThat(rc).as("%s: %s", args, err).isZero();
            assertThat(out.toString()).contains("Dry run of '" + name.asText() + "': the configuration is valid.");
        }
        assertThat(tmp.resolve("wh")).doesNotExist();
    }

    private JsonNode taskArgs() throws IOException {
        Result r = python("-c", "import json, runpy, sys; m = runpy.run_path(sys.argv[1]); print(json.dumps({'order':"
                + " m['TASK_ORDER'], 'args': m['TASK_ARGS'], 'retries': m['DEFAULT_ARGS']['retries']}))", DAG.toString());
        assertThat(r.status).as(r.out).isZero();
        return new ObjectMapper().readTree(r.out);
    }

    private record Result(int status, String out) {}

    private Result python(String... args) {
        List<String> command = new ArrayList<>(List.of("python3", "-B"));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(tmp, "python", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(new File("/dev/null")).start();
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
