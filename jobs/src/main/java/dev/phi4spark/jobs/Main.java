package dev.phi4spark.jobs;

import dev.phi4spark.jobs.cli.Phi4SparkCommand;

/** Entry point of {@code bin/phi4spark} and of {@code spark-submit --class dev.phi4spark.jobs.Main}. */
public final class Main {

    private Main() {}

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(Phi4SparkCommand.run(args));
    }
}
