package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.Generator;
import org.apache.spark.TaskContext;

/**
 * Ends a killed Spark task at the next decode step or batch. Spark only marks a task killed (a cancelled
 * job or notebook cell, an aborted stage, a speculative copy that lost) and leaves the stopping to the task
 * ({@code spark.task.interruptOnCancel} is off by default); its own checks come between input rows, and a
 * window of rows can decode for minutes, holding the GPU all that time.
 */
final class TaskKill {

    private TaskKill() {}

    /** Throws Spark's {@code TaskKilledException} when the current task has been killed; outside a task, nothing. */
    static void check() {
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.killTaskIfInterrupted();
        }
    }

    /** {@link #check()} after every decode step. */
    static final Generator.StepListener AFTER_EACH_STEP = (step, rows) -> check();
}
