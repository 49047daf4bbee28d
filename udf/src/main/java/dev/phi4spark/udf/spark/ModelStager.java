package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.ModelFingerprint;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /**
     * The content identity of a model location ({@link ModelFingerprint}): a plain path's hashes are
     * cached beside it; a URI's are read through Hadoop once and cached in {@code cacheRoot}, so the
     * driver names a remote 29 GB snapshot by its weights without re-reading them on every run.
     *
     * @param sparkConf Spark settings whose {@code spark.hadoop.*} entries (credentials) reach Hadoop: the
     *     driver names the model before its Spark session exists
     * @throws ModelLoadException "Cannot load model: ..." or "Cannot stage model: ..."
     */
    public static String identity(String location, Path cacheRoot, Map<String, String> sparkConf) {
        URI uri = toUri(location);
        if (uri.getScheme() == null) {
            return ModelFingerprint.identity(Path.of(location));
        }
        try {
            Configuration conf = hadoopConf();
            sparkConf.forEach((k, v) -> {
                if (k.startsWith("spark.hadoop.")) {
                    conf.set(k.substring("spark.hadoop.".length()), v);
                }
            });
            HadoopSource source = HadoopSource.open(uri, conf);
            Path cacheFile = cacheRoot.resolve(source.name() + "-"
                    + fingerprint(source.root.toString(), List.of()).substring(0, 16) + ".hashes.json");
            return ModelFingerprint.identity(source, cacheFile);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot stage model: " + e.getMessage() + " (" + location + ")", e);
        }
    }

    private static Path stageUri(URI uri, Path cacheRoot, Configuration conf) throws IOException {
        HadoopSource source = HadoopSource.open(uri, conf);
        // Only the files a snapshot needs, named, never a walk: a link out of the folder or in a loop
        // (etc -> /etc, loop -> .) is not followed into a copy.
        List<String> files = ModelFingerprint.snapshotFiles(source);
        List<String> stamps = new ArrayList<>();
        for (String f : files) {
            ModelFingerprint.Stat stat = source.stat(f);
            stamps.add(f + ":" + stat.size() + ":" + stat.modified());
        }
        Path target = cacheRoot.resolve(source.name() + "-" + fingerprint(source.root.toString(), stamps));
        if (Files.isDirectory(target)) {
            return target;
        }
        Files.createDirectories(cacheRoot);
        Path lockFile = cacheRoot.resolve(target.getFileName() + ".lock");
        synchronized (JVM_LOCKS.computeIfAbsent(lockFile, k -> new Object())) {
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                if (!Files.isDirectory(target)) {
                    copy(source, files, target);
                }
            }
        }
        return target;
    }

    /** A snapshot folder read through Hadoop's {@link FileSystem}. */
    private static final class HadoopSource implements ModelFingerprint.Source {
        private final FileSystem fs;
        private final org.apache.hadoop.fs.Path root;

        private HadoopSource(FileSystem fs, org.apache.hadoop.fs.Path root) {
            this.fs = fs;
            this.root = root;
        }

        static HadoopSource open(URI uri, Configuration conf) throws IOException {
            // The String form drops a trailing slash, so "x/" and "x" name one model.
            org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(uri.toString());
            FileSystem fs = src.getFileSystem(conf);
            if (!fs.exists(src) || !fs.getFileStatus(src).isDirectory()) {
                throw new ModelLoadException("Cannot stage model: not a folder (" + uri + ")");
            }
            return new HadoopSource(fs, src);
        }

        @Override
        public String name() {
            return root.getName();
        }

        @Override
        public ModelFingerprint.Stat stat(String file) throws IOException {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root, file);
            if (!fs.exists(p)) {
                return null;
            }
            FileStatus status = fs.getFileStatus(p);
            return status.isFile() ? new ModelFingerprint.Stat(status.getLen(), status.getModificationTime()) : null;
        }

        @Override
        public InputStream open(String file) throws IOException {
            return fs.open(new org.apache.hadoop.fs.Path(root, file));
        }
    }

    private static String fingerprint(String root, List<String> stamps) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(root.getBytes(StandardCharsets.UTF_8));
            for (String line : stamps) {
                sha.update((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copy(HadoopSource source, List<String> files, Path target) throws IOException {
        deleteStaleTemps(target);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        long started = System.nanoTime();
        long bytes = 0;
        try {
            for (String f : files) {
                Path local = tmp.resolve(f).normalize();
                if (!local.startsWith(tmp)) {
                    throw new ModelLoadException("Cannot stage model: a file name leaves the folder (" + f + ")");
                }
                Files.createDirectories(local.getParent());
                try (InputStream in = source.open(f)) {
                    Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
                }
                long expected = source.stat(f).size();
                if (Files.size(local) != expected) {
                    throw new ModelLoadException("Cannot stage model: copied " + Files.size(local) + " bytes of "
                            + expected + " (" + f + ")");
                }
                bytes += expected;
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        COPIES.incrementAndGet();
        LOG.info("Staged model {} into {}: {} file(s), {} MiB in {} s", source.root, target, files.size(), bytes >> 20,
                String.format("%.1f", (System.nanoTime() - started) / 1e9));
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

    /** The Spark job's Hadoop settings ({@code spark.hadoop.*}, credentials included): {@link HadoopFiles#conf()}. */
    private static Configuration hadoopConf() {
        return HadoopFiles.conf();
    }
}
