package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The weights of a HuggingFace snapshot: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} lists. Shard names that would escape the folder are refused.
 */
public final class Checkpoint implements AutoCloseable {

    /** The single-file checkpoint name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The sharded checkpoint index name. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path dir;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, SafetensorsFile> files;

    private Checkpoint(Path dir, Map<String, SafetensorsFile> byTensor, Map<String, SafetensorsFile> files) {
        this.dir = dir;
        this.byTensor = byTensor;
        this.files = files;
    }

    /** Opens the checkpoint files of a snapshot folder and checks their headers. */
    public static Checkpoint open(Path dir) {
        Path index = SnapshotFiles.resolve(dir, INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        Path single = SnapshotFiles.resolve(dir, SINGLE_FILE);
        if (!Files.isRegularFile(single)) {
            throw new ModelLoadException("Cannot load model: neither " + SINGLE_FILE + " nor " + INDEX_FILE
                    + " is in " + dir);
        }
        SafetensorsFile file = SafetensorsFile.open(single);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        file.tensors().keySet().forEach(name -> byTensor.put(name, file));
        return new Checkpoint(dir, byTensor, Map.of(SINGLE_FILE, file));
    }

    private static Checkpoint openSharded(Path dir, Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (String shard : new TreeSet<>(weightMap.values())) {
                files.put(shard, SafetensorsFile.open(shardPath(dir, shard)));
            }
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile file = files.get(e.getValue());
                if (!file.tensors().containsKey(e.getKey())) {
                    throw new ModelLoadException("Cannot load model: " + INDEX_FILE + " places tensor '"
                            + e.getKey() + "' in " + e.getValue() + ", which does not hold it (" + dir + ")");
                }
                byTensor.put(e.getKey(), file);
            }
        } catch (RuntimeException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(dir, byTensor, files);
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot load model: " + index + " is not valid JSON", e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelLoadException("Cannot load model: " + index + " has no weight_map object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = map.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /**
     * Resolves a shard name from an index inside the snapshot folder. An index is data from wherever the
     * snapshot came from, so a name like {@code ../../etc/passwd} or an absolute path is refused.
     */
    public static Path shardPath(Path dir, String shard) {
        Path base = dir.toAbsolutePath().normalize();
        Path resolved = base.resolve(shard).normalize();
        if (shard.isEmpty() || Path.of(shard).isAbsolute() || !resolved.startsWith(base) || resolved.equals(base)) {
            throw new ModelLoadException("Cannot load model: shard name '" + shard
                    + "' in " + INDEX_FILE + " points outside the model folder (" + dir + ")");
        }
        return SnapshotFiles.resolve(base, base.relativize(resolved).toString());
    }

    /** The tensor's header entry, or a clear error when the checkpoint lacks it. */
    public SafetensorsFile.TensorInfo info(String name) {
        SafetensorsFile file = byTensor.get(name);
        if (file == null) {
            throw new ModelLoadException("Cannot load model: tensor '" + name + "' is missing from " + dir);
        }
        return file.tensors().get(name);
    }

    /** The file that holds a tensor. */
    public SafetensorsFile fileOf(String name) {
        info(name);
        return byTensor.get(name);
    }

    /** True if the checkpoint holds the tensor. */
    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    /** Names of every tensor. */
    public Iterable<String> tensorNames() {
        return byTensor.keySet();
    }

    /** The snapshot folder. */
    public Path dir() {
        return dir;
    }

    /** Shard file names (one for a single-file checkpoint). */
    public Iterable<String> shardNames() {
        return files.keySet();
    }

    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
    }
}
