package dev.phi4spark.jobs.reliability;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@code java} process on the test classpath (a driver, a Spark Master or Worker), its output in files,
 * ended by its own handle (and its children's) when closed.
 */
final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final Path out;
    private final Path err;

    private ChildJvm(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code java -Xmx<heap> -cp <test classpath> <mainClass> args} with the Spark test environment. */
    static ChildJvm start(Path dir, String name, String heap, Path sparkHome, String mainClass, String... args)
            throws IOException {
        return start(List.of(), dir, name, heap, sparkHome, mainClass, args);
    }

    /** The same with JVM options before the main class ({@link #CLIENT_COMPILER}, for example). */
    static ChildJvm start(List<String> jvmOptions, Path dir, String name, String heap, Path sparkHome, String mainClass,
            String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx" + heap, "-cp", System.getProperty("java.class.path"),
                "-Dlog4j2.configurationFile=log4j2-test.xml", tmpdirOption(dir)));
        cmd.addAll(jvmOptions);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return new ChildJvm(pb.start(), out, err);
    }

    /**
     * The client compiler only, for a test's short-lived JVMs (a Spark Master or Worker, a driver or executor
     * of a few thousand tiny-model rows): the server compiler's work is most of their CPU (JFR: 113 s of
     * compilation in ExecutorLossTest's driver), taken from the job on a two-core machine. Long runs and the
     * application jar's tests keep the default (docs/benchmarks.md, "Test suite time").
     */
    static final String CLIENT_COMPILER_OPTION = "-XX:TieredStopAtLevel=1";
    static final List<String> CLIENT_COMPILER = List.of(CLIENT_COMPILER_OPTION);

    /**
     * {@code -Djava.io.tmpdir} in the test's own folder: a JVM the test kills (SIGKILL: no shutdown hook
     * runs) would otherwise leave Spark's {@code spark-*}, {@code blockmgr-*} and {@code artifacts-*}
     * folders and lz4's and snappy's native libraries in /tmp, one set per kill.
     */
    static String tmpdirOption(Path dir) throws IOException {
        return "-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("java-tmp"));
    }

    /** An empty SPARK_HOME (a {@code jars} folder and nothing else): the classes come from the classpath. */
    static Path sparkHome(Path dir) throws IOException {
        return Files.createDirectories(dir.resolve("spark-home/jars")).getParent();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Process process() {
        return process;
    }

    String out() throws IOException {
        return Files.exists(out) ? Files.readString(out, StandardCharsets.ISO_8859_1) : "";
    }

    String err() throws IOException {
        return Files.exists(err) ? Files.readString(err, StandardCharsets.ISO_8859_1) : "";
    }

    /** The last lines of both outputs, for assertion messages. */
    String tail() throws IOException {
        List<String> lines = new ArrayList<>((out() + "\n--- stderr\n" + err()).lines().toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** Waits until stdout+stderr satisfy {@code ready}; false on timeout or when the process ends first. */
    boolean await(Predicate<String> ready, long seconds) throws IOException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            if (ready.test(out() + err())) {
                return true;
            }
            if (!process.isAlive()) {
                return ready.test(out() + err());
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Waits until the process accepts connections on {@code port} (the test logs stay at WARN, so no log line tells). */
    boolean awaitPort(int port, long seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until && process.isAlive()) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        return false;
    }

    /** Waits for the exit status, or -1 on timeout. */
    int waitFor(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    /** Kills the process and its children at once (SIGKILL): no shutdown hooks run. */
    void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive() || process.descendants().findAny().isPresent()) {
            kill();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
