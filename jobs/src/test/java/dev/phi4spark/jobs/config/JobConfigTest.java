package dev.phi4spark.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.datagen.DatagenConfig;
import dev.phi4spark.filters.model.JudgeScoreStep;
import dev.phi4spark.filters.model.PerplexityStep;
import dev.phi4spark.filters.pipeline.PipelineStep;
import dev.phi4spark.jobs.FilterJob;
import dev.phi4spark.jobs.GenerateJob;
import dev.phi4spark.jobs.ModelLocation;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.spark.Phi4Transformer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

    @TempDir
    Path tmp;

    private Path yaml(String text) throws IOException {
        Path f = tmp.resolve("conf.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void defaultsThenFileThenSetOverride() throws IOException {
        Path f = yaml("sampling:\n  temperature: 0.2\n  max_new_tokens: 64\nwarehouse: /data/wh\n");
        JobConfig c = JobConfig.load(f, List.of("sampling.max_new_tokens=32", "model.device=cpu"));
        assertThat(c.get(ConfigKeys.SAMPLING_TEMPERATURE)).isEqualTo(0.2);
        assertThat(c.get(ConfigKeys.SAMPLING_MAX_NEW_TOKENS)).isEqualTo(32);
        assertThat(c.get(ConfigKeys.WAREHOUSE)).isEqualTo("/data/wh");
        assertThat(c.get(ConfigKeys.model(dev.phi4spark.udf.engine.ModelOptions.DEVICE))).isEqualTo("cpu");
        assertThat(c.get(ConfigKeys.SAMPLING_TOP_P)).isEqualTo(0.95);
    }

    @Test
    void theReadmeListsEveryKeyWithItsCurrentDefault() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme).as("README's key table is stale: paste `bin/phi4spark config keys` into it")
                .contains(ConfigKeys.markdownTable());
    }

    @Test
    void theModelOptionsOfARunComeFromTheModelKeysBatchingIncluded() throws IOException {
        JobConfig c = JobConfig.load(yaml("model:\n  max_batch_rows: 3\n  max_batch_tokens: 999\n  attention: plain\n"
                + "filter:\n  steps: [{name: judge_score}, {name: perplexity, max_perplexity: 50}]\n"),
                List.of("model.cache_dir=/tmp/c"));
        Phi4Options o = new ModelLocation("/m", "m", false).options(c);
        assertThat(o).isEqualTo(Phi4Options.of("/m").with(ModelOptions.MAX_BATCH_ROWS, 3)
                .with(ModelOptions.MAX_BATCH_TOKENS, 999).withAttention("plain").withCacheDir("/tmp/c"));
        // the model steps of the filter command get them (they used 16384/32 whatever the config said)
        List<PipelineStep> steps = FilterJob.pipeline(c, o).steps();
        assertThat(steps).filteredOn(JudgeScoreStep.class::isInstance).singleElement()
                .satisfies(s -> assertThat(((JudgeScoreStep) s).options().batching())
                        .isEqualTo(new Phi4Transformer.Batching(999, 3)));
        assertThat(steps).filteredOn(PerplexityStep.class::isInstance).singleElement()
                .satisfies(s -> assertThat(((PerplexityStep) s).options().batching())
                        .isEqualTo(new Phi4Transformer.Batching(999, 3)));
        assertThatThrownBy(() -> new ModelLocation("/m", "m", false).options(
                JobConfig.load(yaml("model.device: tpu\n"), List.of())))
                .hasMessage("Cannot use device: expected auto, cpu, gpu or gpu:N (tpu).");
    }

    @Test
    void theSamplingKeysAreTheSamplingTypesKeysAndReachThePlanAsTyped() throws IOException {
        assertThat(ConfigKeys.SAMPLING_KEYS).extracting(k -> k.name().substring("sampling.".length()))
                .containsExactlyInAnyOrderElementsOf(SamplingParams.KEYS);
        DatagenConfig defaults = GenerateJob.datagenConfig(JobConfig.load(yaml("warehouse: w\n"), List.of()));
        assertThat(defaults.samplingFor(defaults.recipes().get(0))).isEqualTo(SamplingParams.DEFAULTS.withSeed(7));
        DatagenConfig set = GenerateJob.datagenConfig(JobConfig.load(
                yaml("sampling:\n  temperature: 0\n  stop: [END]\n  top_k: 5\n"), List.of("sampling.max_new_tokens=64")));
        assertThat(set.samplingFor(set.recipes().get(0))).isEqualTo(new SamplingParams(0, 5, 0.95, 1.0, 64, 7,
                List.of("END")));
        assertThatThrownBy(() -> GenerateJob.datagenConfig(JobConfig.load(yaml("sampling:\n  stop: [1]\n"), List.of())))
                .hasMessage("Cannot use sampling.stop: every item must be a string (1)");
    }

    @Test
    void everyModelOptionIsAModelKeyWithTheTablesDefaultAndRange() {
        for (ModelOption<?> opt : ModelOptions.ALL) {
            ConfigKey<?> key = ConfigKeys.byName("model." + opt.name());
            assertThat(key).as(opt.name()).isSameAs(ConfigKeys.model(opt));
            assertThat(key.doc()).isEqualTo(opt.doc());
            Object d = opt.defaultValue();
            assertThat(key.defaultValue()).as(opt.name()).isEqualTo("".equals(d) ? null : d);
            if (opt.type() == Integer.class) {
                assertThat(key.typeAndRange()).isEqualTo("integer [" + opt.min() + ", " + opt.max() + "]");
            }
        }
    }

    @Test
    void everyKeyedSamplingFieldIsASamplingKeyWithTheTablesDefaultDocAndRange() {
        assertThat(ConfigKeys.SAMPLING_KEYS).hasSize(SamplingParams.KEYS.size());
        for (dev.phi4spark.udf.engine.SamplingField<?> f : SamplingParams.FIELDS) {
            ConfigKey<?> key = ConfigKeys.byName("sampling." + f.name());
            if (!f.keyed()) {
                assertThat(key).as(f.name()).isNull();
                continue;
            }
            assertThat(key).as(f.name()).isSameAs(ConfigKeys.sampling(f));
            assertThat(key.doc()).isEqualTo(f.doc());
            assertThat(key.min()).isEqualTo(f.min());
            assertThat(key.minOpen()).isEqualTo(f.minOpen());
            assertThat(key.max()).isEqualTo(f.max());
            Object d = key.defaultValue();
            assertThat(d instanceof JsonNode list ? new ObjectMapper().convertValue(list, List.class) : d)
                    .as(f.name()).isEqualTo(f.defaultValue()).isEqualTo(f.get(SamplingParams.DEFAULTS));
        }
        assertThat(ConfigKeys.SAMPLING_TOP_P.typeAndRange()).isEqualTo("number (0, 1]");
        assertThat(ConfigKeys.SAMPLING_MAX_NEW_TOKENS.typeAndRange()).isEqualTo("integer [1, 1048576]");
    }

    @Test
    void dottedKeysAtTopLevelWorkLikeNesting() throws IOException {
        JobConfig c = JobConfig.load(yaml("model.device: gpu:1\n"), List.of());
        assertThat(c.get(ConfigKeys.model(dev.phi4spark.udf.engine.ModelOptions.DEVICE))).isEqualTo("gpu:1");
    }

    @Test
    void anUnknownKeyNamesTheNearestKnownOne() throws IOException {
        Path f = yaml("sampling:\n  temprature: 0.2\n");
        assertThatThrownBy(() -> JobConfig.load(f, List.of())).isInstanceOf(ConfigException.class)
                .hasMessage("Cannot read configuration: unknown key 'sampling.temprature' in " + f
                        + " (did you mean 'sampling.temperature'?)");
        assertThatThrownBy(() -> JobConfig.load(null, List.of("modle.path=/x")))
                .hasMessage("Cannot read configuration: unknown key 'modle.path' from --set (did you mean 'model.path'?)");
        assertThatThrownBy(() -> JobConfig.load(null, List.of("zzz=1")))
                .hasMessage("Cannot read configuration: unknown key 'zzz' from --set; see 'phi4spark config keys'");
    }

    @Test
    void aWrongTypeNamesTheKeyTheTypeAndTheValue() throws IOException {
        Path f = yaml("sampling:\n  max_new_tokens: lots\n");
        assertThatThrownBy(() -> JobConfig.load(f, List.of()))
                .hasMessage("Cannot read configuration: sampling.max_new_tokens must be an integer (got \"lots\" in " + f + ")");
        assertThatThrownBy(() -> JobConfig.load(null, List.of("score.judge=maybe")))
                .hasMessage("Cannot read configuration: score.judge must be true or false (got \"maybe\" from --set)");
    }

    @Test
    void malformedYamlAndMissingFilesAreNamed() throws IOException {
        Path f = yaml("sampling:\n  temperature: [0.2\n");
        assertThatThrownBy(() -> JobConfig.load(f, List.of())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Cannot read configuration: " + f + " is not valid YAML at line");
        Path missing = tmp.resolve("nope.yaml");
        assertThatThrownBy(() -> JobConfig.load(missing, List.of()))
                .hasMessage("Cannot read configuration: " + missing + " does not exist (give a path, a Hadoop URI,"
                        + " or the name of a file shipped with spark-submit --files)");
        assertThatThrownBy(() -> JobConfig.load(null, List.of("novalue")))
                .hasMessage("Cannot read --set novalue: expected key=value");
    }

    @Test
    void structuredValuesAndMapEntriesCanBeSet() {
        JobConfig c = JobConfig.load(null, List.of("generate.recipes=[{recipe: textbook_section, count: 3}]",
                "spark.conf.spark.executor.memory=8g"));
        assertThat(c.get(ConfigKeys.GENERATE_RECIPES).get(0).get("count").asInt()).isEqualTo(3);
        assertThat(c.get(ConfigKeys.SPARK_CONF).get("spark.executor.memory").asText()).isEqualTo("8g");
    }

    @Test
    void secretsAreMaskedInTheResolvedConfig() {
        JobConfig c = JobConfig.load(null, List.of("spark.conf.spark.hadoop.fs.s3a.secret.key=AKIAVERYSECRET",
                "spark.conf.spark.hadoop.fs.s3a.access.key=AKIAID"));
        Map<String, Object> r = c.redacted();
        assertThat(c.toJson()).doesNotContain("AKIAVERYSECRET").doesNotContain("AKIAID").contains("*****");
        assertThat(r.get("warehouse")).isEqualTo("phi4spark-warehouse");
    }

    @Test
    void theShippedConfigFilesAreValid() {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        for (String f : List.of("conf/local.yaml", "conf/cluster-gpu.yaml")) {
            JobConfig c = JobConfig.load(root.resolve(f), List.of());
            assertThat(c.get(ConfigKeys.WAREHOUSE)).as(f).isNotBlank();
            dev.phi4spark.jobs.GenerateJob.validate(c);
            assertThat(dev.phi4spark.jobs.FilterJob.pipeline(c, dev.phi4spark.udf.spark.Phi4Options.of("m")).steps())
                    .as(f).isNotEmpty();
        }
    }

    @Test
    void aConfigShippedWithSparkSubmitFilesIsFoundByItsName() throws IOException {
        Path shipped = Files.createDirectories(tmp.resolve("staging")).resolve("daily.yaml");
        Files.writeString(shipped, "warehouse: hdfs:///wh/daily\n");
        String before = System.getProperty("spark.files");
        // What spark-submit sets in client mode for --files conf/other.sh,conf/daily.yaml
        System.setProperty("spark.files", tmp.resolve("other.sh").toUri() + "," + shipped.toUri());
        try {
            JobConfig c = JobConfig.loadFrom("daily.yaml", List.of());
            assertThat(c.get(ConfigKeys.WAREHOUSE)).isEqualTo("hdfs:///wh/daily");
            assertThat(c.file()).isEqualTo(shipped.toUri().toString());
            assertThatThrownBy(() -> JobConfig.loadFrom("missing.yaml", List.of()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("Cannot read configuration: missing.yaml does not exist (give a path, a Hadoop URI,"
                            + " or the name of a file shipped with spark-submit --files)");
        } finally {
            if (before == null) {
                System.clearProperty("spark.files");
            } else {
                System.setProperty("spark.files", before);
            }
        }
    }

    @Test
    void theShippedDecontaminationExampleNamesBenchmarksThatExist() {
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        JobConfig c = JobConfig.load(root.resolve("conf/filter-decontaminate.yaml"), List.of());
        List<java.util.Map<String, Object>> steps = dev.phi4spark.jobs.FilterJob.steps(c);
        assertThat(steps).extracting(s -> s.get("name")).containsExactly("pii", "exact_dedup", "near_dedup",
                "gopher_quality", "gopher_repetition", "language", "token_length", "decontaminate");
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> benchmarks =
                (List<java.util.Map<String, Object>>) steps.get(7).get("benchmarks");
        for (java.util.Map<String, Object> b : benchmarks) {
            String path = String.valueOf(b.get("path")).replaceFirst("^file:", "");
            assertThat(root.resolve(path)).as(path).isRegularFile();
        }
    }

    @Test
    void aConfigFileUriIsReadThroughHadoop() throws IOException {
        Path f = yaml("warehouse: s3a://bucket/wh\n");
        JobConfig c = JobConfig.loadFrom(f.toUri().toString(), List.of());
        assertThat(c.get(ConfigKeys.WAREHOUSE)).isEqualTo("s3a://bucket/wh");
    }

    @Test
    void theDefaultFilterStepsAreACurationPipeline() {
        JobConfig c = JobConfig.load(null, List.of());
        assertThat(dev.phi4spark.jobs.FilterJob.steps(c)).extracting(s -> s.get("name")).containsExactly("pii",
                "exact_dedup", "near_dedup", "gopher_quality", "gopher_repetition", "language", "token_length");
    }
}
