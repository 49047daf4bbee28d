package dev.phi4spark.datagen.seed;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.Type;

/**
 * Checks a recipe's {@link SeedSource#path() source files} without Spark, as {@link TextSeeds#read} will
 * read them: that every path exists, that a folder holds data files, and that the named columns ({@code
 * text_column}, {@code id_column}, {@code language_column}, {@code score_column}, {@code answer_column}) are
 * among the columns Spark will see. The columns are read cheaply: JSON lines by their keys (Spark infers the
 * union of every line's keys, so lines are read until every named column is found, up to {@link
 * #MAX_JSON_BYTES}; beyond that the check is left to the run), Parquet from the first data file's footer
 * (Spark's default without {@code mergeSchema}), CSV from the header line, text as {@code value}, Delta from
 * the schema of its newest JSON commit with one. A remote file system is asked with Hadoop's retries turned
 * down and within {@link #TIME_LIMIT_SECONDS} seconds, so an unreachable one fails in one sentence instead of
 * retrying for minutes. A source that names a DataFrame or table ({@code input}) is not checked here.
 */
public final class SourceCheck {

    /** The most bytes of JSON lines read looking for the named columns. */
    public static final long MAX_JSON_BYTES = 64L << 20;
    /** The most seconds a source's check may take. */
    public static final int TIME_LIMIT_SECONDS = 60;
    /** What the message of a source that is not there or cannot be reached ends with, before its path. */
    public static final String UNREACHABLE_HINT = "; check the path and that the file system is reachable";

    private static final int MAX_FILES = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SourceCheck() {}

    /**
     * Checks one recipe's source.
     *
     * @param recipe the recipe's name, for messages
     * @param source its source
     * @param hadoop the Hadoop settings to read with (a copy is made; Hadoop's retries are shortened in it)
     * @throws IllegalArgumentException {@code Cannot read the source of recipe 'R': why (value)}
     */
    public static void check(String recipe, SeedSource source, Configuration hadoop) {
        if (source == null || source.path().isEmpty()) {
            return;
        }
        Configuration conf = shortRetries(hadoop);
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "phi4spark-source-check");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Void> done = pool.submit(() -> {
                checkNow(recipe, source, conf);
                return null;
            });
            done.get(TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw fail(recipe, "the file system did not answer within " + TIME_LIMIT_SECONDS + " seconds"
                    + UNREACHABLE_HINT, source.path());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail(recipe, "interrupted", source.path());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalArgumentException mine && mine.getMessage() != null
                    && mine.getMessage().startsWith(PREFIX)) {
                throw mine;
            }
            throw fail(recipe, reason(e.getCause()) + UNREACHABLE_HINT, source.path());
        } finally {
            pool.shutdownNow();
        }
    }

    private static final String PREFIX = "Cannot read the source of recipe '";

    private static IllegalArgumentException fail(String recipe, String why, String value) {
        return new IllegalArgumentException(PREFIX + recipe + "': " + why + " (" + value + ")");
    }

    /** The first line of the deepest message, without Hadoop's "For more details see" link. */
    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof ExecutionException)) {
            t = t.getCause();
        }
        String text = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip().lines().findFirst()
                .orElse(t.getClass().getSimpleName());
        int more = text.indexOf("; For more details see");
        return more < 0 ? text : text.substring(0, more);
    }

    /** A copy of the settings that gives up on an unreachable file system quickly and caches no client. */
    static Configuration shortRetries(Configuration hadoop) {
        Configuration conf = new Configuration(hadoop);
        conf.setInt("ipc.client.connect.max.retries", 0);
        conf.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
        conf.setInt("ipc.client.connect.timeout", 5000);
        conf.setBoolean("dfs.client.retry.policy.enabled", false);
        conf.setInt("fs.s3a.attempts.maximum", 1);
        conf.setInt("fs.s3a.retry.limit", 1);
        conf.set("fs.s3a.retry.interval", "100ms");
        conf.set("fs.s3a.connection.establish.timeout", "5000");
        conf.set("fs.s3a.connection.timeout", "15000");
        return conf;
    }

    private static void checkNow(String recipe, SeedSource source, Configuration conf) throws IOException {
        List<FileSystem> opened = new ArrayList<>();
        try {
            List<Found> matched = new ArrayList<>();
            for (String location : source.path().split(",")) {
                String p = location.trim();
                Path path = new Path(p);
                // a client of its own, closed afterwards: the run's clients must keep their usual retries
                FileSystem fs = FileSystem.newInstance(path.toUri(), conf);
                opened.add(fs);
                FileStatus[] found;
                try {
                    found = fs.globStatus(path);
                } catch (FileNotFoundException e) {
                    found = null;
                }
                if (found == null || found.length == 0) {
                    throw fail(recipe, "no such file or folder", p);
                }
                for (FileStatus f : found) {
                    matched.add(new Found(fs, f));
                }
            }
            List<String> columns = columns(recipe, source, matched, conf);
            if (columns != null) {
                requireColumns(recipe, source, columns);
            }
        } finally {
            for (FileSystem fs : opened) {
                try {
                    fs.close();
                } catch (IOException ignored) {
                    // only a check's client
                }
            }
        }
    }

    /** A file or folder and the file system it is on. */
    private record Found(FileSystem fs, FileStatus status) {}

    /** The columns Spark will see, or null when they cannot be told cheaply. */
    private static List<String> columns(String recipe, SeedSource source, List<Found> matched, Configuration conf)
            throws IOException {
        String format = source.format();
        if (format.equals("text")) {
            return List.of("value");
        }
        if (format.equals("delta")) {
            return deltaColumns(recipe, source, matched);
        }
        Set<String> partitions = new LinkedHashSet<>();
        List<Found> files = dataFiles(matched, partitions);
        if (files.isEmpty()) {
            throw fail(recipe, "it holds no " + format + " data files: an empty folder, or files of another format"
                    + " than the source's format", source.path());
        }
        List<String> columns = switch (format) {
            case "parquet" -> parquetColumns(files.get(0), conf);
            case "csv" -> csvColumns(files.get(0), conf);
            case "json" -> jsonColumns(files, conf, named(source));
            default -> null;
        };
        if (columns == null) {
            return null;
        }
        List<String> all = new ArrayList<>(columns);
        partitions.stream().filter(c -> !all.contains(c)).forEach(all::add);
        return all;
    }

    /** The columns the source names, by setting, in the order {@link TextSeeds} checks them. */
    private static Map<String, String> named(SeedSource source) {
        Map<String, String> named = new LinkedHashMap<>();
        named.put("text_column", source.textColumn());
        named.put("id_column", source.idColumn());
        named.put("language_column", source.languageColumn());
        named.put("score_column", source.scoreColumn());
        named.put("answer_column", source.answerColumn());
        named.values().removeIf(String::isEmpty);
        return named;
    }

    private static void requireColumns(String recipe, SeedSource source, List<String> columns) {
        for (Map.Entry<String, String> e : named(source).entrySet()) {
            if (!columns.contains(e.getValue())) {
                throw fail(recipe, source.path() + " has no " + e.getKey() + " '" + e.getValue() + "'",
                        "columns: " + (columns.isEmpty() ? "none" : String.join(", ", columns)));
            }
        }
    }

    /**
     * The data files under the matched paths as Spark lists them (names starting with {@code _} or {@code .}
     * left out), sorted; partition folders ({@code key=value}) add their key to {@code partitions}.
     */
    private static List<Found> dataFiles(List<Found> matched, Set<String> partitions) throws IOException {
        List<Found> files = new ArrayList<>();
        List<Found> todo = new ArrayList<>(matched);
        int seen = 0;
        while (!todo.isEmpty() && seen < MAX_FILES) {
            Found f = todo.remove(0);
            seen++;
            if (f.status().isFile()) {
                files.add(f);
                continue;
            }
            FileStatus[] children = f.fs().listStatus(f.status().getPath());
            Arrays.sort(children, Comparator.comparing(c -> c.getPath().getName()));
            List<Found> dirs = new ArrayList<>();
            for (FileStatus c : children) {
                String name = c.getPath().getName();
                if ((name.startsWith("_") && !name.contains("=")) || name.startsWith(".") || name.endsWith("._COPYING_")) {
                    continue;
                }
                if (c.isDirectory()) {
                    int eq = name.indexOf('=');
                    if (eq > 0) {
                        partitions.add(name.substring(0, eq));
                    }
                    dirs.add(new Found(f.fs(), c));
                } else {
                    files.add(new Found(f.fs(), c));
                }
            }
            todo.addAll(0, dirs);
        }
        return files;
    }

    /** The file's bytes, decompressed as Spark's readers do by the file's extension. */
    private static InputStream open(Found file, Configuration conf) throws IOException {
        Path path = file.status().getPath();
        InputStream in = file.fs().open(path);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        return codec == null ? in : codec.createInputStream(in);
    }

    private static List<String> parquetColumns(Found file, Configuration conf) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(file.status(), conf))) {
            return reader.getFooter().getFileMetaData().getSchema().getFields().stream().map(Type::getName).toList();
        }
    }

    /** The header line, split as Spark's CSV reader does by default (comma, double quotes). */
    private static List<String> csvColumns(Found file, Configuration conf) throws IOException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(open(file, conf), StandardCharsets.UTF_8))) {
            String line = in.readLine();
            if (line == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            StringBuilder cell = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '"') {
                    if (quoted && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = !quoted;
                    }
                } else if (c == ',' && !quoted) {
                    out.add(cell.toString());
                    cell.setLength(0);
                } else {
                    cell.append(c);
                }
            }
            out.add(cell.toString());
            return out;
        }
    }

    /**
     * The union of the top-level keys of the JSON lines, sorted as Spark's inferred schema is; read until
     * every named column is found. Null when {@link #MAX_JSON_BYTES} were read without finding them all.
     */
    private static List<String> jsonColumns(List<Found> files, Configuration conf, Map<String, String> named)
            throws IOException {
        Set<String> keys = new TreeSet<>();
        JsonFactory factory = JSON.getFactory();
        long bytes = 0;
        for (Found file : files) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(open(file, conf), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    bytes += line.length() + 1;
                    if (!line.isBlank()) {
                        topLevelKeys(factory, line, keys);
                        if (keys.containsAll(named.values())) {
                            return new ArrayList<>(keys);
                        }
                    }
                    if (bytes > MAX_JSON_BYTES) {
                        return null;
                    }
                }
            }
        }
        return new ArrayList<>(keys);
    }

    /** Adds a line's top-level keys; a line that is not a JSON object adds none (Spark reads it as corrupt). */
    private static void topLevelKeys(JsonFactory factory, String line, Set<String> keys) {
        Set<String> found = new LinkedHashSet<>();
        try (JsonParser p = factory.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                found.add(p.currentName());
                p.nextToken();
                p.skipChildren();
            }
            keys.addAll(found);
        } catch (IOException e) {
            // malformed: Spark puts the line in its corrupt-record column, and takes no keys from it
        }
    }

    /** The columns of the newest schema in the Delta log's JSON commits, or null when only a checkpoint has it. */
    private static List<String> deltaColumns(String recipe, SeedSource source, List<Found> matched)
            throws IOException {
        FileSystem fs = matched.get(0).fs();
        Path table = matched.get(0).status().getPath();
        if (matched.size() != 1 || !matched.get(0).status().isDirectory() || !fs.exists(new Path(table, "_delta_log"))) {
            throw fail(recipe, "it is not a Delta table, it has no _delta_log folder", source.path());
        }
        FileStatus[] log = fs.listStatus(new Path(table, "_delta_log"),
                p -> p.getName().matches("\\d{20}\\.json"));
        Arrays.sort(log, Comparator.comparing((FileStatus s) -> s.getPath().getName()).reversed());
        for (FileStatus commit : log) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(commit.getPath()),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (!line.contains("\"metaData\"")) {
                        continue;
                    }
                    JsonNode schema = JSON.readTree(JSON.readTree(line).path("metaData").path("schemaString").asText("{}"));
                    List<String> columns = new ArrayList<>();
                    schema.path("fields").forEach(f -> columns.add(f.path("name").asText()));
                    return columns;
                }
            }
        }
        return null;
    }
}
