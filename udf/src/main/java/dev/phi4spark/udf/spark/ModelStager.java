package dev.phi4spark.udf.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.udf.engine.Checkpoint;
import dev.phi4spark.udf.engine.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Brings a model folder onto the local disk once per machine. A plain path (no URI scheme) is used in
 * place. A URI is read through Hadoop's {@link FileSystem} and copied into
 * {@code <cacheDir>/<folder name>-<hash>}, where the hash covers the URI and every file's name, size
 * and modification time, so a changed model lands in a new folder instead of reusing a stale copy.
 *
 * <p>The copy goes to a temporary folder, its sizes are checked against the source, and it is renamed
 * into place atomically: a reader sees a whole model or none. A {@link FileLock} on a lock file beside
 * it makes the executors of one machine wait for one copier instead of copying side by side.
 */
public final class ModelStager {

    private static final Logger LOG = LoggerFactory.getLogger(ModelStager.class);
    private static final AtomicInteger COPIES = new AtomicInteger();
    /** FileLock is per JVM, not per thread: threads of one JVM queue here first. */
    private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private ModelStager() {}

    /** Models this JVM has copied: tests check that a second staging copies nothing. */
    public static int copyCount() {
        return COPIES.get();
    }

    /**
     * The local folder of a model location, copying it into {@code cacheRoot} first when it is a URI.
     *
     * @throws ModelLoadException "Cannot stage model: ..." or "Cannot load model: shard name ..."
     */
    public static Path stage(String location, Path cacheRoot) {
        URI uri = toUri(location);
        if (uri.getScheme() == null) {
            return Path.of(location);
        }
        try {
            return stageUri(uri, cacheRoot, hadoopConf());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot stage model: " + e.getMessage() + " (" + location + ")", e);
        }
    }

    private static URI toUri(String location) {
        if (location.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") && !location.matches("^[A-Za-z]:[\\\\/].*")) {
            try {
                return new URI(location);
            } catch (java.net.URISyntaxException e) {
                throw new ModelLoadException("Cannot stage model: not a valid URI (" + location + ")", e);
            }
        }
        return URI.create("");
    }

    private static Path stageUri(URI uri, Path cacheRoot, Configuration conf) throws IOException {
        // The String form drops a trailing slash, so "x/" and "x" name one model.
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(uri.toString());
        FileSystem fs = src.getFileSystem(conf);
        if (!fs.exists(src) || !fs.getFileStatus(src).isDirectory()) {
            throw new ModelLoadException("Cannot stage model: not a folder (" + uri + ")");
        }
        List<FileStatus> files = listFiles(fs, src);
        Path target = cacheRoot.resolve(src.getName() + "-" + fingerprint(src, files));
        if (Files.isDirectory(target)) {
            return target;
        }
        checkShardNames(fs, src, target);
        Files.createDirectories(cacheRoot);
        Path lockFile = cacheRoot.resolve(target.getFileName() + ".lock");
        synchronized (JVM_LOCKS.computeIfAbsent(lockFile, k -> new Object())) {
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                if (!Files.isDirectory(target)) {
                    copy(fs, src, files, target);
                }
            }
        }
        return target;
    }

    /** Regular files under the folder, recursively (HF snapshots are flat, but allow subfolders). */
    private static List<FileStatus> listFiles(FileSystem fs, org.apache.hadoop.fs.Path dir) throws IOException {
        List<FileStatus> out = new ArrayList<>();
        var it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            out.add(it.next());
        }
        out.sort(Comparator.comparing(f -> f.getPath().toString()));
        return out;
    }

    private static String fingerprint(org.apache.hadoop.fs.Path src, List<FileStatus> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(src.toString().getBytes(StandardCharsets.UTF_8));
            for (FileStatus f : files) {
                String line = relative(src, f) + ":" + f.getLen() + ":" + f.getModificationTime() + "\n";
                sha.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Refuses an index whose shard names leave the folder, before anything is copied. */
    private static void checkShardNames(FileSystem fs, org.apache.hadoop.fs.Path src, Path target) throws IOException {
        org.apache.hadoop.fs.Path index = new org.apache.hadoop.fs.Path(src, Checkpoint.INDEX_FILE);
        if (!fs.exists(index)) {
            return;
        }
        JsonNode root;
        try (InputStream in = fs.open(index)) {
            root = new ObjectMapper().readTree(in);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelLoadException("Cannot load model: " + index + " has no weight_map object");
        }
        Iterator<JsonNode> shards = map.elements();
        while (shards.hasNext()) {
            Checkpoint.shardPath(target, shards.next().asText());
        }
    }

    private static void copy(FileSystem fs, org.apache.hadoop.fs.Path src, List<FileStatus> files, Path target)
            throws IOException {
        deleteStaleTemps(target);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        long started = System.nanoTime();
        long bytes = 0;
        try {
            for (FileStatus f : files) {
                Path local = tmp.resolve(relative(src, f)).normalize();
                if (!local.startsWith(tmp)) {
                    throw new ModelLoadException("Cannot stage model: a file name leaves the folder (" + f.getPath() + ")");
                }
                Files.createDirectories(local.getParent());
                try (InputStream in = fs.open(f.getPath())) {
                    Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
                }
                if (Files.size(local) != f.getLen()) {
                    throw new ModelLoadException("Cannot stage model: copied " + Files.size(local) + " bytes of "
                            + f.getLen() + " (" + f.getPath() + ")");
                }
                bytes += f.getLen();
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        COPIES.incrementAndGet();
        LOG.info("Staged model {} into {}: {} MiB in {} s", src, target, bytes >> 20,
                String.format("%.1f", (System.nanoTime() - started) / 1e9));
    }

    private static String relative(org.apache.hadoop.fs.Path root, FileStatus f) {
        String base = root.toUri().getPath();
        String path = f.getPath().toUri().getPath();
        String rel = path.startsWith(base) ? path.substring(base.length()) : f.getPath().getName();
        return rel.startsWith("/") ? rel.substring(1) : rel;
    }

    /** Temp folders of copies that died with their JVM; only called while holding the lock. */
    private static void deleteStaleTemps(Path target) throws IOException {
        String prefix = target.getFileName() + ".tmp-";
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            for (Path p : siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                deleteTree(p);
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The Spark job's Hadoop settings ({@code spark.hadoop.*}, credentials included) when in Spark. */
    private static Configuration hadoopConf() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (Tuple2<String, String> kv : env.conf().getAll()) {
                if (kv._1().startsWith("spark.hadoop.")) {
                    conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
                }
            }
        }
        return conf;
    }
}
