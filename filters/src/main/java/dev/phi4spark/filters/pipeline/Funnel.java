package dev.phi4spark.filters.pipeline;

import java.io.Serializable;
import java.util.List;

/**
 * Row counts through a pipeline run: the input, the rows each step removed (in order) and the rows
 * kept. {@code input == kept + sum(removed)} always holds.
 */
public record Funnel(long input, List<StepCount> steps, long kept) implements Serializable {

    /** Rows one step removed and the rows left after it. */
    public record StepCount(String step, long removed, long remaining) implements Serializable {}

    public Funnel {
        steps = List.copyOf(steps);
    }

    /** Sum of the rows removed by all steps. */
    public long removed() {
        return steps.stream().mapToLong(StepCount::removed).sum();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("input ").append(input);
        for (StepCount s : steps) {
            sb.append(" -> ").append(s.step()).append(" -").append(s.removed());
        }
        return sb.append(" -> kept ").append(kept).toString();
    }
}
