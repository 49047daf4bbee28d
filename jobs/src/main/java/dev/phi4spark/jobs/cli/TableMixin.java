package dev.phi4spark.jobs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A picocli mixin whose options are made from a table ({@code ModelOptions}, {@code SamplingParams.FIELDS})
 * instead of annotated fields. Picocli finds options only through annotations, so {@link #install} adds
 * them to each command that mixes such a group in, once the command line is built.
 */
interface TableMixin {

    /** Adds this group's options to {@code command}; called once per command by {@link #install}. */
    void addTo(CommandSpec command);

    /** Adds the table-made options to every command under {@code root} that mixes a table group in. */
    static void install(CommandLine root) {
        for (CommandSpec mixin : root.getCommandSpec().mixins().values()) {
            if (mixin.userObject() instanceof TableMixin group) {
                group.addTo(root.getCommandSpec());
            }
        }
        root.getSubcommands().values().forEach(TableMixin::install);
    }
}
