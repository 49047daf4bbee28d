package dev.phi4spark.jobs.storage;

import dev.phi4spark.jobs.TempFolders;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-compatible server for the storage tests: {@code s3rver} (npm, installed by
 * {@code .ci/install-test-deps.sh} into {@code .ci/node}) on a free port of 127.0.0.1, with one bucket,
 * stopped with the JVM. The S3A client talks to it as to any S3 endpoint (path-style) over TLS with a
 * certificate made for the test and trusted by this JVM: over plain HTTP the AWS SDK signs uploads in
 * {@code aws-chunked} frames, which s3rver would store as they are, framing included.
 */
public final class S3Server implements AutoCloseable {

    /** The credentials s3rver accepts. */
    public static final String ACCESS_KEY = "S3RVER";
    public static final String SECRET_KEY = "S3RVER";

    private static final Path BIN = Path.of("..", ".ci", "node", "node_modules", ".bin", "s3rver").toAbsolutePath().normalize();

    private final Process process;
    private final int port;
    private final String bucket;
    private final Path log;

    private S3Server(Process process, int port, String bucket, Path log) {
        this.process = process;
        this.port = port;
        this.bucket = bucket;
        this.log = log;
    }

    /** Starts a server with {@code bucket}; fails the test with the install command when s3rver is missing. */
    public static S3Server start(String bucket) {
        if (!Files.isExecutable(BIN)) {
            throw new AssertionError("s3rver is not installed at " + BIN + ": run 'bash .ci/install-test-deps.sh'"
                    + " (npm install --prefix .ci/node s3rver@3.7.1), as .ci/run does");
        }
        try {
            Path dir = TempFolders.create("s3rver");
            Path log = dir.resolve("s3rver.log");
            trust(certificate(dir));
            int port = freePort();
            ProcessBuilder pb = new ProcessBuilder(BIN.toString(), "-d", dir.resolve("data").toString(), "-a", "127.0.0.1",
                    "-p", String.valueOf(port), "--key", dir.resolve("key.pem").toString(),
                    "--cert", dir.resolve("cert.pem").toString(), "--silent", "--configure-bucket", bucket);
            // s3rver makes list continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider:
            // without it every truncated listing (S3A's directory probes) answers 500.
            pb.environment().put("NODE_OPTIONS", "--openssl-legacy-provider");
            Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            S3Server server = new S3Server(p, port, bucket, log);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            server.awaitUp();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A self-signed certificate for 127.0.0.1 (key.pem, cert.pem in {@code dir}), made with openssl. */
    private static Path certificate(Path dir) throws IOException {
        Path log = dir.resolve("openssl.log");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("openssl could not make a certificate: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return dir.resolve("cert.pem");
    }

    /** The trust store of this JVM's TLS clients: the JDK's CA certificates plus the test server's. */
    private static synchronized void trust(Path cert) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            String existing = System.getProperty("javax.net.ssl.trustStore");
            Path cacerts = existing != null ? Path.of(existing)
                    : Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
            String password = System.getProperty("javax.net.ssl.trustStorePassword", "changeit");
            try (InputStream in = Files.newInputStream(cacerts)) {
                store.load(in, password.toCharArray());
            }
            try (InputStream in = Files.newInputStream(cert)) {
                store.setCertificateEntry("s3rver-" + System.nanoTime(),
                        CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            Path file = TempFolders.create("phi4spark-truststore").resolve("truststore.p12");
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, "changeit".toCharArray());
            }
            System.setProperty("javax.net.ssl.trustStore", file.toString());
            System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
            System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        } catch (GeneralSecurityException e) {
            throw new IOException("Cannot trust the test certificate: " + e.getMessage(), e);
        }
    }

    /** The JVM options a child JVM needs to trust this server. */
    public List<String> trustOptions() {
        return List.of("-Djavax.net.ssl.trustStore=" + System.getProperty("javax.net.ssl.trustStore"),
                "-Djavax.net.ssl.trustStorePassword=" + System.getProperty("javax.net.ssl.trustStorePassword"),
                "-Djavax.net.ssl.trustStoreType=" + System.getProperty("javax.net.ssl.trustStoreType"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void awaitUp() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("s3rver exited: " + Files.readString(log, StandardCharsets.UTF_8));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep();
            }
        }
        throw new AssertionError("s3rver did not listen on 127.0.0.1:" + port + " within 60 s");
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code s3a://bucket/path}. */
    public String uri(String path) {
        return "s3a://" + bucket + "/" + path.replaceFirst("^/+", "");
    }

    /** The S3A settings that reach this server, without the {@code spark.hadoop.} prefix. */
    public Map<String, String> hadoopSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("fs.s3a.endpoint", "https://127.0.0.1:" + port);
        s.put("fs.s3a.endpoint.region", "us-east-1");
        s.put("fs.s3a.path.style.access", "true");
        s.put("fs.s3a.connection.ssl.enabled", "true");
        s.put("fs.s3a.access.key", ACCESS_KEY);
        s.put("fs.s3a.secret.key", SECRET_KEY);
        s.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        // s3rver returns no checksums or version ids: S3A must not insist on either.
        s.put("fs.s3a.change.detection.mode", "none");
        s.put("fs.s3a.change.detection.version.required", "false");
        // Each test's server has its own port: a cached FileSystem would keep talking to the old one.
        s.put("fs.s3a.impl.disable.cache", "true");
        s.put("fs.s3a.attempts.maximum", "3");
        s.put("fs.s3a.retry.limit", "3");
        // Upload blocks go in this server's temporary folder, deleted with it; S3A's default,
        // ${hadoop.tmp.dir}/s3a (/tmp/hadoop-$USER/s3a), would outlive the suite.
        s.put("fs.s3a.buffer.dir", bufferDir().toString());
        return s;
    }

    /** Where S3A buffers the blocks it uploads to this server. */
    public Path bufferDir() {
        return log.getParent().resolve("s3a-buffer");
    }

    /** Applies {@link #hadoopSettings()} to a Hadoop configuration. */
    public void configure(Configuration conf) {
        hadoopSettings().forEach(conf::set);
    }

    /** The settings as {@code spark.conf} entries of a phi4spark config ({@code spark.hadoop.*}). */
    public List<String> sparkConfEntries() {
        return hadoopSettings().entrySet().stream().map(e -> "spark.hadoop." + e.getKey() + ": \"" + e.getValue() + "\"")
                .toList();
    }

    /** The server's log (one line per request, errors with their stack). */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
