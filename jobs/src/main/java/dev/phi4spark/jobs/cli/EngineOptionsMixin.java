package dev.phi4spark.jobs.cli;

import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The engine options every engine command takes: one option per engine row of {@link ModelOptions}
 * ({@code prefill_chunk} is {@code --prefill-chunk}), with the table's default and doc, added by
 * {@link TableMixin#install} to each command that mixes this group in.
 */
@Command // picocli takes a class as a mixin only when it is annotated; the options come from install()
public final class EngineOptionsMixin implements TableMixin {

    private final Map<String, OptionSpec> options = new LinkedHashMap<>();

    @Override
    public void addTo(CommandSpec command) {
        if (!options.isEmpty()) {
            return;
        }
        for (ModelOption<?> o : ModelOptions.of(ModelOption.Scope.ENGINE)) {
            OptionSpec spec = OptionSpec.builder(o.cliName())
                    .type(o.type() == Integer.class ? int.class : String.class)
                    .paramLabel("<" + o.paramName() + ">")
                    .defaultValue(String.valueOf(o.defaultValue()))
                    .description(o.doc() + " Default: ${DEFAULT-VALUE}.")
                    .build();
            command.addOption(spec);
            options.put(o.name(), spec);
        }
    }

    /** The options as the engine takes them, checked by the table's rules. */
    public EngineOptions toOptions() {
        if (options.isEmpty()) {
            throw new IllegalStateException("Cannot read engine options: TableMixin.install was not called"
                    + " on this command line (" + this + ").");
        }
        return EngineOptions.of(o -> options.get(o.name()).getValue());
    }
}
