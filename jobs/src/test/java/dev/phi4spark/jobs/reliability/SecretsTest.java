package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Object-store keys given in {@code spark.conf} never show: not on stdout or stderr, not in any log line at
 * INFO and above, not in the {@code runs} table, not in any file of the warehouse (Delta logs included).
 * Issue 19 added credentials of every shape (camelCase names, lists, URIs with a password, nested maps)
 * walked through every output: dry run, job, {@code config show}, {@code report}, {@code sql} and logs.
 */
class SecretsTest {

    private static final String ACCESS = "AKIAFAKEACCESS7Q2W";
    private static final String SECRET = "s3cr3t/Fake+Secret0Value";
    private static final String AZURE = "QXp1cmVGYWtlS2V5U2VjcmV0==";
    private static final String TOKEN = "ghp_FakeToken0123456789";

    @TempDir
    Path tmp;

    /** Every log event's message and exception text, captured while a command runs. */
    static final class Capture extends AbstractAppender {
        final List<String> lines = new ArrayList<>();

        Capture() {
            super("capture", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public synchronized void append(LogEvent event) {
            String thrown = event.getThrown() == null ? "" : " " + event.getThrown();
            lines.add(event.getLevel() + " " + event.getLoggerName() + ": " + event.getMessage().getFormattedMessage()
                    + thrown);
        }

        synchronized String text() {
            return String.join("\n", lines);
        }
    }

    private static List<String> secretSettings() {
        return List.of("--set", "spark.conf.spark.hadoop.fs.s3a.access.key=" + ACCESS,
                "--set", "spark.conf.spark.hadoop.fs.s3a.secret.key=" + SECRET,
                "--set", "spark.conf.spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net=" + AZURE,
                "--set", "spark.conf.spark.hadoop.fs.gs.auth.access.token=" + TOKEN);
    }

    private static void assertNoSecret(String where, String text) {
        assertThat(text).as(where).doesNotContain(ACCESS).doesNotContain(SECRET).doesNotContain(AZURE)
                .doesNotContain(TOKEN);
    }

    @Test
    void keysInTheSparkConfDoNotLeak() throws IOException {
        Path warehouse = tmp.resolve("warehouse");
        JobsSpark.get();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        Level level = root.getLevel();
        Capture capture = new Capture();
        capture.start();
        root.addAppender(capture, Level.INFO, null);
        root.removeAppender("console"); // INFO lines go to the capture only, not the build's output
        root.setLevel(Level.INFO);
        ctx.updateLoggers();
        List<Cli.Run> runs = new ArrayList<>();
        try {
            List<String> args = new ArrayList<>(List.of("generate"));
            args.addAll(Cli.smallSettings(warehouse));
            args.addAll(List.of("--set", Cli.recipes(2)));
            args.addAll(secretSettings());
            List<String> dry = new ArrayList<>(args);
            dry.add("--dry-run");
            runs.add(Cli.run(dry.toArray(new String[0])));
            runs.add(Cli.run(args.toArray(new String[0])));
            // A failing run records its error: the secret must not be in it either.
            List<String> failing = new ArrayList<>(args);
            failing.set(0, "score");
            failing.addAll(List.of("--set", "score.input=" + tmp.resolve("missing.jsonl")));
            runs.add(Cli.run(failing.toArray(new String[0])));
        } finally {
            root.removeAppender("capture");
            root.addAppender(config.getAppender("console"), null, null);
            root.setLevel(level);
            ctx.updateLoggers();
            capture.stop();
        }
        assertThat(runs.get(0).status()).as("%s", runs.get(0)).isZero();
        assertThat(runs.get(0).out()).contains("\"spark.hadoop.fs.s3a.secret.key\" : \"*****\"")
                .contains("\"spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net\" : \"*****\"");
        assertThat(runs.get(1).status()).as("%s", runs.get(1)).isZero();
        assertThat(runs.get(2).status()).as("%s", runs.get(2)).isEqualTo(1);
        for (Cli.Run run : runs) {
            assertNoSecret("command output", run.out() + run.err());
        }
        assertThat(capture.lines).as("the capture saw the run").isNotEmpty();
        assertNoSecret("log lines", capture.text());

        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        List<Row> runRows = tables.read(TableStore.RUNS).toJSON().collectAsList().stream()
                .map(json -> org.apache.spark.sql.RowFactory.create(json)).toList();
        assertThat(runRows).hasSize(2);
        runRows.forEach(r -> assertNoSecret("runs table", r.getString(0)));
        assertThat(runRows.toString()).contains("*****");
        try (Stream<Path> files = Files.walk(warehouse)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertNoSecret(f.toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }
    }

    @Test
    void theSparkConfRedactsEveryKeyKind() {
        List<String> sets = new ArrayList<>();
        for (int i = 1; i < secretSettings().size(); i += 2) {
            sets.add(secretSettings().get(i));
        }
        org.apache.spark.SparkConf conf = dev.phi4spark.jobs.SparkSessions.conf(JobConfig.load(null, sets));
        String redacted = org.apache.spark.util.Utils.redact(conf, scala.Predef.wrapRefArray(conf.getAll()).toSeq())
                .mkString("\n");
        assertThat(redacted).contains("spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net");
        assertNoSecret("redacted Spark conf (Spark UI, event log)", redacted);
    }

    @Test
    void aMalformedSecretValueIsNotEchoedInTheError() {
        Cli.Run run = Cli.run("generate", "--dry-run", "--set", "spark.conf.spark.hadoop.fs.s3a.secret.key=[" + SECRET);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("phi4spark: Cannot read --set spark.conf.spark.hadoop.fs.s3a.secret.key: the"
                + " value (hidden: the key names a secret) is not a valid YAML value" + System.lineSeparator());
        Cli.Run plain = Cli.run("generate", "--dry-run", "--set", "sampling.stop=[a");
        assertThat(plain.err()).isEqualTo("phi4spark: Cannot read --set sampling.stop: '[a' is not a valid YAML value"
                + System.lineSeparator());
    }

    /** Issue 19: the credentials the first pattern missed, one as a list, one inside a URI. */
    private static final List<String> PLANTED = List.of("KeyStorePw0Planted", "JdoConnPw1Planted",
            "S3aEncKey2Planted", "S3aSseKey3Planted", "S3aSecretkey4Planted", "ListSecret5Planted",
            "ListSecret6Planted", "UriPassword7Planted", "RecipeToken8Planted");

    private static List<String> plantedSettings() {
        return List.of("--set", "spark.conf.spark.ssl.keyStorePassword=" + PLANTED.get(0),
                "--set", "spark.conf.spark.hadoop.javax.jdo.option.ConnectionPassword=" + PLANTED.get(1),
                "--set", "spark.conf.spark.hadoop.fs.s3a.encryption.key=" + PLANTED.get(2),
                "--set", "spark.conf.spark.hadoop.fs.s3a.server-side-encryption.key=" + PLANTED.get(3),
                "--set", "spark.conf.spark.hadoop.fs.s3a.secretkey=" + PLANTED.get(4),
                "--set", "spark.conf.spark.hadoop.fs.s3a.bucket.b.custom.signing.secret=[" + PLANTED.get(5) + ", "
                        + PLANTED.get(6) + "]",
                "--set", "spark.conf.spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:mysql://hive:" + PLANTED.get(7)
                        + "@db.example/metastore",
                "--set", "score.benchmarks=[{path: /none.jsonl, question: q, authToken: " + PLANTED.get(8) + "}]",
                "--set", Cli.recipes(2));
    }

    private static void assertNothingPlanted(String where, String text) {
        for (String s : PLANTED) {
            assertThat(text).as(where + " holds planted secret " + s).doesNotContain(s);
        }
    }

    @Test
    void plantedSecretsOfEveryShapeShowInNoOutput() throws IOException {
        Path warehouse = tmp.resolve("warehouse");
        JobsSpark.get();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        Level level = root.getLevel();
        Capture capture = new Capture();
        capture.start();
        root.addAppender(capture, Level.INFO, null);
        root.removeAppender("console");
        root.setLevel(Level.INFO);
        ctx.updateLoggers();
        List<Cli.Run> runs = new ArrayList<>();
        Path report = tmp.resolve("report.html");
        try {
            List<String> args = new ArrayList<>(List.of("generate"));
            args.addAll(Cli.smallSettings(warehouse));
            args.addAll(plantedSettings());
            List<String> dry = new ArrayList<>(args);
            dry.add("--dry-run");
            runs.add(Cli.run(dry.toArray(new String[0])));
            runs.add(Cli.run(args.toArray(new String[0])));
            List<String> show = new ArrayList<>(List.of("config", "show"));
            show.addAll(plantedSettings());
            runs.add(Cli.run(show.toArray(new String[0])));
            runs.add(Cli.run("report", "--set", "warehouse=" + warehouse, "--out", report.toString()));
            runs.add(Cli.run("sql", "--set", "warehouse=" + warehouse, "-e", "SELECT * FROM runs"));
        } finally {
            root.removeAppender("capture");
            root.addAppender(config.getAppender("console"), null, null);
            root.setLevel(level);
            ctx.updateLoggers();
            capture.stop();
        }
        for (Cli.Run run : runs) {
            assertThat(run.status()).as("%s", run).isZero();
            assertNothingPlanted("command output", run.out() + run.err());
        }
        assertThat(runs.get(0).out()).contains("\"spark.ssl.keyStorePassword\" : \"*****\"")
                .contains("\"spark.hadoop.fs.s3a.bucket.b.custom.signing.secret\" : \"*****\"")
                .contains("jdbc:mysql://hive:*****@db.example/metastore");
        assertThat(runs.get(2).out()).contains("\"spark.hadoop.fs.s3a.secretkey\" : \"*****\"")
                .contains("\"authToken\" : \"*****\"");
        assertThat(runs.get(4).out()).contains("*****");
        assertNothingPlanted("log lines", capture.text());
        String html = Files.readString(report);
        assertThat(html).contains("*****");
        assertNothingPlanted("HTML report", html);
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        assertNothingPlanted("runs table", String.join("\n", tables.read(TableStore.RUNS).toJSON().collectAsList()));
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertNothingPlanted(f.toString(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }
    }

    @Test
    void theNamePatternKnowsEachCredentialFormAndNoSetting() {
        for (String name : List.of("spark.ssl.keyStorePassword", "spark.hadoop.javax.jdo.option.ConnectionPassword",
                "fs.s3a.encryption.key", "fs.s3a.server-side-encryption.key", "fs.s3a.secretkey", "fs.s3a.access.key",
                "fs.azure.account.key.a.blob.core.windows.net", "fs.gs.auth.access.token", "fs.azure.sas.c.a",
                "API_KEY", "db.passwd", "github-token", "gcp.credentials.json", "spark.ssl.trustStorePassword")) {
            assertThat(dev.phi4spark.jobs.config.Secrets.isSecretName(name)).as(name).isTrue();
        }
        for (var key : dev.phi4spark.jobs.config.ConfigKeys.ALL) {
            assertThat(dev.phi4spark.jobs.config.Secrets.isSecretName(key.name())).as(key.name()).isFalse();
        }
        for (String name : List.of("spark.executor.memory", "fs.s3a.endpoint", "keyspace", "monkey", "tokenizer_path")) {
            assertThat(dev.phi4spark.jobs.config.Secrets.isSecretName(name)).as(name).isFalse();
        }
    }
}
