package dev.phi4spark.jobs.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The resolved configuration of a run: built-in defaults ({@link ConfigKeys}), overridden by a YAML file,
 * overridden by {@code --set key=value}. Every value is checked when the config is built, so a mistake
 * stops the run before Spark starts, with one sentence naming the key, the file and the fix.
 */
public final class JobConfig {

    /** Duplicate keys are refused: silently keeping the last of two values hides a mistake. */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Largest configuration file read: configs are small, and SnakeYAML is slow on huge ones. */
    public static final long MAX_FILE_BYTES = 1 << 20;
    /** Longest string value (a system prompt, a rubric, a path), in characters. */
    public static final int MAX_SCALAR_CHARS = 64 * 1024;

    private final Map<String, Object> values;
    private final String file;

    private JobConfig(Map<String, Object> values, String file) {
        this.values = values;
        this.file = file;
    }

    /** Defaults only. */
    public static JobConfig defaults() {
        return load(null, List.of());
    }

    /** Defaults, then the YAML file (may be null), then each {@code key=value} of {@code sets}. */
    public static JobConfig load(Path yamlFile, List<String> sets) {
        return loadFrom(yamlFile == null ? null : yamlFile.toString(), sets);
    }

    /**
     * Defaults, then the YAML file at {@code location} (a path, a Hadoop URI such as {@code s3a://b/run.yaml},
     * or the name of a file shipped with {@code spark-submit --files}; may be null), then each
     * {@code key=value} of {@code sets}.
     */
    public static JobConfig loadFrom(String location, List<String> sets) {
        Map<String, Object> values = new LinkedHashMap<>();
        ConfigKeys.ALL.forEach(k -> values.put(k.name(), k.defaultValue()));
        String file = location == null ? null : resolveFile(location);
        if (file != null) {
            JsonNode tree = readYaml(file);
            if (tree != null && !tree.isNull()) {
                if (!tree.isObject()) {
                    throw new ConfigException("Cannot read configuration: " + file
                            + " must be a YAML mapping of keys to values");
                }
                apply(values, "", tree, "in " + file);
            }
        }
        for (String set : sets) {
            applySet(values, set);
        }
        return new JobConfig(values, file);
    }

    /**
     * Where the configuration file is: the location itself when it exists (or is a URI), else a file of that
     * name shipped with {@code spark-submit --files}. In client mode the driver runs in the submitting
     * folder, and spark-submit lists the shipped files in {@code spark.files} before any session starts.
     */
    static String resolveFile(String location) {
        if (HadoopFiles.isUri(location) || Files.exists(Path.of(location))) {
            return location;
        }
        String name = Path.of(location).getFileName().toString();
        for (String shipped : shippedFiles()) {
            String shippedName = shipped.substring(shipped.lastIndexOf('/') + 1);
            if (!shipped.isBlank() && shippedName.equals(name)) {
                return shipped;
            }
        }
        return location;
    }

    private static List<String> shippedFiles() {
        String files = System.getProperty("spark.files", "");
        List<String> out = new java.util.ArrayList<>();
        for (String f : files.split(",")) {
            if (!f.isBlank()) {
                out.add(f.trim());
            }
        }
        return out;
    }

    private static JsonNode readYaml(String file) {
        String text;
        try {
            if (!HadoopFiles.isFile(file)) {
                throw new ConfigException("Cannot read configuration: " + file + " does not exist"
                        + (HadoopFiles.isUri(file) ? "" : " (give a path, a Hadoop URI, or the name of a file"
                                + " shipped with spark-submit --files)"));
            }
            long size = HadoopFiles.length(file);
            if (size > MAX_FILE_BYTES) {
                throw new ConfigException("Cannot read configuration: " + file + " is " + size
                        + " bytes and the limit is " + MAX_FILE_BYTES + " (a configuration file holds settings,"
                        + " not data: point a key at a data file instead)");
            }
            text = HadoopFiles.readString(file);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ConfigException("Cannot read configuration: " + file + " cannot be read (" + e.getMessage() + ")");
        }
        try {
            return YAML.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (original.startsWith("Duplicate field '")) {
                String key = original.substring("Duplicate field '".length(), original.indexOf('\'', 17));
                throw new ConfigException("Cannot read configuration: " + file + " sets '" + key + "' twice" + where
                        + " (keep one of the two)");
            }
            throw new ConfigException("Cannot read configuration: " + file + " is not valid YAML" + where
                    + " (" + yamlProblem(e.getOriginalMessage()) + ")");
        }
    }

    /**
     * SnakeYAML's message spans lines: the problem, then indented snippets with carets and "in 'reader'"
     * locations. The problem lines, joined, make the one-line error (the location is already given).
     */
    static String yamlProblem(String message) {
        if (message == null) {
            return "unreadable";
        }
        List<String> lines = message.lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("in '") && !l.matches("\\^+")).toList();
        List<String> problem = message.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(String::strip).toList();
        return String.join("; ", problem.isEmpty() ? lines : problem);
    }

    /** Walks a YAML mapping: a known key takes its value; a known section is walked into. */
    private static void apply(Map<String, Object> values, String prefix, JsonNode node, String where) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            ConfigKey<?> key = ConfigKeys.byName(name);
            if (key != null) {
                values.put(name, parse(key, field.getValue(), where));
            } else if (field.getValue().isObject() && ConfigKeys.isSection(name)) {
                apply(values, name, field.getValue(), where);
            } else if (ConfigKeys.isSection(name) && field.getValue().isNull()) {
                continue; // "sampling:" with every key below commented out: the defaults stand
            } else if (ConfigKeys.isSection(name)) {
                throw new ConfigException("Cannot read configuration: '" + name + "' is a section of keys (e.g. "
                        + ConfigKeys.ALL.stream().map(ConfigKey::name).filter(n -> n.startsWith(name + ".")).findFirst()
                                .orElse(name) + "), not a value (got " + field.getValue() + " " + where + ")");
            } else {
                throw unknown(name, where);
            }
        }
    }

    private static void applySet(Map<String, Object> values, String set) {
        int eq = set.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("Cannot read --set " + set + ": expected key=value");
        }
        String name = set.substring(0, eq).trim();
        JsonNode value = parseValue(set.substring(eq + 1), name);
        ConfigKey<?> key = ConfigKeys.byName(name);
        if (key != null) {
            values.put(name, parse(key, value, "from --set"));
            return;
        }
        ConfigKey<?> map = mapKeyAbove(name);
        if (map == null) {
            throw unknown(name, "from --set");
        }
        checkScalarSizes(name, value, "from --set");
        ObjectNode copy = ((JsonNode) values.get(map.name())).deepCopy();
        copy.set(name.substring(map.name().length() + 1), value);
        values.put(map.name(), copy);
    }

    /** A {@code --set} value is YAML: {@code 0.5}, {@code true}, {@code [a, b]} and {@code {x: 1}} all read. */
    private static JsonNode parseValue(String text, String name) {
        try {
            JsonNode node = YAML.readTree(text.isBlank() ? "null" : text);
            return node == null ? JSON.nullNode() : node;
        } catch (JsonProcessingException e) {
            // The value of a key like spark.conf.spark.hadoop.fs.s3a.secret.key is a credential: never echo it.
            String shown = Secrets.isSecretName(name) ? "the value (hidden: the key names a secret)"
                    : "'" + (text.length() <= 80 ? text : text.substring(0, 77) + "...") + "'";
            throw new ConfigException("Cannot read --set " + name + ": " + shown + " is not a valid YAML value");
        }
    }

    private static ConfigKey<?> mapKeyAbove(String name) {
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            if (k.type().equals("map") && name.startsWith(k.name() + ".")) {
                return k;
            }
        }
        return null;
    }

    private static Object parse(ConfigKey<?> key, JsonNode value, String where) {
        if (value == null || value.isNull()) {
            if (key.type().equals("map") || key.type().equals("list")) {
                return key.defaultValue(); // "spark.conf:" with its entries commented out: none
            }
            if (key.defaultValue() != null) {
                // An empty value would surface later as a NullPointerException far from its cause.
                throw new ConfigException("Cannot read configuration: " + key.name() + " needs a value (got an empty"
                        + " one " + where + "; leave the key out for its default, " + key.defaultValue() + ")");
            }
            return null;
        }
        checkScalarSizes(key.name(), value, where);
        try {
            return key.read(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Cannot read configuration: " + key.name() + " must be " + e.getMessage()
                    + " (got " + shown(value) + " " + where + ")");
        }
    }

    /** A value as echoed in a message: its JSON, cut to 80 characters so one line stays one line. */
    private static String shown(JsonNode value) {
        String text = value.toString();
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    /** Refuses any string in the value longer than {@link #MAX_SCALAR_CHARS}, before it is used or echoed. */
    private static void checkScalarSizes(String name, JsonNode value, String where) {
        if (value.isTextual() && value.asText().length() > MAX_SCALAR_CHARS) {
            throw new ConfigException("Cannot read configuration: a value of " + name + " has "
                    + value.asText().length() + " characters and the limit is " + MAX_SCALAR_CHARS + " (" + where + ")");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().length() > MAX_SCALAR_CHARS) {
                throw new ConfigException("Cannot read configuration: a key inside " + name + " has "
                        + field.getKey().length() + " characters and the limit is " + MAX_SCALAR_CHARS + " (" + where
                        + ")");
            }
            checkScalarSizes(name, field.getValue(), where);
        }
        if (value.isArray()) {
            value.forEach(v -> checkScalarSizes(name, v, where));
        }
    }

    private static ConfigException unknown(String name, String where) {
        String near = ConfigKeys.nearest(name);
        return new ConfigException("Cannot read configuration: unknown key '" + name + "' " + where
                + (near == null ? "; see 'phi4spark config keys'" : " (did you mean '" + near + "'?)"));
    }

    /** The value of a key. */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key.name());
    }

    /** The YAML file the config came from (a path or a URI), or null. */
    public String file() {
        return file;
    }

    /** A copy with one more {@code key=value} applied (used by commands that set keys from flags). */
    public JobConfig with(String set) {
        Map<String, Object> copy = new LinkedHashMap<>(values);
        applySet(copy, set);
        return new JobConfig(copy, file);
    }

    /**
     * Every key and its resolved value, secrets masked, for {@code --dry-run}, logs and the {@code runs}
     * table: an object-store key passed in {@code spark.conf} must never land in a table.
     */
    public Map<String, Object> redacted() {
        Pattern sparkRegex = Secrets.sparkRegex((JsonNode) values.get(ConfigKeys.SPARK_CONF.name()));
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, Secrets.redact(k, v, sparkRegex)));
        return out;
    }

    /** The redacted config as JSON text. */
    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(redacted());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
