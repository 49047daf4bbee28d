package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.delta.RunRecorder;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a run that a signal stops (SIGTERM from Airflow, Kubernetes or YARN, Ctrl-C) as {@code failed},
 * with the reason, instead of leaving it {@code running} until its heartbeat goes stale.
 *
 * <p>A shutdown hook that ran the {@code runs} write itself waited behind the tasks still generating (a
 * Delta MERGE needs task slots) and hit Hadoop's 30 s hook timeout. So the hook, which runs before Spark's
 * own (it stops the SparkContext), cancels the run's Spark jobs and keeps cancelling new ones; the
 * transformers stop at their next decode step, the command's action fails, and the command records the
 * failure on its own thread through {@link #beginFailureRecord()}. Only if that takes longer than
 * {@link #GRACE_SECONDS} does the hook record it itself.
 */
final class RunStopper implements AutoCloseable {

    /** Before Spark's hook (40: {@code FileSystem.SHUTDOWN_HOOK_PRIORITY + 30}), which stops the SparkContext. */
    static final int PRIORITY = 50;
    /** How long the hook waits for the command to record the failure: well inside Kubernetes' default 30 s. */
    static final long GRACE_SECONDS = 15;
    /** The hook's whole time, its own record included (Hadoop interrupts it after this). */
    static final long HOOK_SECONDS = 25;
    private static final long CANCEL_EVERY_MILLIS = 200;
    private static final Logger LOG = LoggerFactory.getLogger(RunStopper.class);

    /** The error a stopped run is recorded with. */
    static final String STOPPED = "Cannot finish the run: the process was stopped (SIGTERM, Ctrl-C or an exit) while it"
            + " ran; the rows it committed are kept (run the command again with --resume to finish it)";

    /** What a stopped command throws: the project's own exception, so the CLI prints {@link #STOPPED}. */
    static final class StoppedException extends RuntimeException {
        StoppedException(Throwable cause) {
            super(STOPPED, cause);
        }
    }

    private enum State { RUNNING, STOPPING, RECORDING, ENDED }

    private final SparkContext spark;
    private final RunRecorder run;
    private final long graceNanos;
    private final Runnable hook = this::stop;
    private final CountDownLatch ended = new CountDownLatch(1);
    private State state = State.RUNNING;
    private boolean stopped;

    RunStopper(SparkContext spark, RunRecorder run, long graceNanos) {
        this.spark = spark;
        this.run = run;
        this.graceNanos = graceNanos;
    }

    /** Installs the hook for one run; close it when the run's outcome is recorded. */
    static RunStopper install(SparkContext spark, RunRecorder run) {
        RunStopper stopper = new RunStopper(spark, run, TimeUnit.SECONDS.toNanos(GRACE_SECONDS));
        ShutdownHookManager.get().addShutdownHook(stopper.hook, PRIORITY, HOOK_SECONDS, TimeUnit.SECONDS);
        return stopper;
    }

    /**
     * Called by the command before it records a failure: true when the failure comes from a stop, so the
     * command records {@link #STOPPED}. From here on the hook cancels nothing, so the record's own write runs.
     */
    synchronized boolean beginFailureRecord() {
        if (state != State.ENDED) {
            state = State.RECORDING;
        }
        return stopped;
    }

    /** The run's outcome is recorded: the hook may return (or is removed, when no stop came). */
    @Override
    public void close() {
        synchronized (this) {
            state = State.ENDED;
        }
        ended.countDown();
        if (!ShutdownHookManager.get().isShutdownInProgress()) {
            ShutdownHookManager.get().removeShutdownHook(hook);
        }
    }

    /** The hook's work (package-private for tests: a JVM's shutdown cannot be run twice). */
    void stop() {
        synchronized (this) {
            stopped = true;
            if (state == State.ENDED) {
                return;
            }
            if (state == State.RUNNING) { // else the command is recording an outcome already: only wait for it
                state = State.STOPPING;
            }
        }
        LOG.warn("Stopping run {}: cancelling its Spark jobs", run.runId());
        long deadline = System.nanoTime() + graceNanos;
        try {
            // Again and again: the command may submit another job (the next chunk, a commit) after a cancel.
            while (!ended.await(CANCEL_EVERY_MILLIS, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
                synchronized (this) {
                    if (state == State.STOPPING) {
                        spark.cancelAllJobs();
                    }
                }
            }
            if (ended.getCount() > 0 && takeRecord()) {
                LOG.warn("Run {} did not end within {} s of the stop; recording it as failed", run.runId(),
                        TimeUnit.NANOSECONDS.toSeconds(graceNanos));
                run.failed(STOPPED);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Cannot record run {} as stopped: {}", run.runId(), e.getMessage());
        }
    }

    /** True when the command has not begun recording its outcome: the hook records instead. */
    private synchronized boolean takeRecord() {
        if (state != State.STOPPING) {
            return false;
        }
        state = State.RECORDING;
        return true;
    }
}
