package dev.phi4spark.datagen;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What {@link Datagen#run} returns: the rows, still lazy, and the plan they come from.
 *
 * @param rows every recipe's rows in the {@link SyntheticSchema}, unioned in plan order; computing
 *     them runs the model, so write them once (or cache them) rather than run several actions
 * @param planned one entry per recipe of the plan
 * @param tables rows of the recipes that write another table than synthetic_raw (the pair recipes),
 *     by table
 */
public record DatagenResult(Dataset<Row> rows, List<Planned> planned, java.util.Map<String, Dataset<Row>> tables) {

    /**
     * One recipe's share of the plan.
     *
     * @param recipe the recipe's name
     * @param variant its canonical parameters
     * @param seeds the seeds it runs on: the count asked for, or fewer when a text source has fewer
     * @param modelCalls the model calls those seeds take
     */
    public record Planned(String recipe, String variant, long seeds, long modelCalls) {
    }

    /** Checks and copies. */
    public DatagenResult {
        planned = List.copyOf(planned);
        tables = tables == null ? java.util.Map.of() : java.util.Map.copyOf(tables);
    }

    /** A result whose recipes all write synthetic_raw. */
    public DatagenResult(Dataset<Row> rows, List<Planned> planned) {
        this(rows, planned, null);
    }

    /**
     * The planned row count: one row per seed. Equal to the row count when rejected rows are kept;
     * with them dropped, the rows are those of the planned that were accepted.
     */
    public long plannedRows() {
        return planned.stream().mapToLong(Planned::seeds).sum();
    }

    /** The planned model calls, for sizing a run. */
    public long plannedModelCalls() {
        return planned.stream().mapToLong(Planned::modelCalls).sum();
    }
}
