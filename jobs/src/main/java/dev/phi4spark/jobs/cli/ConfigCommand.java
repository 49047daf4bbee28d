package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code phi4spark config ...}: the configuration reference and the resolved values. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Configuration keys and resolved values.",
        subcommands = {ConfigCommand.Keys.class, ConfigCommand.Steps.class, ConfigCommand.Show.class})
public final class ConfigCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code config keys}: every key, its type, default and meaning (Markdown). */
    @Command(name = "keys", mixinStandardHelpOptions = true, description = "Print every configuration key as a Markdown table.")
    static final class Keys implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().print(ConfigKeys.markdownTable());
        }
    }

    /** {@code config steps}: every filter step and its parameters (Markdown), from the step registry. */
    @Command(name = "steps", mixinStandardHelpOptions = true,
            description = "Print every filter step (filter.steps) and its parameters as a Markdown table.")
    static final class Steps implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().print(dev.phi4spark.filters.pipeline.StepSpecs.markdownTable());
        }
    }

    /** {@code config show}: the resolved configuration, secrets masked. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the resolved configuration as JSON.")
    static final class Show implements Runnable {
        @Option(names = "--config", description = "YAML configuration file.")
        String config;

        @Option(names = "--set", description = "key=value override (repeatable).")
        List<String> sets = new ArrayList<>();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().println(JobConfig.loadFrom(config, sets).toJson());
        }
    }
}
