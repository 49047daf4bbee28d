package dev.phi4spark.filters.pipeline;

import java.io.Serializable;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Row counts through a pipeline run: the input, the rows each step removed (in order) and the rows
 * kept. {@code input == kept + sum(removed)} always holds.
 */
public record Funnel(long input, List<StepCount> steps, long kept) implements Serializable {

    /**
     * Rows one step removed and the rows left after it; for a cleaning step such as {@code pii},
     * also the edits it made per kind (for example {@code EMAIL -> 12}), else empty.
     */
    public record StepCount(String step, long removed, long remaining, Map<String, Long> edits)
            implements Serializable {
        public StepCount {
            edits = Collections.unmodifiableMap(new TreeMap<>(edits));
        }

        /** A step that edits nothing. */
        public StepCount(String step, long removed, long remaining) {
            this(step, removed, remaining, Map.of());
        }
    }

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
            if (!s.edits().isEmpty()) {
                sb.append(' ').append(s.edits());
            }
        }
        return sb.append(" -> kept ").append(kept).toString();
    }
}
