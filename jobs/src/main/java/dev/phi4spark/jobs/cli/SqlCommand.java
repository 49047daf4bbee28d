package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.sql.ProjectSql;
import dev.phi4spark.jobs.sql.ResultPrinter;
import dev.phi4spark.jobs.sql.SqlStatements;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phi4spark sql}: Spark SQL on the embedded Spark with Delta, the project's tables registered by
 * name and the Phi-4 functions ready. {@code -e} and {@code -f} run statements and stop at the first
 * error (exit 1); without them a prompt reads statements from stdin until {@code exit} or end of input,
 * and an error there is printed and the prompt goes on.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = {"Spark SQL over the project's tables (synthetic_raw, synthetic_curated, synthetic_rejected,"
                + " corpus_scores, runs) with phi4_generate, phi4_score and phi4_judge.",
                "Without -e or -f: an interactive prompt; end statements with ';', leave with exit or quit."})
public final class SqlCommand implements Callable<Integer> {

    static final String PROMPT = "phi4spark> ";
    static final String CONTINUATION = "         > ";

    @Mixin
    SessionOptions session;

    @Option(names = {"-e", "--execute"}, paramLabel = "SQL", description = "Run these statements (';'-separated) and exit.")
    String execute;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Run the statements of this file and exit.")
    Path file;

    @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT",
            description = "table, csv or json (JSON lines) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--max-rows", defaultValue = "1000",
            description = "Most rows printed per query (default: ${DEFAULT-VALUE}).")
    int maxRows;

    @Option(names = "--truncate", defaultValue = "0",
            description = "Cut table cells longer than this many characters (0: never; default: ${DEFAULT-VALUE}).")
    int truncate;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (execute != null && file != null) {
            throw new IllegalArgumentException("Cannot run SQL: give -e or -f, not both");
        }
        ResultPrinter printer = new ResultPrinter(ResultPrinter.format(format), maxRows, truncate);
        String script = execute != null ? execute : file != null ? read(file) : null;
        ProjectSql sql = ProjectSql.open(session.load(), err::println);
        if (script != null) {
            return runAll(sql, SqlStatements.split(script), printer, out, err) ? 0 : 1;
        }
        repl(sql, printer, out, err);
        return 0;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("Cannot read the SQL file: it does not exist (" + file + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the SQL file: " + e.getMessage() + " (" + file + ")", e);
        }
    }

    /** Runs the statements in order; false at the first that fails. */
    static boolean runAll(ProjectSql sql, List<String> statements, ResultPrinter printer, PrintWriter out,
            PrintWriter err) {
        for (String s : statements) {
            if (!runOne(sql, s, printer, out, err)) {
                return false;
            }
        }
        return true;
    }

    /** Runs one statement and prints its result, or its error as one line. */
    static boolean runOne(ProjectSql sql, String statement, ResultPrinter printer, PrintWriter out, PrintWriter err) {
        try {
            printer.print(sql.sql(statement), out);
            return true;
        } catch (Exception e) { // Spark's AnalysisException is checked in Java's eyes, yet thrown undeclared
            out.flush();
            err.println("phi4spark: Cannot run query: " + firstLine(e));
            err.flush();
            return false;
        }
    }

    /** Spark's message up to its first line break: the plan it appends is noise at a prompt. */
    static String firstLine(Throwable e) {
        String message = Phi4SparkCommand.message(e);
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).trim();
    }

    private void repl(ProjectSql sql, ResultPrinter printer, PrintWriter out, PrintWriter err) {
        boolean interactive = System.console() != null;
        if (interactive) {
            out.println("phi4spark SQL on Spark " + sql.spark().version() + ". Tables: "
                    + (sql.tables().isEmpty() ? "(none yet)" : String.join(", ", sql.tables()))
                    + ". End statements with ';'; exit or quit to leave.");
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder buffer = new StringBuilder();
        try {
            while (true) {
                if (interactive) {
                    out.print(buffer.isEmpty() ? PROMPT : CONTINUATION);
                    out.flush();
                }
                String line = in.readLine();
                if (line == null || buffer.toString().isBlank() && isExit(line)) {
                    break;
                }
                buffer.append(line).append('\n');
                SqlStatements.Scan scan = SqlStatements.scan(buffer.toString());
                scan.statements().forEach(s -> runOne(sql, s, printer, out, err));
                buffer.setLength(0);
                buffer.append(scan.rest().isBlank() ? "" : scan.rest());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read statements from stdin: " + e.getMessage(), e);
        }
        if (!buffer.toString().isBlank()) {
            runOne(sql, buffer.toString().trim(), printer, out, err);
        }
    }

    private static boolean isExit(String line) {
        String word = line.trim().toLowerCase(Locale.ROOT).replaceAll(";$", "").trim();
        return word.equals("exit") || word.equals("quit");
    }
}
