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
        TableMixin.install(cli);
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

    /** The exception's own sentence, its causes only when it has none, with URI passwords masked. */
    public static String message(Throwable e) {
        return dev.phi4spark.jobs.config.Secrets.maskText(unmasked(e));
    }

    private static String unmasked(Throwable e) {
        // A task's exception reaches the driver wrapped in Spark's "Job aborted due to stage failure: ...
        // Driver stacktrace:" (several lines); the project's own exception in the chain says it in one.
        for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
            if (c.getClass().getName().startsWith("dev.phi4spark") && c.getMessage() != null) {
                return oneLine(c.getMessage());
            }
        }
        String disk = diskFault(e);
        if (disk != null) {
            return disk;
        }
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        String text = t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
        return withHint(t, text);
    }

    /** Operating-system errors of a storage fault, as they appear in exception messages, and what to say. */
    private static final String[][] DISK_FAULTS = {
        {"No space left on device", "the disk is full", "free space"},
        {"Disk quota exceeded", "the disk quota is used up", "free space"},
        {"Read-only file system", "the file system is read-only", "make it writable"},
        {"Permission denied", "a file or folder cannot be accessed", "fix its permissions"},
        {"AccessDeniedException", "a file or folder cannot be accessed", "fix its permissions"},
        {"Operation not permitted", "a file or folder cannot be changed", "fix its permissions or attributes"},
    };

    /**
     * One line for a storage fault during a write (a full disk, a warehouse turned read-only): Spark wraps the
     * OS error in TASK_WRITE_FAILED and hundreds of lines of task traces, but all a user needs is what happened
     * and that Delta's atomic commits left every earlier commit intact.
     */
    static String diskFault(Throwable e) {
        for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
            String text = c.getClass().getName() + " " + c.getMessage();
            for (String[] fault : DISK_FAULTS) {
                if (text.contains(fault[0])) {
                    return "Cannot read or write files: " + fault[1] + " (" + fault[0] + "); rows committed before the"
                            + " fault are intact: " + fault[2] + " and rerun with --resume to finish";
                }
            }
        }
        return null;
    }

    private static String withHint(Throwable t, String text) {
        return text + (t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t.getClass().getName().startsWith("dev.phi4spark") ? ""
                : " (" + t.getClass().getSimpleName() + "; set PHI4SPARK_DEBUG=1 for the stack trace)");
    }
}
