package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.phi4spark.jobs.config.ConfigKey;
import dev.phi4spark.jobs.config.ConfigKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: every configuration example the documentation shows is run with {@code --dry-run} through the
 * command line, from the repository root as a user runs it (relative paths such as {@code
 * conf/benchmarks/...} are relative to it): the YAML blocks of README.md and docs/*.md, every
 * {@code conf/*.yaml} file, and the {@code e.g.} values of the configuration key table.
 */
class ReadmeExamplesTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern COMMAND_IN_HEADER = Pattern.compile("bin/phi4spark (\\w+) --config conf/");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    /** Each example's name and command line, and what the child JVM answered, in the same order. */
    private static final List<String> NAMES = new ArrayList<>();
    private static final List<List<String>> COMMANDS = new ArrayList<>();
    /** Each example's own text: the YAML block, the file or the value. */
    private static final List<String> TEXTS = new ArrayList<>();

    /**
     * The message of a recipe source that is not here (an example's {@code data/questions.jsonl}) or cannot
     * be reached ({@code hdfs:///data/...} with no cluster); it comes last, after every configuration check.
     */
    private static final Pattern SOURCE_NOT_HERE = Pattern.compile("phi4spark: Cannot read the source of recipe"
            + " '[a-z_]+': (?:no such file or folder|[^\\n]+; check the path and that the file system is reachable)"
            + " \\(([^\\n]+)\\)\\R");
    private static JsonNode results;

    /** Runs every example in one JVM whose working folder is the repository root. */
    @BeforeAll
    static void runAll() throws Exception {
        yamlBlocks();
        confFiles();
        keyTableExamples();
        Path in = tmp.resolve("commands.json");
        Path out = tmp.resolve("results.json");
        JSON.writeValue(in.toFile(), COMMANDS);
        // The client compiler only: the examples are short, so the server compiler's work would be most of the CPU.
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dlog4j2.configurationFile=log4j2-test.xml",
                "-XX:TieredStopAtLevel=1", ReadmeExamplesTest.class.getName(), in.toString(), out.toString())
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile())
                .start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the examples finish").isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isZero();
        results = JSON.readTree(out.toFile());
    }

    /** The child: runs each command line through the CLI entry and writes status and output as JSON. */
    public static void main(String[] args) throws IOException {
        JsonNode commands = JSON.readTree(Path.of(args[0]).toFile());
        ArrayNode answers = JSON.createArrayNode();
        for (JsonNode command : commands) {
            List<String> argv = new ArrayList<>();
            command.forEach(a -> argv.add(a.asText()));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true),
                    argv.toArray(new String[0]));
            answers.addObject().put("status", status).put("out", out.toString()).put("err", err.toString());
        }
        JSON.writeValue(Path.of(args[1]).toFile(), answers);
    }

    private static void add(String name, String text, String... argv) {
        NAMES.add(name);
        TEXTS.add(text);
        COMMANDS.add(List.of(argv));
    }

    /** A YAML block of the documentation is a config: it must pass the pipeline's dry run. */
    private static void yamlBlocks() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        for (Path doc : docs) {
            Matcher m = YAML_BLOCK.matcher(Files.readString(doc));
            for (int i = 0; m.find(); i++) {
                Path file = tmp.resolve(doc.getFileName() + "-" + i + ".yaml");
                Files.writeString(file, m.group(1));
                add(ROOT.relativize(doc) + " yaml block " + i, m.group(1), "pipeline", "--dry-run", "--config", file.toString());
            }
        }
    }

    /**
     * Every {@code conf/*.yaml}: a config runs with the command its header names ({@code bin/phi4spark filter
     * --config conf/...}), else {@code pipeline}; the taxonomy runs as {@code generate.taxonomy}.
     */
    private static void confFiles() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(ROOT.resolve("conf"))) {
            files = list.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).extracting(f -> f.getFileName().toString())
                .contains("local.yaml", "cluster-gpu.yaml", "filter-decontaminate.yaml", "taxonomy.yaml");
        for (Path f : files) {
            String name = "conf/" + f.getFileName();
            if (name.equals("conf/taxonomy.yaml")) {
                add(name, Files.readString(f), "generate", "--dry-run", "--set", "generate.taxonomy=" + name);
                continue;
            }
            Matcher m = COMMAND_IN_HEADER.matcher(Files.readString(f));
            add(name, Files.readString(f), m.find() ? m.group(1) : "pipeline", "--dry-run", "--config", name);
        }
    }

    /** The {@code e.g. [...]} and {@code e.g. {...}} values of the key table, set with the key's own command. */
    private static void keyTableExamples() {
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            String value = example(key.doc());
            if (value == null) {
                continue;
            }
            String section = key.name().substring(0, key.name().indexOf('.') + 1);
            List<String> argv = new ArrayList<>(switch (section) {
                case "generate.", "filter.", "export." -> List.of(section.substring(0, section.length() - 1));
                case "score." -> List.of("score", "--set", "score.input=conf/benchmarks/sample-science.jsonl");
                default -> List.of("pipeline");
            });
            argv.addAll(List.of("--dry-run", "--set", key.name() + "=" + value));
            add("key " + key.name() + " example " + value, value, argv.toArray(new String[0]));
        }
    }

    /** The bracketed value after {@code e.g. } in a key's doc, or null. */
    static String example(String doc) {
        int at = doc.indexOf("e.g. ");
        if (at < 0 || (doc.charAt(at + 5) != '[' && doc.charAt(at + 5) != '{')) {
            return null;
        }
        int depth = 0;
        for (int i = at + 5; i < doc.length(); i++) {
            char c = doc.charAt(i);
            depth += c == '[' || c == '{' ? 1 : c == ']' || c == '}' ? -1 : 0;
            if (depth == 0) {
                return doc.substring(at + 5, i + 1);
            }
        }
        return null;
    }

    @Test
    void everyExampleIsValidAsWritten() {
        assertThat(results).hasSize(COMMANDS.size());
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < COMMANDS.size(); i++) {
            JsonNode r = results.get(i);
            boolean valid = r.get("status").asInt() == 0 && r.get("out").asText().contains("the configuration is valid");
            if (!valid && !sourceNotHere(TEXTS.get(i), r)) {
                failed.add(NAMES.get(i) + ": " + String.join(" ", COMMANDS.get(i)) + "\n  -> " + r.get("err").asText());
            }
        }
        assertThat(failed).as("examples that fail as written").isEmpty();
    }

    /**
     * True when the dry run failed only because a recipe source the example itself names as its {@code path}
     * (exactly that path) is not on this machine: the source check runs after every configuration check, so
     * the rest of the example was found valid.
     */
    static boolean sourceNotHere(String text, JsonNode result) {
        Matcher m = SOURCE_NOT_HERE.matcher(result.get("err").asText());
        if (result.get("status").asInt() != 1 || !m.matches()) {
            return false;
        }
        String path = m.group(1);
        return text.contains("path: " + path + "}") || text.contains("path: " + path + ",")
                || text.contains("path: \"" + path + "\"");
    }

    @Test
    void onlyAMissingSourceTheExampleNamesIsExcused() {
        String readme = "source: {path: data/questions.jsonl}";
        JsonNode missing = JSON.createObjectNode().put("status", 1).put("err", "phi4spark: Cannot read the source of"
                + " recipe 'preference_pairs': no such file or folder (data/questions.jsonl)" + System.lineSeparator());
        assertThat(sourceNotHere(readme, missing)).isTrue();
        assertThat(sourceNotHere("source: {path: data/other.jsonl}", missing)).isFalse();
        assertThat(sourceNotHere("source: {path: data/questions.jsonl.gz}", missing)).isFalse();
        JsonNode column = JSON.createObjectNode().put("status", 1).put("err", "phi4spark: Cannot read the source of"
                + " recipe 'preference_pairs': data/questions.jsonl has no text_column 'text' (columns: q)"
                + System.lineSeparator());
        assertThat(sourceNotHere(readme, column)).isFalse();
        String cluster = "source: {path: \"hdfs:///data/seeds/questions.jsonl\", text_column: question}";
        JsonNode unreachable = JSON.createObjectNode().put("status", 1).put("err", "phi4spark: Cannot read the source"
                + " of recipe 'pivotal_tokens': Incomplete HDFS URI, no host: hdfs:///data/seeds/questions.jsonl; check"
                + " the path and that the file system is reachable (hdfs:///data/seeds/questions.jsonl)"
                + System.lineSeparator());
        assertThat(sourceNotHere(cluster, unreachable)).isTrue();
    }

    @Test
    void theExamplesCoverTheDocumentedConfigs() {
        assertThat(NAMES).anyMatch(n -> n.startsWith("README.md yaml block"))
                .contains("conf/local.yaml", "conf/cluster-gpu.yaml", "conf/filter-decontaminate.yaml")
                .anyMatch(n -> n.startsWith("key filter.steps example"))
                .anyMatch(n -> n.startsWith("key score.benchmarks example"));
        int decontaminate = NAMES.indexOf("conf/filter-decontaminate.yaml");
        assertThat(COMMANDS.get(decontaminate)).startsWith("filter");
        assertThat(results.get(decontaminate).get("out").asText()).contains("    step decontaminate");
    }
}
