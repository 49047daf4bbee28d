package dev.phi4spark.udf.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.SparkEnv;
import scala.Option;
import scala.Tuple2;

/**
 * Files named by a plain path or a Hadoop URI ({@code file:}, {@code hdfs:}, {@code s3a:}, {@code abfss:},
 * {@code gs:}). A plain path is a local file, relative to the working folder; a URI is read through Hadoop's
 * {@link FileSystem} with Spark's Hadoop settings, so the {@code spark.hadoop.*} credentials of the job
 * apply to configuration files, taxonomies, templates and benchmark files as they do to the tables.
 */
public final class HadoopFiles {

    /** The most bytes a text file read whole (a config, a template, a taxonomy) may have. */
    public static final long MAX_TEXT_BYTES = 64L << 20;

    /** The driver's Spark conf before its session starts (the command's {@code spark.conf} included). */
    private static volatile SparkConf driverConf;

    private HadoopFiles() {}

    /**
     * Sets the Spark conf to take Hadoop settings from until a session is running: a command calls this once
     * it has read its configuration, so that files it checks before Spark starts are read with the
     * credentials its {@code spark.conf} gives.
     */
    public static void configure(SparkConf conf) {
        driverConf = conf.clone();
    }

    /** True when {@code location} has a URI scheme (and is not a Windows drive letter). */
    public static boolean isUri(String location) {
        return location != null && location.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*");
    }

    /** True for a URI whose file system is not the local one. */
    public static boolean isRemote(String location) {
        return isUri(location) && !scheme(location).equals("file");
    }

    private static String scheme(String location) {
        return location.substring(0, location.indexOf(':')).toLowerCase(Locale.ROOT);
    }

    /**
     * A location made absolute: a URI stays as it is, a plain path becomes an absolute local path. Delta and
     * Spark resolve a relative path against the working folder too, but a stored location must not depend on
     * where the next command runs.
     */
    public static String absolute(String location) {
        return isUri(location) ? location : Path.of(location).toAbsolutePath().normalize().toString();
    }

    /** {@code name} inside the folder {@code dir} (a plain path or a URI). */
    public static String child(String dir, String name) {
        if (!isUri(dir)) {
            return Path.of(dir).resolve(name).toString();
        }
        return new org.apache.hadoop.fs.Path(dir, name).toString();
    }

    /**
     * The Hadoop settings to read with: the running Spark context's when this JVM has one (the driver, and
     * the executors of a local master), else the executor's Spark conf, else the {@code spark.hadoop.*}
     * settings of the command's configuration or the system properties that spark-submit sets before the
     * driver's session starts (so {@code --config s3a://...} reads with the job's credentials).
     */
    public static Configuration conf() {
        Option<SparkContext> context = SparkContext$.MODULE$.getActive();
        if (context.isDefined()) {
            return new Configuration(context.get().hadoopConfiguration());
        }
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        SparkConf spark = env != null ? env.conf() : driverConf != null ? driverConf : new SparkConf();
        for (Tuple2<String, String> kv : spark.getAll()) {
            if (kv._1().startsWith("spark.hadoop.")) {
                conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
            }
        }
        return conf;
    }

    /**
     * Refuses a relative {@code file:} URI ({@code file:conf.yaml}): Hadoop's local file system fails on one
     * with a NullPointerException deep inside, so the user gets this sentence instead.
     *
     * @throws IllegalArgumentException for {@code file:} followed by anything but {@code /}
     */
    static void requireAbsoluteFileUri(String location) {
        if (isUri(location) && scheme(location).equals("file")
                && !location.substring(location.indexOf(':') + 1).startsWith("/")) {
            throw new IllegalArgumentException("Cannot read " + location + ": a file: URI must be absolute ("
                    + location + "); use a plain path or file:/abs/path.");
        }
    }

    /** True when the location names an existing regular file. */
    public static boolean isFile(String location) {
        if (!isUri(location)) {
            return Files.isRegularFile(Path.of(location));
        }
        requireAbsoluteFileUri(location);
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
            FileStatus status = p.getFileSystem(conf()).getFileStatus(p);
            return status.isFile();
        } catch (java.io.FileNotFoundException e) {
            return false;
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException(new IOException("Cannot read " + location + ": " + e.getMessage(), e));
        }
    }

    /** Opens the file for reading. */
    public static InputStream open(String location) throws IOException {
        if (!isUri(location)) {
            return Files.newInputStream(Path.of(location));
        }
        requireAbsoluteFileUri(location);
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(toUri(location));
        FSDataInputStream in = p.getFileSystem(conf()).open(p);
        return in;
    }

    /** The file's size in bytes. */
    public static long length(String location) throws IOException {
        if (!isUri(location)) {
            return Files.size(Path.of(location));
        }
        requireAbsoluteFileUri(location);
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(toUri(location));
        return p.getFileSystem(conf()).getFileStatus(p).getLen();
    }

    /**
     * The whole file as UTF-8 text.
     *
     * @throws IOException when it cannot be read or is larger than {@link #MAX_TEXT_BYTES}
     */
    public static String readString(String location) throws IOException {
        long size = length(location);
        if (size > MAX_TEXT_BYTES) {
            throw new IOException("it is " + size + " bytes, more than the " + MAX_TEXT_BYTES + " a text file may have");
        }
        try (InputStream in = open(location)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Writes UTF-8 text to the file, creating its folders and replacing what was there. */
    public static void writeString(String location, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (!isUri(location)) {
            Path file = Path.of(location).toAbsolutePath();
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
            return;
        }
        requireAbsoluteFileUri(location);
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(toUri(location));
        try (var out = p.getFileSystem(conf()).create(p, true)) {
            out.write(bytes);
        }
    }

    /**
     * A local folder holding the files of {@code dir} whose names end in {@code suffix}: the folder itself
     * when it is local, else a temporary copy (made once per JVM and location). Lets code that reads a
     * handful of small files from a folder (prompt templates) take any Hadoop URI.
     */
    public static Path localFolder(String dir, String suffix) {
        requireAbsoluteFileUri(dir);
        if (!isRemote(dir)) {
            return isUri(dir) ? Path.of(URI.create(dir)) : Path.of(dir);
        }
        return COPIES.computeIfAbsent(dir + "\u0000" + suffix, k -> copyFolder(dir, suffix));
    }

    private static final java.util.Map<String, Path> COPIES = new java.util.concurrent.ConcurrentHashMap<>();

    private static Path copyFolder(String dir, String suffix) {
        try {
            org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(toUri(dir));
            FileSystem fs = src.getFileSystem(conf());
            Path local = Files.createTempDirectory("phi4spark-files-");
            local.toFile().deleteOnExit();
            for (FileStatus f : fs.listStatus(src)) {
                String name = f.getPath().getName();
                if (f.isFile() && name.endsWith(suffix) && f.getLen() <= MAX_TEXT_BYTES) {
                    try (InputStream in = fs.open(f.getPath())) {
                        Path target = local.resolve(name);
                        Files.copy(in, target);
                        target.toFile().deleteOnExit();
                    }
                }
            }
            return local;
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot read folder " + dir + ": " + e.getMessage(), e));
        }
    }

    private static URI toUri(String location) throws IOException {
        try {
            return new URI(location);
        } catch (URISyntaxException e) {
            throw new IOException("not a valid URI (" + e.getReason() + ")", e);
        }
    }
}
