/**
 * Phi-4 in Spark: ML Transformers, SQL functions, and the executor-side model registry they share.
 *
 * <h2>Throughput path: the Transformers</h2>
 * {@link dev.phi4spark.udf.spark.Phi4Generator} (completions), {@link dev.phi4spark.udf.spark.Phi4Scorer}
 * (mean log-probability and perplexity) and {@link dev.phi4spark.udf.spark.Phi4Judge} (FineWeb-Edu style
 * 0-5 judge from digit probabilities) are {@code org.apache.spark.ml.Transformer}s with typed params, so
 * they save and load inside a {@code Pipeline}. Each keeps every input column, appends its outputs and an
 * error column, and never collects rows to the driver: every partition is read in windows of
 * {@code windowRows} rows, tokenized, sorted by length into batches under {@code maxBatchTokens} and
 * {@code maxBatchRows} ({@link dev.phi4spark.udf.spark.BatchPlanner}), run, and written back in input
 * order. A bad row (null, empty, too long) gets an error and the job goes on, unless
 * {@code failOnError} is set.
 *
 * <p>The output of a transform is computed when an action runs it, and again by every further action:
 * persist or write it once rather than calling {@code count()} then {@code write()} (an
 * {@code orderBy} runs it twice too, once to sample the range partitioner).
 *
 * <h2>One model per executor</h2>
 * Transformers and functions carry only {@link dev.phi4spark.udf.spark.Phi4Options} to the executors;
 * {@link dev.phi4spark.udf.spark.ModelRegistry} loads the engine there on first use, once per JVM and
 * options, shares it between that executor's tasks, and closes it at shutdown. A model given as a URI
 * is copied once per machine by {@link dev.phi4spark.udf.spark.ModelStager}. The device comes from
 * {@link dev.phi4spark.udf.spark.DeviceSelector}: the task's Spark GPU address when GPU scheduling is
 * on (see {@code conf/spark-gpu.conf}), else GPU 0 or the CPU.
 *
 * <h2>Ad hoc path: SQL functions</h2>
 * {@link dev.phi4spark.udf.spark.Phi4Functions#register} adds {@code phi4_generate}, {@code phi4_score}
 * and {@code phi4_judge}, one row per call.
 *
 * <h2>Progress</h2>
 * {@link dev.phi4spark.udf.spark.Phi4Metrics} holds named accumulators a transform adds to;
 * {@link dev.phi4spark.udf.spark.ProgressReporter} prints them on the driver while a job runs.
 */
package dev.phi4spark.udf.spark;
