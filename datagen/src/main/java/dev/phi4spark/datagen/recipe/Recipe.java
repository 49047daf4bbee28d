package dev.phi4spark.datagen.recipe;

import dev.phi4spark.datagen.seed.DiversitySampler;
import dev.phi4spark.datagen.seed.Seeds;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One synthetic-data recipe of the Phi-4 report: seeds in, training examples out. A recipe's templates
 * load and its parameters are checked when it is constructed, so a bad plan fails before Spark runs.
 */
public interface Recipe extends Serializable {

    /** The recipe's name in plans and in the {@code recipe} column, for example {@code textbook_section}. */
    String name();

    /**
     * The recipe's parameters in a canonical form ({@code k=5;low=0.4;high=0.8}), stored in the
     * {@code variant} column and hashed into row ids: changing a parameter gives new ids.
     */
    String variant();

    /** The kind of seed it reads. */
    Seeds.Kind seedKind();

    /** For topic seeds: the axes its prompts use; the others are left out of the draw and null. */
    default List<DiversitySampler.Axis> axes() {
        return List.of(DiversitySampler.Axis.values());
    }

    /** The table most recipes write. */
    String SYNTHETIC_RAW = "synthetic_raw";

    /**
     * The table the recipe's rows go to: {@value #SYNTHETIC_RAW} (rows in the
     * {@link dev.phi4spark.datagen.SyntheticSchema}) unless the recipe says otherwise, as the pair recipes
     * do ({@link dev.phi4spark.datagen.PairSchema#TABLE}).
     */
    default String table() {
        return SYNTHETIC_RAW;
    }

    /**
     * Whether the recipe checks its completions against the reference answer a seed source's
     * {@code answer_column} gives ({@link dev.phi4spark.datagen.seed.Seeds#SEED_ANSWER}); a source naming
     * one for a recipe that does not is refused, as the answers would be read and ignored.
     */
    default boolean checksReferenceAnswers() {
        return false;
    }

    /** Model calls per seed, for sizing a run. */
    default int callsPerSeed() {
        return 1;
    }

    /**
     * Builds the recipe's rows: every model call goes through {@code context.stage()}, once per step
     * over all rows.
     *
     * @param seeds seeds in the {@link Seeds#SCHEMA}, of {@link #seedKind()}
     * @param context the stage, sampling and output settings
     * @return rows in the {@link dev.phi4spark.datagen.SyntheticSchema}, one per seed (fewer when
     *     rejected rows are dropped)
     */
    Dataset<Row> run(Dataset<Row> seeds, RecipeContext context);
}
