package dev.phi4spark.jobs.cli;

import dev.phi4spark.udf.engine.SamplingField;
import dev.phi4spark.udf.engine.SamplingParams;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The sampling options of {@code model generate}: one option per row of {@link SamplingParams#FIELDS}
 * ({@code max_new_tokens} is {@code --max-new-tokens}, the list field {@code stop} a repeatable
 * {@code --stop}), with the row's doc and default, added by {@link TableMixin#install}. A new sampling
 * field is a new option here without an edit.
 */
@Command // picocli takes a class as a mixin only when it is annotated; the options come from install()
public final class SamplingOptionsMixin implements TableMixin {

    private final Map<SamplingField<?>, OptionSpec> options = new LinkedHashMap<>();

    @Override
    public void addTo(CommandSpec command) {
        if (!options.isEmpty()) {
            return;
        }
        for (SamplingField<?> f : SamplingParams.FIELDS) {
            OptionSpec spec = f.type() == List.class ? repeatable(f) : single(f);
            command.addOption(spec);
            options.put(f, spec);
        }
    }

    private static OptionSpec single(SamplingField<?> f) {
        Class<?> type = f.type() == Double.class ? double.class : f.type() == Integer.class ? int.class : long.class;
        return OptionSpec.builder(f.cliName()).type(type)
                .paramLabel("<" + f.name() + ">")
                .defaultValue(String.valueOf(f.defaultValue()))
                .description(f.doc() + " Default: ${DEFAULT-VALUE}.")
                .build();
    }

    private static OptionSpec repeatable(SamplingField<?> f) {
        return OptionSpec.builder(f.cliName()).type(List.class).auxiliaryTypes(String.class)
                .paramLabel("<" + f.name() + ">")
                .description(f.doc() + " Repeatable.")
                .build();
    }

    /** The options as sampling parameters, checked by {@link SamplingParams}'s rules. */
    public SamplingParams toParams() {
        if (options.isEmpty()) {
            throw new IllegalStateException("Cannot read sampling options: TableMixin.install was not called on"
                    + " this command line (" + this + ").");
        }
        return SamplingParams.of(f -> {
            Object v = options.get(f).getValue();
            return v == null ? f.defaultValue() : v;
        });
    }
}
