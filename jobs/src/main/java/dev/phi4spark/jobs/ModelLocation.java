package dev.phi4spark.jobs;

import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.ModelStager;
import dev.phi4spark.udf.spark.Phi4Options;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Where the model of a run is, and what it is called in the tables. With {@code model.path} unset the
 * embedded default writes (once) and uses a tiny random model, and says plainly that its text is random.
 *
 * @param path the model location handed to the executors (a local folder or a Hadoop URI)
 * @param identity the model's name in the tables: folder name and a hash of its files' content
 * @param tiny true for the random stand-in model
 */
public record ModelLocation(String path, String identity, boolean tiny) {

    /**
     * Resolves {@code model.path}, writing the tiny model when it is unset. With {@code create} false (a
     * dry run) nothing is written and the weights are not hashed: the identity is then the folder name.
     */
    public static ModelLocation resolve(JobConfig config, boolean create, Consumer<String> say) {
        String configured = config.get(ConfigKeys.MODEL_PATH);
        if (configured == null || configured.isBlank()) {
            Path tinyDir = Path.of(config.get(ConfigKeys.MODEL_TINY_PATH)).toAbsolutePath();
            if (!Files.isRegularFile(tinyDir.resolve("config.json"))) {
                if (!create) {
                    say.accept("model.path is unset: a tiny random model will be written to " + tinyDir);
                    return new ModelLocation(tinyDir.toString(), "tiny-random", true);
                }
                TinyModelWriter.write(tinyDir, 1, SafetensorsDType.F32);
            }
            say.accept("model.path is unset: using the tiny random model at " + tinyDir
                    + ". Its text is random; set model.path to a Phi-4 snapshot for real output.");
            return new ModelLocation(tinyDir.toString(), Phi4Engine.identity(tinyDir), true);
        }
        boolean hasScheme = configured.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*");
        String scheme = hasScheme ? URI.create(configured).getScheme() : "file";
        if (!scheme.equals("file") && !create) {
            return new ModelLocation(configured, configured, false); // a dry run reads no weights
        }
        if (!scheme.equals("file")) {
            // Staged on the executors; named here by the content of its files, read once and cached.
            String cache = config.get(ConfigKeys.model(ModelOptions.CACHE_DIR));
            Path cacheRoot = cache == null || cache.isBlank() ? Phi4Options.defaultCacheDir() : Path.of(cache);
            java.util.Map<String, String> sparkConf = new java.util.HashMap<>();
            config.get(ConfigKeys.SPARK_CONF).fields().forEachRemaining(e -> sparkConf.put(e.getKey(), e.getValue().asText()));
            return new ModelLocation(configured, ModelStager.identity(configured, cacheRoot, sparkConf), false);
        }
        Path dir = hasScheme ? Path.of(URI.create(configured).getPath()) : Path.of(configured).toAbsolutePath();
        if (Files.isDirectory(dir) && !Files.isReadable(dir)) {
            throw new ConfigException("Cannot use model.path " + configured
                    + ": the folder is not readable (check its permissions)");
        }
        if (Files.exists(dir.resolve("config.json")) && !Files.isReadable(dir.resolve("config.json"))) {
            throw new ConfigException("Cannot use model.path " + configured
                    + ": its config.json is not readable (check its permissions)");
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new ConfigException("Cannot use model.path " + configured
                    + ": it has no config.json (set model.path to a HuggingFace snapshot folder of Phi-4)");
        }
        Phi4Engine.check(dir); // headers only: a damaged snapshot fails here, before Spark starts
        // The content hash reads every byte once (then cached): not for a dry run.
        return new ModelLocation(dir.toString(), create ? Phi4Engine.identity(dir) : dir.getFileName().toString(), false);
    }

    /**
     * The options every Phi-4 transformer and stage of the run gets: this location and each model
     * option's {@code model.*} key, batching included.
     */
    public Phi4Options options(JobConfig config) {
        return Phi4Options.of(path, option -> config.get(ConfigKeys.model(option)));
    }
}
