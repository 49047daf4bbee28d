package dev.phi4spark.datagen.stage;

import dev.phi4spark.udf.spark.Phi4Judge;
import dev.phi4spark.udf.spark.Phi4Options;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The {@link JudgeStage} of the real model: {@link Phi4Judge}, whose score is the expected digit of its
 * rubric (0 to 5 for the default FineWeb-Edu educational-value rubric). Besides the two columns of the
 * contract it adds {@code <prefix>argmax} and {@code <prefix>distribution}, which seed building drops.
 */
public final class Phi4JudgeStage implements JudgeStage {

    private static final long serialVersionUID = 1L;

    private final Phi4Options options;
    private final String rubric;

    /** A judge with Phi4Judge's default rubric. */
    public Phi4JudgeStage(Phi4Options options) {
        this(options, null);
    }

    /**
     * A judge with its own rubric.
     *
     * @param options where the model is and how to run it
     * @param rubric a user turn with a {@code {document}} placeholder ending in the grading question, or
     *     null for the default
     */
    public Phi4JudgeStage(Phi4Options options, String rubric) {
        this.options = Objects.requireNonNull(options, "options");
        this.rubric = rubric;
        options.requireModelPath();
    }

    @Override
    public Dataset<Row> judge(Dataset<Row> input, String textColumn, String outputPrefix) {
        return transformer(textColumn, outputPrefix).transform(input);
    }

    /** The judge of one call: every model option, batching included, from the stage's options. */
    Phi4Judge transformer(String textColumn, String outputPrefix) {
        Phi4Judge judge = new Phi4Judge()
                .setOptions(options)
                .setInputCol(textColumn)
                .setScoreCol(outputPrefix + SCORE)
                .setArgmaxCol(outputPrefix + "argmax")
                .setDistributionCol(outputPrefix + "distribution")
                .setErrorCol(outputPrefix + ERROR);
        if (rubric != null) {
            judge.setRubric(rubric);
        }
        return judge;
    }
}
