package dev.phi4spark.udf.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * A model snapshot's identity from its content: {@code <folder name>@<hash>}, where the hash covers the
 * SHA-256 of every file the snapshot needs (config, generation config, tokenizer files, the weight index
 * and every shard it names). Two folders with the same name and file sizes but other weights get other
 * identities, so their rows never share ids.
 *
 * <p>Hashing reads every byte (about 20 s per 29 GB on one core), so each file's hash is cached beside
 * the snapshot (or in a cache file the caller names) under its size and modification time: a later run
 * re-reads only files that changed.
 */
public final class ModelFingerprint {

    /** Files besides the weights that change what a model outputs (read when present). */
    public static final List<String> SIDE_FILES = List.of("config.json", "generation_config.json",
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");
    /** The per-file hash cache written beside a local snapshot. */
    public static final String CACHE_FILE = ".phi4spark-hashes.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFingerprint() {}

    /** Size and modification time of one file; what a cached hash is valid for. */
    public record Stat(long size, long modified) {}

    /** A snapshot folder as some file system sees it (local disk, or Hadoop for a remote URI). */
    public interface Source {
        /** The folder's name, the readable part of the identity. */
        String name();

        /** The file's size and time, or null when the folder has no such regular file. */
        Stat stat(String file) throws IOException;

        /** The file's bytes. */
        InputStream open(String file) throws IOException;
    }

    /** The local snapshot folder as a {@link Source}. */
    public static Source local(Path dir) {
        Path base = dir.toAbsolutePath().normalize();
        return new Source() {
            @Override
            public String name() {
                return base.getFileName() == null ? base.toString() : base.getFileName().toString();
            }

            // Through SnapshotFiles: a file linked from outside the snapshot is refused, never read.
            @Override
            public Stat stat(String file) throws IOException {
                Path p = SnapshotFiles.resolve(dir, file);
                if (!Files.isRegularFile(p)) {
                    return null;
                }
                return new Stat(Files.size(p), Files.getLastModifiedTime(p).toMillis());
            }

            @Override
            public InputStream open(String file) throws IOException {
                return Files.newInputStream(SnapshotFiles.resolve(dir, file));
            }
        };
    }

    /**
     * The files a snapshot needs, relative to its folder: the side files present, then the index and
     * the shards it names, or {@code model.safetensors}. Shard names that leave the folder are refused.
     */
    public static List<String> snapshotFiles(Source source) throws IOException {
        List<String> files = new ArrayList<>();
        for (String f : SIDE_FILES) {
            if (source.stat(f) != null) {
                files.add(f);
            }
        }
        if (source.stat(Checkpoint.INDEX_FILE) != null) {
            files.add(Checkpoint.INDEX_FILE);
            files.addAll(shardNames(source));
        } else if (source.stat(Checkpoint.SINGLE_FILE) != null) {
            files.add(Checkpoint.SINGLE_FILE);
        }
        return files;
    }

    private static TreeSet<String> shardNames(Source source) throws IOException {
        JsonNode root;
        try (InputStream in = source.open(Checkpoint.INDEX_FILE)) {
            root = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModelLoadException("Cannot load model: " + Checkpoint.INDEX_FILE + " is not valid JSON ("
                    + source.name() + ")", e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelLoadException("Cannot load model: " + Checkpoint.INDEX_FILE + " has no weight_map object ("
                    + source.name() + ")");
        }
        TreeSet<String> shards = new TreeSet<>();
        Path base = Path.of("/snapshot");
        Iterator<JsonNode> it = map.elements();
        while (it.hasNext()) {
            String shard = it.next().asText();
            shards.add(base.relativize(Checkpoint.shardPath(base, shard)).toString());
        }
        return shards;
    }

    /** The identity of a local snapshot folder, caching file hashes beside it when it is writable. */
    public static String identity(Path dir) {
        Path cache = dir.resolve(CACHE_FILE);
        if (!Files.isWritable(dir)) {
            cache = Path.of(System.getProperty("user.home"), ".cache", "phi4spark", "hashes",
                    sha256(dir.toAbsolutePath().normalize().toString()).substring(0, 16) + ".json");
        }
        try {
            return identity(local(dir), cache);
        } catch (AccessDeniedException e) {
            throw new ModelLoadException("Cannot load model: " + e.getFile() + " is not readable (check the"
                    + " permissions of " + dir + ")", e);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot load model: cannot fingerprint " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The identity of a snapshot, with per-file hashes cached in {@code cacheFile} (null: no cache).
     *
     * @throws ModelLoadException when the folder has no weights
     */
    public static String identity(Source source, Path cacheFile) throws IOException {
        List<String> files = snapshotFiles(source);
        if (files.stream().noneMatch(f -> f.endsWith(".safetensors"))) {
            throw new ModelLoadException("Cannot load model: neither " + Checkpoint.SINGLE_FILE + " nor "
                    + Checkpoint.INDEX_FILE + " is in " + source.name());
        }
        ObjectNode cached = readCache(cacheFile);
        boolean changed = false;
        MessageDigest all = digest();
        for (String f : files) {
            Stat stat = source.stat(f);
            JsonNode hit = cached.get(f);
            String hash;
            if (hit != null && hit.path("size").asLong(-1) == stat.size()
                    && hit.path("modified").asLong(-1) == stat.modified() && hit.path("sha256").isTextual()) {
                hash = hit.get("sha256").asText();
            } else {
                hash = hashContent(source, f);
                cached.putObject(f).put("size", stat.size()).put("modified", stat.modified()).put("sha256", hash);
                changed = true;
            }
            all.update((f + ":" + hash + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (changed && cacheFile != null) {
            writeCache(cacheFile, cached);
        }
        return source.name() + "@" + HexFormat.of().formatHex(all.digest()).substring(0, 12);
    }

    private static String hashContent(Source source, String file) throws IOException {
        MessageDigest sha = digest();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = source.open(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static ObjectNode readCache(Path cacheFile) {
        if (cacheFile == null || !Files.isRegularFile(cacheFile)) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(cacheFile.toFile());
            return node instanceof ObjectNode obj ? obj : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode(); // a damaged cache only costs a re-hash
        }
    }

    /** Best effort: a cache that cannot be written only costs a re-hash next time. */
    private static void writeCache(Path cacheFile, ObjectNode cached) {
        try {
            Files.createDirectories(cacheFile.toAbsolutePath().getParent());
            Path tmp = cacheFile.resolveSibling(cacheFile.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                    + "-" + Thread.currentThread().getId());
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), cached);
            Files.move(tmp, cacheFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // read-only folder or full disk: hashing again is correct, only slower
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(String text) {
        return HexFormat.of().formatHex(digest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
