package dev.phi4spark.jobs.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code phi4spark} command: Phi-4 on Spark for synthetic data, filtering and corpus scoring. */
@Command(name = "phi4spark", mixinStandardHelpOptions = true, version = "phi4spark 0.1.0",
        description = "Phi-4 inference on Apache Spark: synthetic textbook data, quality filtering and corpus scoring.",
        subcommands = {JobCommands.Generate.class, JobCommands.Filter.class, JobCommands.Score.class,
                JobCommands.Pipeline.class, ExportCommand.class, SqlCommand.class, ReportCommand.class, ModelCommand.class,
                ConfigCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Phi4SparkCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns its exit status, printing user errors as one line. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given output streams, for tests. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Phi4SparkCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("phi4spark: " + message(e));
            if (System.getenv("PHI4SPARK_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        try {
            return cli.execute(args);
        } finally {
            // Autoflush covers println only; text a command print()s must not be lost at System.exit.
            out.flush();
            err.flush();
        }
    }

    /** The first line of a message (Spark's carry plans, SQL and stack traces on the next lines). */
    static String oneLine(String message) {
        String trimmed = message.strip();
        int nl = trimmed.indexOf('\n');
        return nl < 0 ? trimmed : trimmed.substring(0, nl).strip();
    }

    /** The exception's own sentence; its causes only when it has none. */
    public static String message(Throwable e) {
        // A task's exception reaches the driver wrapped in Spark's "Job aborted due to stage failure: ...
        // Driver stacktrace:" (several lines); the project's own exception in the chain says it in one.
        for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
            if (c.getClass().getName().startsWith("dev.phi4spark") && c.getMessage() != null) {
                return oneLine(c.getMessage());
            }
        }
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        String text = t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
        return text + (t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t.getClass().getName().startsWith("dev.phi4spark") ? ""
                : " (" + t.getClass().getSimpleName() + "; set PHI4SPARK_DEBUG=1 for the stack trace)");
    }
}
